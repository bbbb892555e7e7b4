"""What `make package` produces, checked offline: templates lint clean and
hold the wiring the issue asks for; zips hold everything the code needs."""
import json
import zipfile

import pytest

from deploy import package as packager
from deploy import templates
from project.model import API_HANDLER, Project
from shared.adapters import fleet_schema
from tests.deploy.packages import functions, role_policies

FLEET, RIDES = templates.FLEET, templates.RIDES


def test_both_templates_of_every_stage_pass_cfn_lint_with_no_errors_and_no_warnings(builds):
    paths = [out / packager.TEMPLATE_NAME for stage in templates.STAGES
             for out in builds.outputs(stage).values()]

    code, report = packager.lint(paths)

    assert (code, report) == (0, '')


def test_the_committed_policy_files_are_the_generated_ones():
    assert templates.main(['--check']) == 0


def test_the_fleet_table_is_exactly_the_one_the_tests_create(builds):
    table = builds.template(FLEET)['Resources'][templates.TABLE]

    expected = fleet_schema.table_definition('wild-rydes-ride-fleet-dev-unicorns')
    expected['TimeToLiveSpecification'] = fleet_schema.ttl_specification()
    assert table['Type'] == 'AWS::DynamoDB::Table'
    assert table['Properties'] == expected
    assert table['Properties']['BillingMode'] == 'PAY_PER_REQUEST'


def test_every_fleet_function_finds_the_table_by_reference(builds):
    fleet_functions = functions(builds.template(FLEET))

    assert set(fleet_functions) == {'APIHandler', 'RequestUnicornInvoke', 'LoadTable'}
    for function in fleet_functions.values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['DYNAMODB_TABLE'] == {'Ref': templates.TABLE}
        assert variables['UNICORN_HASH_KEY'] == fleet_schema.HASH_KEY


def test_the_fleet_publishes_its_invoke_arn_in_ssm(builds):
    parameter = builds.template(FLEET)['Resources'][templates.ARN_PARAMETER]

    assert parameter['Type'] == 'AWS::SSM::Parameter'
    assert parameter['Properties']['Name'] == '/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn'
    assert parameter['Properties']['Value'] == {'Fn::GetAtt': ['RequestUnicornInvoke', 'Arn']}


def test_the_fleet_is_loaded_at_stack_creation_by_the_loadtable_custom_resource(builds):
    template = builds.template(FLEET)
    loader = template['Resources'][templates.LOADER]

    assert loader['Type'] == 'AWS::CloudFormation::CustomResource'
    assert loader['Properties']['ServiceToken'] == {'Fn::GetAtt': ['LoadTable', 'Arn']}
    assert templates.TABLE in loader['DependsOn']
    assert loader['Properties']['CatalogSha256'] == templates.catalog_digest()
    assert template['Resources']['LoadTable']['Properties']['Handler'] == 'app.load_table'


def api_definition(template):
    return template['Resources']['RestAPI']['Properties']['DefinitionBody']


def test_no_api_gateway_reaches_the_direct_invoke_or_loader_functions(builds):
    template = builds.template(FLEET)
    text = json.dumps(api_definition(template))

    for name in ('RequestUnicornInvoke', 'LoadTable'):
        assert 'Events' not in template['Resources'][name]['Properties']
        assert name not in text
    permissions = [resource['Properties'] for resource in template['Resources'].values()
                   if resource['Type'] == 'AWS::Lambda::Permission']
    assert [p['FunctionName'] for p in permissions] == [{'Ref': 'APIHandler'}]


def test_the_fleet_routes_need_sigv4_signed_callers(builds):
    definition = api_definition(builds.template(FLEET))

    assert definition['securityDefinitions']['sigv4']['x-amazon-apigateway-authtype'] == 'awsSigv4'
    for path in ('/unicorn', '/unicorn/{ride_id}/release'):
        for operation in definition['paths'][path].values():
            assert operation['security'] == [{'sigv4': []}]


@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_both_apis_are_regional(builds, app):
    api = builds.template(app)['Resources']['RestAPI']['Properties']

    assert api['EndpointConfiguration'] == 'REGIONAL'


def test_rides_gets_its_topic_and_the_fleet_arn_resolved_from_ssm_at_deploy_time(builds):
    template = builds.template(RIDES)

    assert template['Resources'][templates.TOPIC]['Type'] == 'AWS::SNS::Topic'
    for function in functions(template).values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['RIDES_SNS_TOPIC_ARN'] == {'Ref': templates.TOPIC}
        assert variables['REQUEST_UNICORN_ARN'] == (
            '{{resolve:ssm:/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn}}')
        assert variables['UNICORN_TRANSPORT'] == 'invoke'


def test_rides_may_invoke_the_fleet_function_and_from_its_api_list_ride_records_and_nothing_else(
        builds):
    history = {'Sid': 'ListRideHistory', 'Effect': 'Allow', 'Action': ['lambda:InvokeFunction'],
               'Resource': {'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:'
                                       '${AWS::AccountId}:function:'
                                       'wild-rydes-ride-record-dev-ListRideRecords'}}
    roles = role_policies(builds.template(RIDES))
    for function in Project('dev').functions(RIDES):
        documents = roles[function.role_logical_id]
        invokes = [statement for document in documents for statement in document['Statement']
                   if any(action.startswith('lambda:') for action in statement['Action'])]
        assert invokes == [{
            'Sid': 'InvokeFleet', 'Effect': 'Allow', 'Action': ['lambda:InvokeFunction'],
            'Resource': '{{resolve:ssm:/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn}}'}] + (
            [history] if function.name == API_HANDLER else [])


@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_every_role_carries_its_own_functions_generated_policy_and_only_it(builds, app):
    policies = role_policies(builds.template(app))

    assert set(policies) == {function.role_logical_id for function in Project('dev').functions(app)}
    for function in Project('dev').functions(app):
        assert policies[function.role_logical_id] == [
            templates.policy_document(app, 'dev', 'cfn', function.name)]


@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_functions_are_named_as_chalice_deploy_names_them(builds, app):
    for logical_id, function in functions(builds.template(app)).items():
        assert function['Properties']['FunctionName'] == templates.function_name(
            app, 'dev', logical_id)


def zip_names(builds, app):
    with zipfile.ZipFile(builds.zip_path(app)) as archive:
        return {info.filename: info for info in archive.infolist()}


@pytest.mark.parametrize('app', templates.APPS, ids=lambda app: app.folder)
def test_the_zip_holds_shared_as_files_not_symlinks(builds, app):
    names = zip_names(builds, app)
    source = templates.ROOT / 'shared'

    expected = {f'shared/{path.relative_to(source)}' for path in source.rglob('*.py')}
    assert expected <= set(names)
    assert not [name for name in names if '__pycache__' in name or name.endswith('.pyc')]
    # A symlink would be stored with the S_IFLNK mode bits (0o120000).
    assert not [name for name, info in names.items() if (info.external_attr >> 16) & 0o170000 == 0o120000]


def test_the_fleet_zip_holds_the_catalog_itself(builds):
    with zipfile.ZipFile(builds.zip_path(FLEET)) as archive:
        catalog = archive.read('chalicelib/unicorns.json')

    assert catalog == (templates.ROOT / 'ride_fleet' / 'chalicelib' / 'unicorns.json').read_bytes()
