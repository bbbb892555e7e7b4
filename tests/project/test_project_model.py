"""The project model says what `chalice deploy` would deploy: checked
against the application graph Chalice's own deployer builds from each app,
not against the model's own arithmetic."""
import botocore.session
import pytest
from chalice.config import Config
from chalice.deploy import models
from chalice.deploy.appgraph import ApplicationGraphBuilder

from project.model import APP_ENTRIES, FLEET, RECORD, RIDES, STAGES, Project
from tests.support.apps import fleet_app, record_app, rides_app

APP_MODULES = {FLEET.folder: fleet_app, RIDES.folder: rides_app, RECORD.folder: record_app}


def chalice_functions(entry, stage):
    """{function name: LambdaFunction} as Chalice's deployer plans them."""
    app = Project(stage).app(entry)
    config = Config(chalice_stage=stage, config_from_disk=app.config,
                    user_provided_params={'project_dir': str(app.app_dir),
                                          'chalice_app': APP_MODULES[entry.folder]().app})
    graph = ApplicationGraphBuilder().build(config, stage)
    planned = {}
    for resource in graph.resources:
        if isinstance(resource, models.LambdaFunction):
            planned[resource.resource_name] = resource
        elif isinstance(resource, (models.RestAPI, models.SNSLambdaSubscription)):
            planned[resource.lambda_function.resource_name] = resource.lambda_function
    return planned


@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('entry', APP_ENTRIES, ids=lambda entry: entry.folder)
def test_every_function_is_named_and_configured_as_chalice_deploy_makes_it(entry, stage):
    planned = chalice_functions(entry, stage)
    modelled = {function.name: function for function in Project(stage).functions(entry)}

    assert set(modelled) == set(planned)
    for name, function in modelled.items():
        chalice = planned[name]
        assert function.deployed_name == chalice.function_name
        assert function.timeout == chalice.timeout
        assert function.memory_mb == chalice.memory_size
        assert function.environment == chalice.environment_variables
        assert function.reserved_concurrency == chalice.reserved_concurrency


@pytest.mark.parametrize('stage', STAGES)
def test_the_resource_names_are_the_ones_the_apps_are_configured_with(stage):
    project = Project(stage)
    fleet_env = project.fleet.stage_environment()
    rides_env = project.rides.stage_environment()

    assert fleet_env['DYNAMODB_TABLE'] == project.table_name
    assert rides_env['REQUEST_UNICORN_ARN_PARAMETER'] == project.fleet_arn_parameter
    if rides_env['RIDES_SNS_TOPIC_ARN']:
        assert rides_env['RIDES_SNS_TOPIC_ARN'] == project.topic_arn()
    record_env = project.record.stage_environment()
    assert record_env['RIDE_RECORD_TABLE'] == project.record_table_name
    if record_env['RIDES_SNS_TOPIC_ARN']:
        assert record_env['RIDES_SNS_TOPIC_ARN'] == project.topic_arn()


def test_the_names_are_those_of_the_design_notes():
    project = Project('dev')

    assert project.table_name == 'wild-rydes-ride-fleet-dev-unicorns'
    assert project.topic_name == 'wild-rydes-dev-rides'
    assert project.fleet_arn_parameter == '/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn'
    assert project.fleet_function.deployed_name == 'wild-rydes-ride-fleet-dev-RequestUnicornInvoke'
    assert project.fleet_function.arn == (
        'arn:aws:lambda:us-east-1:123456789012:function:'
        'wild-rydes-ride-fleet-dev-RequestUnicornInvoke')
    assert project.stack_name(RIDES) == 'wild-rydes-dev'


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match='stage'):
        Project('staging')


@pytest.mark.parametrize('stage', STAGES)
def test_the_per_ip_limit_is_one_waf_accepts(stage):
    limit = Project(stage).rides_requests_per_ip
    shape = botocore.session.get_session().get_service_model('wafv2').shape_for(
        'RateBasedStatement').members['Limit']

    assert shape.metadata['min'] <= limit.requests <= shape.metadata['max']
    # "Valid settings are 60, 120, 300, and 600" (AWS WAF developer guide,
    # rate-based rule high-level settings).
    assert limit.window_seconds in (60, 120, 300, 600)


def test_the_riders_names_follow_the_rides_app_and_the_stage():
    project = Project('prod')

    assert project.user_pool_name == 'wild-rydes-prod-riders'
    assert project.user_pool_id_parameter == '/wild-rydes/prod/UserPoolId'
    assert project.user_pool_client_id_parameter == '/wild-rydes/prod/UserPoolClientId'
    assert project.web_acl_name == 'wild-rydes-prod-riders-door'


def test_ride_record_is_named_as_the_issue_names_it():
    project = Project('dev')

    assert project.record.app_name == 'wild-rydes-ride-record'
    assert project.recorder_function.deployed_name == 'wild-rydes-ride-record-dev-PutRideRecordSns'
    assert project.history_function.deployed_name == 'wild-rydes-ride-record-dev-ListRideRecords'
    assert project.record_table_name == 'wild-rydes-ride-record-dev-rides'
    assert project.record_dlq_name == 'wild-rydes-ride-record-dev-dlq'
    assert project.record_url_parameter == '/wild-rydes-ride-record/dev/URL'
    assert project.history_arn_parameter == (
        '/wild-rydes-ride-record/dev/ListRideRecordsInvokeArn')
    assert project.topic_arn_parameter == '/wild-rydes/dev/SnsTopicArn'
    assert project.stack_name(RECORD) == 'wild-rydes-ride-record-dev'


def test_the_recorder_listens_to_the_rides_topic_of_its_stage():
    """Chalice subscribes PutRideRecordSns to the topic the app names: the
    ARN a deploy passes in RIDES_SNS_TOPIC_ARN, else the topic's name (which
    one depends on this process's environment when the app was imported)."""
    from chalice.app import SNSEventConfig

    project = Project('dev')
    topics = {source.name: source.topic for source in record_app().app.event_sources
              if isinstance(source, SNSEventConfig)}
    assert set(topics) == {'PutRideRecordSns'}
    assert topics['PutRideRecordSns'] in (project.topic_name, project.topic_arn())
