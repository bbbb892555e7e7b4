"""What an operator of a deployed stage gets, checked on the packaged
templates: traces, access logs, log retention, alarms, the data kept in
prod, the SSM parameters others read, checkov clean with every skip
explained, and the http transport deployable."""
import json
import re

import pytest

from deploy import observability, scan, templates
from deploy import package as packager
from project.model import Project
from tests.deploy.packages import functions, role_policies

FLEET, RIDES = templates.FLEET, templates.RIDES
STAGES = templates.STAGES
RETENTION = {'dev': 14, 'prod': 90}


def resources_of_type(template, kind):
    return {name: resource for name, resource in template['Resources'].items()
            if resource['Type'] == kind}


@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_function_has_active_xray_tracing(builds, app, stage):
    for name, function in functions(builds.template(app, stage)).items():
        assert function['Properties']['Tracing'] == 'Active', name


@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_role_may_write_traces_through_aws_managed_xray_policy_only(builds, app, stage):
    roles = resources_of_type(builds.template(app, stage), 'AWS::IAM::Role')
    for role in roles.values():
        assert role['Properties']['ManagedPolicyArns'] == [
            {'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess'}]


@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_api_stage_is_traced_and_access_logged_as_json_lines(builds, app, stage):
    template = builds.template(app, stage)
    api = template['Resources']['RestAPI']['Properties']

    assert api['TracingEnabled'] is True
    setting = api['AccessLogSetting']
    assert setting['DestinationArn'] == {'Fn::GetAtt': [observability.ACCESS_LOGS, 'Arn']}
    line = json.loads(setting['Format'])  # one JSON object per request
    assert {'requestId', 'sourceIp', 'caller', 'resourcePath', 'status', 'latency',
            'integrationLatency'} <= set(line)
    assert line['requestId'] == '$context.requestId'
    assert line['sourceIp'] == '$context.identity.sourceIp'
    assert line['latency'] == '$context.responseLatency'
    assert line['integrationLatency'] == '$context.integrationLatency'
    assert line['status'] == '$context.status'
    access_logs = template['Resources'][observability.ACCESS_LOGS]
    assert access_logs['Type'] == 'AWS::Logs::LogGroup'
    assert access_logs['Properties']['RetentionInDays'] == RETENTION[stage]


@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_function_log_group_expires_and_is_named_after_its_function(builds, app, stage):
    template = builds.template(app, stage)
    groups = resources_of_type(template, 'AWS::Logs::LogGroup')
    project = Project(stage)

    for function in project.functions(app):
        group = groups[function.log_group_logical_id]['Properties']
        assert group['RetentionInDays'] == RETENTION[stage]
        # Not Chalice's `/aws/lambda/${ApiHandler}`, a resource that does not exist.
        assert group['LogGroupName'] == f'/aws/lambda/{function.deployed_name}'
        assert template['Resources'][function.logical_id]['Properties']['FunctionName'] == (
            function.deployed_name)
    assert set(groups) == {f.log_group_logical_id for f in project.functions(app)} | {
        observability.ACCESS_LOGS}


def alarms(template):
    return {resource['Properties']['AlarmName']: resource['Properties']
            for resource in resources_of_type(template, 'AWS::CloudWatch::Alarm').values()}


@pytest.mark.parametrize('stage', STAGES)
def test_the_fleet_alarms_on_its_invoke_functions_errors_and_throttles(builds, stage):
    template = builds.template(FLEET, stage)
    fleet = Project(stage).fleet_function.deployed_name
    found = alarms(template)

    errors = found[f'wild-rydes-{stage}-fleet-errors']
    throttles = found[f'wild-rydes-{stage}-fleet-throttles']
    for alarm, metric in ((errors, 'Errors'), (throttles, 'Throttles')):
        assert (alarm['Namespace'], alarm['MetricName']) == ('AWS/Lambda', metric)
        assert alarm['Dimensions'] == [{'Name': 'FunctionName', 'Value': fleet}]
        assert alarm['AlarmActions'] == [{'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:'
                                                     f'${{AWS::AccountId}}:wild-rydes-{stage}-alarms'}]


@pytest.mark.parametrize('stage', STAGES)
def test_rides_alarms_on_its_5xx_rate_post_ride_p99_and_the_no_unicorn_rate(builds, stage):
    found = alarms(builds.template(RIDES, stage))

    five_xx = found[f'wild-rydes-{stage}-rides-api-5xx']
    assert (five_xx['Namespace'], five_xx['MetricName'], five_xx['Statistic']) == (
        'AWS/ApiGateway', '5XXError', 'Average')  # Average of 5XXError is the rate
    assert {'Name': 'ApiName', 'Value': 'wild-rydes'} in five_xx['Dimensions']

    latency = found[f'wild-rydes-{stage}-post-ride-p99']
    assert (latency['MetricName'], latency['ExtendedStatistic']) == ('Latency', 'p99')
    assert {'Name': 'Resource', 'Value': '/ride'} in latency['Dimensions']
    assert {'Name': 'Method', 'Value': 'POST'} in latency['Dimensions']

    no_unicorn = found[f'wild-rydes-{stage}-no-unicorn-rate']
    metrics = {metric['Id']: metric for metric in no_unicorn['Metrics']}
    rejected = metrics['rejected']['MetricStat']['Metric']
    assert (rejected['Namespace'], rejected['MetricName']) == ('WildRydes', 'RideRejected')
    assert rejected['Dimensions'] == [{'Name': 'stage', 'Value': stage},
                                      {'Name': 'reason', 'Value': 'NoUnicornAvailable'}]
    assert [m['Id'] for m in no_unicorn['Metrics'] if m['ReturnData']] == ['rate']


@pytest.mark.parametrize('stage', STAGES)
def test_per_method_metrics_are_on_so_the_p99_alarm_has_data(builds, stage):
    for app in templates.APPS:
        settings = builds.template(app, stage)['Resources']['RestAPI']['Properties']['MethodSettings']
        assert [s['MetricsEnabled'] for s in settings] == [True]


def test_the_alarm_topic_mails_whoever_the_parameter_names_and_no_one_by_default(builds):
    template = builds.template(FLEET)
    parameter = template['Parameters'][observability.ALARM_EMAIL]
    subscription = template['Resources'][observability.ALARM_SUBSCRIPTION]

    assert parameter['Default'] == ''
    assert subscription['Condition'] == observability.HAS_ALARM_EMAIL
    assert subscription['Properties']['Protocol'] == 'email'
    assert subscription['Properties']['Endpoint'] == {'Ref': observability.ALARM_EMAIL}
    topic = template['Resources'][observability.ALARM_TOPIC]
    assert topic['Properties']['TopicName'] == 'wild-rydes-dev-alarms'


@pytest.mark.parametrize('stage', STAGES)
def test_the_table_has_pitr_and_is_retained_in_prod_only(builds, stage):
    table = builds.template(FLEET, stage)['Resources'][templates.TABLE]
    prod = stage == 'prod'

    assert table['DeletionPolicy'] == table['UpdateReplacePolicy'] == ('Retain' if prod else 'Delete')
    pitr = table['Properties'].get('PointInTimeRecoverySpecification')
    assert pitr == ({'PointInTimeRecoveryEnabled': True} if prod else None)


@pytest.mark.parametrize('stage', STAGES)
def test_the_rides_topic_is_encrypted_with_the_aws_managed_sns_key(builds, stage):
    topic = builds.template(RIDES, stage)['Resources'][templates.TOPIC]['Properties']

    assert topic['KmsMasterKeyId'] == 'alias/aws/sns'


def ssm_parameters(template):
    return {resource['Properties']['Name']: resource['Properties']['Value']
            for resource in resources_of_type(template, 'AWS::SSM::Parameter').values()}


@pytest.mark.parametrize('stage', STAGES)
def test_rides_publishes_its_topic_arn_where_the_original_wild_rydes_did(builds, stage):
    parameters = ssm_parameters(builds.template(RIDES, stage))

    assert parameters[f'/wild-rydes/{stage}/SnsTopicArn'] == {'Ref': templates.TOPIC}


@pytest.mark.parametrize('stage', STAGES)
def test_the_fleet_publishes_its_unicorn_url_and_api_id(builds, stage):
    parameters = ssm_parameters(builds.template(FLEET, stage))

    assert parameters[f'/wild-rydes-ride-fleet/{stage}/RequestUnicornUrl'] == {
        'Fn::Sub': 'https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/unicorn'}
    assert parameters[f'/wild-rydes-ride-fleet/{stage}/RestApiId'] == {'Ref': 'RestAPI'}


# -- checkov -------------------------------------------------------------------

@pytest.mark.parametrize('stage', STAGES)
@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_checkov_skip_says_why_in_a_line(builds, app, stage):
    template = builds.template(app, stage)
    for name, resource in template['Resources'].items():
        for skip in resource.get('Metadata', {}).get('checkov', {}).get('skip', []):
            assert re.fullmatch(r'CKV_AWS_\d+', skip['id']), name
            assert 20 < len(skip['comment']) < 160 and '\n' not in skip['comment'], (name, skip)


@pytest.mark.skipif(not scan.SCAN_PYTHON.exists(), reason='checkov is installed by make package')
def test_checkov_finds_nothing_unexplained_in_any_packaged_template(builds):
    paths = [out / packager.TEMPLATE_NAME for stage in STAGES
             for out in builds.outputs(stage).values()]

    failed, report = scan.scan(paths)

    assert failed == [], report


@pytest.mark.skipif(not scan.SCAN_PYTHON.exists(), reason='checkov is installed by make package')
def test_a_finding_without_a_skip_fails_the_scan(tmp_path):
    """The check itself: an unencrypted topic is CKV_AWS_26, unless skipped."""
    topic = {'Type': 'AWS::SNS::Topic', 'Properties': {'TopicName': 't'}}
    bare = tmp_path / 'bare.json'
    bare.write_text(json.dumps({'Resources': {'Topic': topic}}))
    skipped = tmp_path / 'skipped.json'
    skipped.write_text(json.dumps({'Resources': {'Topic': dict(
        topic, **scan.skips(('CKV_AWS_26', 'a reason a reviewer would accept, for the test')))}}))

    assert [check['check_id'] for check in scan.scan([bare])[0]] == ['CKV_AWS_26']
    assert scan.scan([skipped])[0] == []


# -- the http transport --------------------------------------------------------

@pytest.fixture(scope='module')
def http_build(tmp_path_factory):
    return packager.package('dev', tmp_path_factory.mktemp('http-build'), run_lint=False,
                            transport='http')


def test_invoke_stays_the_default_transport_of_every_stage(builds):
    for stage in STAGES:
        assert Project(stage).unicorn_transport == 'invoke'
        for function in functions(builds.template(RIDES, stage)).values():
            assert function['Properties']['Environment']['Variables']['UNICORN_TRANSPORT'] == 'invoke'


def test_the_http_transport_package_lints_clean(http_build):
    code, report = packager.lint([out / packager.TEMPLATE_NAME for out in http_build.values()])

    assert (code, report) == (0, '')


def test_with_http_rides_finds_the_fleet_url_in_ssm_and_may_call_exactly_its_routes(http_build):
    template = json.loads((http_build[RIDES] / packager.TEMPLATE_NAME).read_text())

    for function in functions(template).values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['UNICORN_TRANSPORT'] == 'http'
        assert variables['REQUEST_UNICORN_URL'] == (
            '{{resolve:ssm:/wild-rydes-ride-fleet/dev/RequestUnicornUrl}}')
    for role, documents in role_policies(template).items():
        [document] = documents
        statements = {statement['Sid']: statement for statement in document['Statement']}
        assert 'InvokeFleet' not in statements, role
        grant = statements['CallFleetApi']
        assert grant['Action'] == ['execute-api:Invoke']
        arn = {'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'}
        api_id = '{{resolve:ssm:/wild-rydes-ride-fleet/dev/RestApiId}}'
        assert grant['Resource'] == [
            {'Fn::Join': ['', [arn, api_id, '/api/GET/unicorn']]},
            {'Fn::Join': ['', [arn, api_id, '/api/POST/unicorn/*/release']]}]
        # Nothing of the fleet's invoke route (ride-record's history is
        # reached by invoke whatever the fleet's transport).
        assert not [s for s in document['Statement'] if any(
            a.startswith(('lambda:', 'ssm:')) for a in s['Action'])
            and s['Sid'] not in ('ListRideHistory', 'FindRideHistory')], role


def test_with_invoke_rides_may_not_call_the_fleet_api(builds):
    for documents in role_policies(builds.template(RIDES)).values():
        for statement in documents[0]['Statement']:
            assert 'execute-api:Invoke' not in statement['Action']


def test_an_unknown_transport_is_refused():
    with pytest.raises(ValueError, match='unknown transport'):
        templates.merge_template(RIDES, 'dev', transport='carrier-pigeon')
