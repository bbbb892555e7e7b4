"""The front door on AWS, read from the packaged templates of both stages:
the riders' pool and the page's client, the `Riders` authorizer bound to
that pool, the stage's throttling, the WAF web ACL on the stage, the SSM
parameters and outputs the page's configuration reads, and (prod) reserved
concurrency sized so that a burst meets the stage throttle first."""
import json

import pytest

from deploy import riders, templates
from project.model import STAGES, Project
from tests.deploy.packages import functions

FLEET, RIDES = templates.FLEET, templates.RIDES
PUBLIC_PATHS = ('/', '/config')  # the page and its configuration
# Lambda keeps at least this many of an account's concurrency unreserved, and
# a new or default account may have as little as 1000 in all.
UNRESERVED_MINIMUM = 100
DEFAULT_ACCOUNT_CONCURRENCY = 1000
# How long one request holds its function, for sizing reservations: a cold
# rides sandbox plus a cold fleet sandbox (bench reference: 289 + 236 ms).
REQUEST_SECONDS = 0.5


def rides_template(builds, stage):
    return builds.template(RIDES, stage)


def operations(template):
    """[(path, method, operation)] of the REST API."""
    paths = template['Resources']['RestAPI']['Properties']['DefinitionBody']['paths']
    return [(path, method, operation) for path, methods in paths.items()
            for method, operation in methods.items() if method != 'x-amazon-apigateway-any-method'
            and method != 'options']


def authorized(template):
    return [(path, method) for path, method, operation in operations(template)
            if operation.get('security') == [{'Riders': []}]]


@pytest.mark.parametrize('stage', STAGES)
def test_the_riders_authorizer_is_bound_to_the_stacks_own_pool(builds, stage):
    template = rides_template(builds, stage)
    body = template['Resources']['RestAPI']['Properties']['DefinitionBody']

    authorizer = body['securityDefinitions']['Riders']
    assert authorizer['x-amazon-apigateway-authtype'] == 'cognito_user_pools'
    assert authorizer['x-amazon-apigateway-authorizer'] == {
        'type': 'cognito_user_pools',
        'providerARNs': [{'Fn::GetAtt': [templates.USER_POOL, 'Arn']}]}
    assert 'arn:aws:cognito-idp' not in json.dumps(template)


@pytest.mark.parametrize('stage', STAGES)
def test_every_route_but_the_page_and_its_configuration_needs_a_riders_token(builds, stage):
    template = rides_template(builds, stage)

    for path, method, operation in operations(template):
        if path in PUBLIC_PATHS and method == 'get':
            assert 'security' not in operation, path
        else:
            assert operation.get('security') == [{'Riders': []}], (method, path)
    assert ('/ride', 'post') in authorized(template)


@pytest.mark.parametrize('stage', STAGES)
def test_the_pool_takes_email_as_username_and_verifies_it_with_a_strong_password_policy(
        builds, stage):
    pool = rides_template(builds, stage)['Resources'][templates.USER_POOL]
    properties = pool['Properties']

    assert pool['Type'] == 'AWS::Cognito::UserPool'
    assert properties['UserPoolName'] == Project(stage).user_pool_name
    assert properties['UsernameAttributes'] == ['email']
    assert properties['AutoVerifiedAttributes'] == ['email']
    assert properties['AdminCreateUserConfig'] == {'AllowAdminCreateUserOnly': False}
    policy = properties['Policies']['PasswordPolicy']
    assert policy['MinimumLength'] >= 8
    assert all(policy[rule] for rule in ('RequireUppercase', 'RequireLowercase',
                                         'RequireNumbers', 'RequireSymbols'))


@pytest.mark.parametrize('stage', STAGES)
def test_the_page_client_has_no_secret_and_does_not_reveal_which_riders_exist(builds, stage):
    resources = rides_template(builds, stage)['Resources']
    client = resources[templates.USER_POOL_CLIENT]['Properties']

    assert client['UserPoolId'] == {'Ref': templates.USER_POOL}
    assert client['GenerateSecret'] is False
    assert sorted(client['ExplicitAuthFlows']) == [
        'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']
    assert client['PreventUserExistenceErrors'] == 'ENABLED'
    assert client['EnableTokenRevocation'] is True
    assert client['TokenValidityUnits'] == {'IdToken': 'minutes', 'AccessToken': 'minutes',
                                            'RefreshToken': 'days'}
    assert client['IdTokenValidity'] <= 60 and client['AccessTokenValidity'] <= 60


def test_the_template_and_the_provisioning_create_the_same_pool_and_client():
    project = Project('dev')
    template_pool = riders.user_pool_resource(project)['Properties']
    api_pool = riders.create_user_pool_kwargs(project)
    template_client = riders.client_resource(project, 'Pool')['Properties']
    api_client = riders.create_client_kwargs(project, 'pool-id')

    assert template_pool.pop('UserPoolName') == api_pool.pop('PoolName')
    assert template_pool == api_pool
    assert template_client.pop('UserPoolId') == {'Ref': 'Pool'}
    assert api_client.pop('UserPoolId') == 'pool-id'
    assert template_client == api_client


@pytest.mark.parametrize('stage', STAGES)
def test_the_pool_and_client_ids_are_published_in_ssm_and_as_outputs(builds, stage):
    template = rides_template(builds, stage)
    project = Project(stage)
    parameters = {resource['Properties']['Name']: resource['Properties']['Value']
                  for resource in template['Resources'].values()
                  if resource['Type'] == 'AWS::SSM::Parameter'
                  and resource['Properties']['Name'] != project.topic_arn_parameter}

    assert parameters == {
        f'/wild-rydes/{stage}/UserPoolId': {'Ref': templates.USER_POOL},
        f'/wild-rydes/{stage}/UserPoolClientId': {'Ref': templates.USER_POOL_CLIENT}}
    assert set(parameters) == {project.user_pool_id_parameter,
                               project.user_pool_client_id_parameter}
    assert template['Outputs']['UserPoolId'] == {'Value': {'Ref': templates.USER_POOL}}
    assert template['Outputs']['UserPoolClientId'] == {
        'Value': {'Ref': templates.USER_POOL_CLIENT}}


@pytest.mark.parametrize('stage', STAGES)
def test_rides_functions_get_the_pool_and_client_ids_by_reference(builds, stage):
    for function in functions(rides_template(builds, stage)).values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['USER_POOL_ID'] == {'Ref': templates.USER_POOL}
        assert variables['USER_POOL_CLIENT_ID'] == {'Ref': templates.USER_POOL_CLIENT}
        assert variables['COGNITO_ENDPOINT_URL'] == ''


@pytest.mark.parametrize('stage', STAGES)
def test_every_method_of_the_rides_stage_is_throttled_as_the_model_says(builds, stage):
    api = rides_template(builds, stage)['Resources']['RestAPI']['Properties']
    throttle = Project(stage).rides_throttle

    assert api['MethodSettings'] == [{
        'ResourcePath': '/*', 'HttpMethod': '*', 'MetricsEnabled': True,
        'ThrottlingRateLimit': throttle.rate_per_second,
        'ThrottlingBurstLimit': throttle.burst}]


def test_dev_keeps_the_issues_throttle_of_50_per_second_with_a_burst_of_100():
    throttle = Project('dev').rides_throttle

    assert (throttle.rate_per_second, throttle.burst) == (50, 100)


@pytest.mark.parametrize('stage', STAGES)
def test_a_regional_web_acl_blocks_a_source_ip_past_its_rate(builds, stage):
    resources = rides_template(builds, stage)['Resources']
    acl = resources[templates.WEB_ACL]['Properties']
    limit = Project(stage).rides_requests_per_ip

    assert resources[templates.WEB_ACL]['Type'] == 'AWS::WAFv2::WebACL'
    assert acl['Scope'] == 'REGIONAL'
    assert acl['DefaultAction'] == {'Allow': {}}
    [rule] = acl['Rules']
    assert rule['Statement'] == {'RateBasedStatement': {
        'Limit': limit.requests, 'AggregateKeyType': 'IP',
        'EvaluationWindowSec': limit.window_seconds}}
    assert 'Block' in rule['Action']


@pytest.mark.parametrize('stage', STAGES)
def test_the_web_acl_is_associated_with_the_rides_api_stage(builds, stage):
    resources = rides_template(builds, stage)['Resources']
    association = resources[templates.WEB_ACL_ASSOCIATION]

    assert association['Type'] == 'AWS::WAFv2::WebACLAssociation'
    assert association['Properties']['WebACLArn'] == {
        'Fn::GetAtt': [templates.WEB_ACL, 'Arn']}
    # SAM resolves ${RestAPI.Stage} to the stage it creates for RestAPI.
    assert association['Properties']['ResourceArn'] == {'Fn::Sub': (
        'arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}'
        '/stages/${RestAPI.Stage}')}


def reservations(builds, stage):
    """{(app folder, logical id): ReservedConcurrentExecutions or None}."""
    return {(app.folder, name): function['Properties'].get('ReservedConcurrentExecutions')
            for app in templates.APPS
            for name, function in functions(builds.template(app, stage)).items()}


def test_dev_reserves_no_concurrency_so_it_deploys_into_a_new_account(builds):
    assert set(reservations(builds, 'dev').values()) == {None}


def admitted_in_flight(methods, throttle):
    """The most requests the stage lets run at once on `methods` methods:
    each method has its own bucket, which lets a full burst through at once
    and refills at the rate while those requests run."""
    return methods * (throttle.burst + throttle.rate_per_second * REQUEST_SECONDS)


def test_prod_reserves_enough_for_every_request_the_stage_throttle_admits(builds):
    reserved = reservations(builds, 'prod')
    template = rides_template(builds, 'prod')
    throttle = Project('prod').rides_throttle

    rides_handler = reserved[(RIDES.folder, 'APIHandler')]
    rides_invoke = reserved[(RIDES.folder, 'RequestRideInvoke')]
    fleet = reserved[(FLEET.folder, 'RequestUnicornInvoke')]
    assert rides_handler >= admitted_in_flight(len(operations(template)), throttle)
    # Each signed-in route holds at most one fleet call at a time, as does
    # each direct invocation of RequestRideInvoke.
    assert fleet >= admitted_in_flight(len(authorized(template)), throttle) + rides_invoke


def test_prod_reservations_leave_lambdas_minimum_unreserved_in_a_default_account(builds):
    total = sum(value or 0 for value in reservations(builds, 'prod').values())

    assert 0 < total <= DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM
