"""Least privilege, proven: every AWS call an app makes is allowed by that
app's packaged IAM policy, and the policy grants nothing the app does not use.

The calls come from `tests/deploy/aws_calls.py` (a botocore `before-call`
hook on every client): here, a workload that drives every code path that
touches AWS; and, in the last test of the run, whatever the whole test
suite made each app do. The policy is the one in the packaged template,
with its references resolved the way CloudFormation would for moto's
account and region.
"""
import json
import re
import uuid

import boto3
import pytest
from chalice.test import Client

from deploy import templates
from project.model import Project
from shared.adapters import aws_clients
from shared.domain.errors import NoUnicornAvailable
from tests.conftest import FLEET_FUNCTION_ARN
from tests.deploy.aws_calls import ACCOUNT, RECORDER
from tests.deploy.packages import role_policies
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR, RIDES_DIR
from tests.support.fake_lambda_server import FakeLambdaServer, unicorn_answer
from tests.support.riders import as_rider

FLEET, RIDES = templates.FLEET, templates.RIDES
REGION = aws_support.REGION
LOG_ACTIONS = {'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'}


# -- the packaged policy, resolved --------------------------------------------

def references(stage='dev'):
    """What CloudFormation would put in place of each reference."""
    project = Project(stage)
    fleet_env = project.fleet.stage_environment()
    return {
        'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT,
        templates.TABLE: fleet_env['DYNAMODB_TABLE'],
        templates.TOPIC: f'arn:aws:sns:{REGION}:{ACCOUNT}:{project.topic_name}',
        project.fleet_arn_parameter: FLEET_FUNCTION_ARN,
    }


def resolve(value, refs):
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    if isinstance(value, dict):
        if set(value) == {'Ref'}:
            return refs[value['Ref']]
        if set(value) == {'Fn::Sub'}:
            return re.sub(r'\$\{([^}]+)\}', lambda m: refs[m.group(1)], value['Fn::Sub'])
        return {key: resolve(item, refs) for key, item in value.items()}
    if isinstance(value, str):
        return re.sub(r'\{\{resolve:ssm:([^}]+)\}\}', lambda m: refs[m.group(1)], value)
    return value


def as_list(value):
    return value if isinstance(value, list) else [value]


def matches(pattern, text):
    regex = ''.join('.*' if c == '*' else '.' if c == '?' else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def grants(document):
    """[(statement sid, action, resource pattern)] an Allow policy grants."""
    out = []
    for statement in document['Statement']:
        assert statement['Effect'] == 'Allow'
        assert 'NotAction' not in statement and 'NotResource' not in statement
        for action in as_list(statement['Action']):
            for resource in as_list(statement['Resource']):
                out.append((statement.get('Sid'), action, resource))
    return out


@pytest.fixture(scope='module')
def packaged_policies(builds):
    """{app: resolved policy document}; every role of an app has the same one."""
    policies = {}
    for app in templates.APPS:
        documents = {json.dumps(docs, sort_keys=True)
                     for docs in role_policies(builds.template(app)).values()}
        [only] = documents
        [document] = json.loads(only)
        policies[app] = resolve(document, references())
    return policies


def refused(calls, document):
    """The recorded (action, resource) pairs no statement allows."""
    allowed = grants(document)
    return sorted((action, resource) for _, action, resource in calls
                  if not any(matches(g_action.lower(), action.lower()) and matches(g_resource, resource)
                             for _, g_action, g_resource in allowed))


def unused(calls, document):
    """Grants no recorded call needed (logs are the Lambda runtime's, not the app's)."""
    return sorted(grant for grant in grants(document)
                  if grant[1] not in LOG_ACTIONS and not any(
                      matches(grant[1].lower(), action.lower()) and matches(grant[2], resource)
                      for _, action, resource in calls))


# -- the policies' shape -----------------------------------------------------

def policy_documents(builds):
    for app in templates.APPS:
        for stage in templates.STAGES:
            yield f'{app.folder} policy-{stage}.json', json.loads(
                templates.policy_file_path(app, stage).read_text())
        for role, documents in role_policies(builds.template(app)).items():
            for document in documents:
                yield f'{app.folder} packaged {role}', document


def test_no_policy_grants_any_action_or_a_whole_service_or_every_resource(builds):
    for where, document in policy_documents(builds):
        for _, action, resource in grants(document):
            service, _, name = action.partition(':')
            assert action != '*' and name and '*' not in name and '?' not in name, (where, action)
            if action not in LOG_ACTIONS:
                assert resource != '*', (where, action)
                assert not (isinstance(resource, str) and resource.endswith(':*')), (where, action)
            assert resource != '*', (where, action, 'logs are scoped to the app too')


# -- a workload through every code path that touches AWS ---------------------

def invoke(client, function, payload):
    return json.loads(json.dumps(client.lambda_.invoke(function, payload).payload))


def test_the_fleet_needs_exactly_what_its_packaged_policy_grants(
        fleet_module, empty_fleet_table, packaged_policies):
    empty_fleet_table.put_unicorn({'Name': 'Retired', 'Color': 'Grey', 'DeviceId': 'd-0'}, 99)
    size = len(aws_support.catalog())

    with RECORDER.capture() as calls, Client(
            fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        assert invoke(client, 'LoadTable', {})['Removed'] == ['Retired']
        rides = [str(uuid.uuid4()) for _ in range(size)]
        for ride_id in rides:
            invoke(client, 'RequestUnicornInvoke', {'RideId': ride_id, 'RiderId': ride_id})
        # every unicorn busy: the index of free ones (an expected answer, returned)
        full = invoke(client, 'RequestUnicornInvoke', {'RideId': str(uuid.uuid4()), 'RiderId': 'r-1'})
        assert full['Code'] == NoUnicornAvailable.code
        invoke(client, 'RequestUnicornInvoke', {'Action': 'Release', 'RideId': rides[0],
                                                'RiderId': rides[0]})
        assert client.http.get('/unicorn').status_code == 200

    assert calls, 'the recorder saw no AWS call'
    assert refused(calls, packaged_policies[FLEET]) == []
    assert unused(calls, packaged_policies[FLEET]) == []


@pytest.fixture
def riders_pool_parameters(aws):
    """What the rides deploy publishes: the riders' pool and client ids in SSM."""
    project, ssm = Project('dev'), boto3.client('ssm', region_name=REGION)
    for name, value in ((project.user_pool_id_parameter, f'{REGION}_Riders'),
                        (project.user_pool_client_id_parameter, 'page-client-id')):
        ssm.put_parameter(Name=name, Type='String', Value=value)


def serves_page_configuration(app):
    """GET /config: it reads the pool's ids from SSM when they are not set.
    (It comes with the rides routes of the front door; until then, the
    policy's pool grant has nothing here to use it.)"""
    return 'GET' in app.routes.get('/config', {})


@pytest.fixture
def real_lambda_client(monkeypatch):
    """rides' Lambda client as a real botocore client (so the recorder sees
    the invoke), answered by a loopback server."""
    with FakeLambdaServer(default=unicorn_answer({'Name': 'Shadowfax', 'Color': 'White'})) as server:
        client = server.client()
        monkeypatch.setattr(aws_clients, 'lambda_client', lambda: client)
        yield server


def test_rides_needs_exactly_what_its_packaged_policy_grants(
        rides_module, rides_topic, fleet_arn_parameter, riders_pool_parameters,
        real_lambda_client, packaged_policies):
    with RECORDER.capture() as calls, Client(
            rides_module.app, stage_name='dev', project_dir=str(RIDES_DIR)) as client:
        response = client.http.post('/ride', headers=as_rider(),
                                    body=json.dumps({'PickupLocation': {
                                        'Latitude': 47.6, 'Longitude': -122.3}}))
        assert response.status_code == 201, response.body
        if serves_page_configuration(rides_module.app):
            response = client.http.get('/config')
            assert response.status_code == 200, response.body

    assert refused(calls, packaged_policies[RIDES]) == []
    pool_grants = [grant for grant in grants(packaged_policies[RIDES])
                   if grant[0] == 'FindRidersPool']
    assert len(pool_grants) == 2
    assert unused(calls, packaged_policies[RIDES]) == (
        [] if serves_page_configuration(rides_module.app) else sorted(pool_grants))


def test_a_call_outside_the_policy_is_caught(packaged_policies):
    """The check itself: a call the policy does not allow is reported."""
    calls = {(FLEET, 'dynamodb:DeleteTable',
              f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/wild-rydes-ride-fleet-dev-unicorns'),
             (FLEET, 'dynamodb:GetItem', f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other')}

    assert len(refused(calls, packaged_policies[FLEET])) == 2


# -- the whole suite (moved to the end of the run by conftest.py) ------------

def test_every_aws_call_the_suite_made_was_allowed(packaged_policies):
    if not RECORDER.snapshot():
        pytest.skip('no app made an AWS call in this run')
    for app in templates.APPS:
        assert refused(RECORDER.snapshot(app.folder), packaged_policies[app]) == [], app.folder
