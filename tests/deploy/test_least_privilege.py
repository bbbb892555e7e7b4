"""Least privilege, proven per function: every AWS call a function makes is
allowed by that function's packaged IAM policy, and the policy grants
nothing the function does not use.

The calls come from `tests/deploy/aws_calls.py` (a botocore `before-call`
hook on every client, which also says which function of the app made the
call): here, a workload that drives every code path that touches AWS; and,
in the last test of the run, whatever the whole test suite made each
function do. The policy is the one in the packaged template, with its
references resolved the way CloudFormation would for moto's account and
region.
"""
import json
import re
import uuid

import boto3
import pytest
from chalice.test import Client

from deploy import templates
from project.model import API_HANDLER, HISTORY_FUNCTION, ChaliceApp, Project
from shared.adapters import aws_clients
from shared.domain.errors import NoUnicornAvailable
from tests.conftest import FLEET_FUNCTION_ARN
from tests.deploy.aws_calls import ACCOUNT, RECORDER, function_of
from tests.deploy.packages import role_policies
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR, RECORD_DIR, RIDES_DIR
from tests.support.fake_lambda_server import FakeLambdaServer, unicorn_answer
from tests.support.ride_events import completed, new_ride_id, requested
from tests.support.riders import as_rider

FLEET, RIDES, RECORD = templates.FLEET, templates.RIDES, templates.RECORD
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
        templates.RECORD_TABLE: project.record.stage_environment()['RIDE_RECORD_TABLE'],
        f'{templates.RECORD_DLQ}.Arn': f'arn:aws:sqs:{REGION}:{ACCOUNT}:{project.record_dlq_name}',
    }


def resolve(value, refs):
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    if isinstance(value, dict):
        if set(value) == {'Ref'}:
            return refs[value['Ref']]
        if set(value) == {'Fn::GetAtt'}:
            return refs['.'.join(value['Fn::GetAtt'])]
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
    """{(app, function): its role's resolved policy document}: each function
    has a role of its own, with one policy."""
    policies = {}
    for app in templates.APPS:
        roles = role_policies(builds.template(app))
        for function in Project('dev').functions(app):
            [document] = roles[function.role_logical_id]
            policies[app, function.name] = resolve(document, references())
    return policies


def by_function(calls, chalice_app):
    """{function name: {(action, resource)}} of recorded (app, entry, action, resource)."""
    out = {}
    for _, entry, action, resource in calls:
        out.setdefault(function_of(chalice_app, entry), set()).add((action, resource))
    return out


def refused(calls, document):
    """The recorded (action, resource) pairs no statement allows."""
    allowed = grants(document)
    return sorted((action, resource) for action, resource in (call[-2:] for call in calls)
                  if not any(matches(g_action.lower(), action.lower()) and matches(g_resource, resource)
                             for _, g_action, g_resource in allowed))


def unused(calls, document):
    """Grants no recorded call needed (logs are the Lambda runtime's and
    traces the X-Ray daemon's, not the app's calls)."""
    return sorted(grant for grant in grants(document)
                  if grant[1] not in LOG_ACTIONS and not is_xray_write(*grant[:2]) and not any(
                      matches(grant[1].lower(), action.lower()) and matches(grant[2], resource)
                      for action, resource in (call[-2:] for call in calls)))


# -- the policies' shape -----------------------------------------------------

def policy_documents(builds):
    for app, stage, function in templates.policy_files():
        path = templates.policy_file_path(app, stage, function)
        yield f'{app.folder} {path.name}', json.loads(path.read_text())
        for role, documents in role_policies(builds.template(app)).items():
            for document in documents:
                yield f'{app.folder} packaged {role}', document


def is_xray_write(sid, action):
    """X-Ray's write actions have no resource types (AWS Service Authorization
    Reference: PutTraceSegments, PutTelemetryRecords), so "*" is their only
    resource. Every role, packaged or in a policy file, has them in its
    `Tracing` statement, and only there."""
    return sid == 'Tracing' and action in templates.XRAY_ACTIONS


def test_no_policy_grants_any_action_or_a_whole_service_or_every_resource(builds):
    for where, document in policy_documents(builds):
        for sid, action, resource in grants(document):
            if is_xray_write(sid, action):
                continue
            service, _, name = action.partition(':')
            assert action != '*' and name and '*' not in name and '?' not in name, (where, action)
            if action not in LOG_ACTIONS:
                assert resource != '*', (where, action)
                assert not (isinstance(resource, str) and resource.endswith(':*')), (where, action)
            assert resource != '*', (where, action, 'logs are scoped to the app too')


def test_every_policy_grants_x_ray_exactly_its_two_write_actions_on_every_resource(builds):
    """What the Lambda service's X-Ray daemon does with the function's role:
    PutTraceSegments and PutTelemetryRecords; none of the sampling-rule reads
    AWS's managed AWSXRayDaemonWriteAccess also grants."""
    documents = list(policy_documents(builds))
    assert any('packaged' in where for where, _ in documents)
    for where, document in documents:
        xray = sorted(grant for grant in grants(document) if grant[1].startswith('xray:'))
        assert xray == [('Tracing', 'xray:PutTelemetryRecords', '*'),
                        ('Tracing', 'xray:PutTraceSegments', '*')], where


# -- a workload through every code path that touches AWS ---------------------

def invoke(client, function, payload):
    return json.loads(json.dumps(client.lambda_.invoke(function, payload).payload))


def test_each_fleet_function_needs_exactly_what_its_packaged_policy_grants(
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
        # The same paths through the API handler (the http transport's).
        assert client.http.get('/unicorn').status_code == 200
        freed = str(uuid.uuid4())
        assert client.http.get(f'/unicorn?RideId={freed}&RiderId={freed}').status_code == 200
        assert client.http.get(f'/unicorn?RideId={uuid.uuid4()}&RiderId=r-2').status_code == 503
        assert client.http.get(f'/unicorn/{freed}?RiderId={freed}').status_code == 200
        assert client.http.post(f'/unicorn/{rides[1]}/release?RiderId={rides[1]}').status_code == 200

    assert calls, 'the recorder saw no AWS call'
    per_function = by_function(calls, fleet_module.app)
    assert set(per_function) == set(templates.function_names(FLEET))
    for function, used in per_function.items():
        document = packaged_policies[FLEET, function]
        assert refused(used, document) == [], function
        assert unused(used, document) == [], function


def test_only_loadtable_may_scan_or_delete_fleet_items(packaged_policies):
    for function in templates.function_names(FLEET):
        actions = {action for _, action, _ in grants(packaged_policies[FLEET, function])}
        assert ({'dynamodb:Scan', 'dynamodb:DeleteItem'} <= actions) == (function == 'LoadTable')


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


def serves_ride_history(app):
    """GET /rides: it invokes ride-record's ListRideRecords, whose ARN it
    reads from SSM. (It comes with rides' history route; until then, the
    policy's history grants have nothing here to use them.)"""
    return 'GET' in app.routes.get('/rides', {})


@pytest.fixture
def history_arn_parameter(aws):
    """What ride-record's stack publishes: ListRideRecords' ARN in SSM."""
    project = Project('dev')
    boto3.client('ssm', region_name=REGION).put_parameter(
        Name=project.history_arn_parameter, Type='String',
        Value=project.history_function.arn_in(REGION, ACCOUNT))


def fleet_or_history_answer(server, function_name, payload):
    """The fleet's unicorn, or an empty history for ListRideRecords."""
    if function_name.endswith(HISTORY_FUNCTION):
        return {'status': 200, 'body': json.dumps({'Rides': []})}
    return unicorn_answer({'Name': 'Shadowfax', 'Color': 'White'})


@pytest.fixture
def real_lambda_client(monkeypatch):
    """rides' Lambda client as a real botocore client (so the recorder sees
    the invoke), answered by a loopback server."""
    with FakeLambdaServer(default=fleet_or_history_answer) as server:
        client = server.client()
        monkeypatch.setattr(aws_clients, 'lambda_client', lambda: client)
        yield server


def packaged_environment_client(module, project_dir, variables):
    """A Chalice test client whose functions see the stage's environment
    with `variables` on top: what the packaged template sets."""
    from chalice.config import Config

    client = Client(module.app, stage_name='dev', project_dir=str(project_dir))
    disk = ChaliceApp(project_dir).config
    client._chalice_config_obj = Config(
        chalice_stage='dev', config_from_disk=disk, default_params={'project_dir': str(project_dir)},
        user_provided_params={'environment_variables': variables})
    return client


def test_rides_needs_exactly_what_its_packaged_policy_grants(
        rides_module, rides_topic, fleet_arn_parameter, riders_pool_parameters,
        history_arn_parameter, real_lambda_client, packaged_policies):
    # As packaged: the fleet's ARN and the pool's ids set by CloudFormation;
    # ride-record's ARN left to run time (its stack comes after rides').
    project = Project('dev')
    packaged = {'REQUEST_UNICORN_ARN': FLEET_FUNCTION_ARN, 'USER_POOL_ID': f'{REGION}_Riders',
                'USER_POOL_CLIENT_ID': 'page-client-id', 'LIST_RIDE_RECORDS_ARN': '',
                'LIST_RIDE_RECORDS_ARN_PARAMETER': project.history_arn_parameter}
    with RECORDER.capture() as calls, packaged_environment_client(
            rides_module, RIDES_DIR, packaged) as client:
        response = client.http.post('/ride', headers=as_rider(),
                                    body=json.dumps({'PickupLocation': {
                                        'Latitude': 47.6, 'Longitude': -122.3}}))
        assert response.status_code == 201, response.body
        if serves_page_configuration(rides_module.app):
            response = client.http.get('/config')
            assert response.status_code == 200, response.body
        if serves_ride_history(rides_module.app):
            response = client.http.get('/rides', headers=as_rider())
            assert response.status_code == 200, response.body

    per_function = by_function(calls, rides_module.app)
    assert set(per_function) == {'api_handler'}
    document = packaged_policies[RIDES, 'api_handler']
    assert refused(per_function['api_handler'], document) == []
    # The package sets the pool's ids and the fleet's ARN: no SSM read of
    # them at run time; only ride-record's ARN is read, as it must be.
    history_parameter = f'arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{project.history_arn_parameter}'
    assert [grant for grant in grants(document) if grant[1].startswith('ssm:')] == [
        ('FindRideHistory', 'ssm:GetParameter', history_parameter)]
    not_yet_served = set() if serves_ride_history(rides_module.app) else {
        'ListRideHistory', 'FindRideHistory'}
    assert [grant for grant in unused(per_function['api_handler'], document)
            if grant[0] not in not_yet_served] == []


def test_rides_reads_the_fleet_and_pool_from_ssm_only_in_the_chalice_deploy_route():
    """...and ride-record's ARN in both routes, from its API handler only:
    ride-record's stack is deployed after rides', so no deploy can hand it over."""
    for stage in templates.STAGES:
        history_parameter = Project(stage).history_arn_parameter
        for function in templates.function_names(RIDES):
            packaged = templates.policy_document(RIDES, stage, 'cfn', function)
            from_file = json.loads(templates.policy_file_path(RIDES, stage, function).read_text())
            reads = [grant for grant in grants(packaged) if grant[1].startswith('ssm:')]
            assert [grant[0] for grant in reads] == (
                ['FindRideHistory'] if function == API_HANDLER else [])
            assert all(history_parameter in str(grant[2]) for grant in reads)
            assert ('ssm:GetParameter' in {grant[1] for grant in grants(from_file)})


def test_a_call_outside_the_policy_is_caught(packaged_policies):
    """The check itself: a call the policy does not allow is reported."""
    calls = {(FLEET, 'request_unicorn_invoke', 'dynamodb:DeleteTable',
              f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/wild-rydes-ride-fleet-dev-unicorns'),
             (FLEET, 'request_unicorn_invoke', 'dynamodb:GetItem',
              f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other'),
             (FLEET, 'request_unicorn_invoke', 'dynamodb:Scan',  # LoadTable's, not this one's
              f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/wild-rydes-ride-fleet-dev-unicorns')}

    assert len(refused(calls, packaged_policies[FLEET, 'RequestUnicornInvoke'])) == 3


def test_each_record_function_needs_exactly_what_its_packaged_policy_grants(
        record_module, record_table, packaged_policies):
    first, second = new_ride_id(), new_ride_id()
    with RECORDER.capture() as calls, Client(
            record_module.app, stage_name='dev', project_dir=str(RECORD_DIR)) as client:
        for body in (requested(first), completed(first), requested(first)):  # one a duplicate
            event = client.events.generate_sns_event(json.dumps(body))
            client.lambda_.invoke('PutRideRecordSns', event)
        response = client.http.post('/record', headers={'Content-Type': 'application/json'},
                                    body=json.dumps(requested(second, minute=9)))
        assert response.status_code == 200, response.body
        page = invoke(client, 'ListRideRecords', {'RiderId': 'rider-1', 'Limit': 1})
        assert [ride['RideId'] for ride in page['Rides']] == [second]
        invoke(client, 'ListRideRecords', {'RiderId': 'rider-1', 'NextToken': page['NextToken']})

    per_function = by_function(calls, record_module.app)
    assert set(per_function) == set(templates.function_names(RECORD))
    for function, used in per_function.items():
        document = packaged_policies[RECORD, function]
        assert refused(used, document) == [], function
        # The DLQ is the Lambda service's to write, with the role: no code does.
        assert [grant for grant in unused(used, document)
                if grant[1] != 'sqs:SendMessage'] == [], function


def test_no_record_function_may_scan_or_delete_and_only_the_history_may_query(packaged_policies):
    for function in templates.function_names(RECORD):
        actions = {action for _, action, _ in grants(packaged_policies[RECORD, function])}
        assert not actions & {'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable'}
        assert ('dynamodb:Query' in actions) == (function == HISTORY_FUNCTION)


# -- the whole suite (moved to the end of the run by conftest.py) ------------

def file_policy(app, function):
    """The `chalice deploy` route's policy of a function (region and account `*`)."""
    return json.loads(templates.policy_file_path(app, 'dev', function).read_text())


def test_every_aws_call_the_suite_made_was_allowed(packaged_policies, fleet_module, rides_module,
                                                  record_module):
    """The suite runs the apps with config.json's environment, the `chalice
    deploy` route's: rides reads the fleet's ARN (and the pool's ids) from SSM
    at run time there. So every call must be allowed by the function's policy
    file, and every call but those reads by its packaged policy too."""
    if not RECORDER.snapshot():
        pytest.skip('no app made an AWS call in this run')
    for app, module in ((FLEET, fleet_module), (RIDES, rides_module), (RECORD, record_module)):
        for function, used in by_function(RECORDER.snapshot(app.folder), module.app).items():
            assert refused(used, file_policy(app, function)) == [], (app.folder, function)
            not_run_time_reads = {call for call in used if call[0] != 'ssm:GetParameter'}
            assert refused(not_run_time_reads, packaged_policies[app, function]) == [], (
                app.folder, function)
