"""Each deployment zip runs with nothing from the project on sys.path.

A fresh interpreter (`python -I -S`) gets a sys.path of only the unzipped
package, the standard library and a folder holding boto3 and its
dependencies, as the Lambda runtime gives it. It imports `app` and runs
handlers (LoadTable also as CloudFormation's custom resource, answering a
loopback ResponseURL) against a moto server on 127.0.0.1 (found through boto3's
`AWS_ENDPOINT_URL`); rides' lambda.invoke goes to a loopback server
answering like the Lambda Invoke API.
"""
import json
import os
import pathlib
import socket
import subprocess
import sys
import sysconfig
import uuid

import boto3
import pytest

from deploy import templates
from project.model import Project
from shared.adapters import fleet_schema, record_schema
from tests.deploy.response_server import ResponseServer
from tests.support.fake_lambda_server import FakeLambdaServer, unicorn_answer

# What the Lambda Python runtime puts beside the function's code.
RUNTIME_PACKAGES = ('boto3', 'botocore', 'jmespath', 'dateutil', 'urllib3', 's3transfer', 'six')
REGION = 'us-east-1'
FLEET_ARN = ('arn:aws:lambda:us-east-1:123456789012:function:'
             'wild-rydes-ride-fleet-dev-RequestUnicornInvoke')
EVENTS = templates.ROOT / 'tests' / 'events'
TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793'

CHILD = r'''
import json, sys
unzipped, paths, calls = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
sys.path[:] = paths

class Context:
    aws_request_id = 'req-1'
    function_name = 'packaged'
    log_stream_name = 'stream'
    def get_remaining_time_in_millis(self):
        return 30000

import app
import chalice, shared
try:
    import moto
except ImportError:
    moto_visible = False
else:
    moto_visible = True
results = [getattr(app, name)(event, Context()) for name, event in calls]
print('RESULT ' + json.dumps({
    'results': results, 'moto_visible': moto_visible,
    'modules': {name: getattr(sys.modules[name], '__file__', None)
                for name in ('app', 'shared', 'chalice', 'boto3', 'aws_lambda_powertools',
                             'aws_xray_sdk', 'wrapt') if name in sys.modules},
    'project_modules': sorted(name for name in sys.modules
                              if name.split('.')[0] in ('tests', 'deploy', 'local_stack')),
}, default=str))
'''


@pytest.fixture(scope='module')
def lambda_runtime(tmp_path_factory):
    """A folder with only boto3 and its dependencies (symlinked)."""
    folder = tmp_path_factory.mktemp('lambda-runtime')
    for name in RUNTIME_PACKAGES:
        module = __import__(name)
        source = pathlib.Path(module.__file__)
        source = source.parent if source.name == '__init__.py' else source
        (folder / source.name).symlink_to(source)
    return folder


def interpreter_path(unzipped, runtime):
    stdlib = sysconfig.get_paths()['stdlib']
    zipped = pathlib.Path(stdlib).parent / f'python{sys.version_info.major}{sys.version_info.minor}.zip'
    return [str(unzipped), str(runtime), str(zipped), stdlib,
            sysconfig.get_paths()['platstdlib'], os.path.join(stdlib, 'lib-dynload')]


@pytest.fixture(scope='module')
def moto_server():
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f'http://{host}:{port}'
    server.stop()


@pytest.fixture
def xray_daemon():
    """A UDP socket on 127.0.0.1 in the X-Ray daemon's place: the packaged
    function runs with tracing on, as on Lambda, and sends its documents here."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(('127.0.0.1', 0))
        daemon.setblocking(False)
        yield daemon


def traced_documents(daemon):
    """The subsegments the function sent (each datagram: header line, document)."""
    documents = []
    while True:
        try:
            datagram = daemon.recv(65536)
        except BlockingIOError:
            return documents
        header, document = datagram.decode().split('\n', 1)
        assert json.loads(header) == {'format': 'json', 'version': 1}
        documents.append(json.loads(document))


def tracing_env(unzipped, daemon):
    """What Lambda gives a function with active tracing (a sampled trace)."""
    return {'LAMBDA_TASK_ROOT': str(unzipped),
            '_X_AMZN_TRACE_ID': f'Root={TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1',
            'AWS_XRAY_DAEMON_ADDRESS': '127.0.0.1:%d' % daemon.getsockname()[1]}


def run_packaged(builds, app, runtime, env, calls, tmp_path, daemon):
    unzipped = builds.unzipped(app)
    child_env = {'PATH': '/usr/bin:/bin', 'AWS_ACCESS_KEY_ID': 'testing',
                 'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_DEFAULT_REGION': REGION,
                 'AWS_EC2_METADATA_DISABLED': 'true',
                 'AWS_CONFIG_FILE': '/dev/null', 'AWS_SHARED_CREDENTIALS_FILE': '/dev/null'}
    child_env.update(tracing_env(unzipped, daemon))
    child_env.update(env)
    process = subprocess.run(
        [sys.executable, '-I', '-S', '-c', CHILD, str(unzipped),
         json.dumps(interpreter_path(unzipped, runtime)), json.dumps(calls)],
        cwd=tmp_path, env=child_env, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr[-3000:]
    [line] = [line for line in process.stdout.splitlines() if line.startswith('RESULT ')]
    report = json.loads(line[len('RESULT '):])
    for name in ('app', 'shared', 'chalice', 'aws_lambda_powertools', 'aws_xray_sdk', 'wrapt'):
        assert report['modules'][name].startswith(str(unzipped)), report['modules']
    assert report['modules']['boto3'].startswith(str(runtime))
    assert report['moto_visible'] is False
    assert report['project_modules'] == []
    return report['results']


def aws_client(service, endpoint):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id='testing', aws_secret_access_key='testing')


def custom_resource_event(response_url, request_type):
    return {'RequestType': request_type, 'ResponseURL': response_url,
            'StackId': 'arn:aws:cloudformation:us-east-1:123456789012:stack/fleet/1',
            'RequestId': 'req-1', 'LogicalResourceId': templates.LOADER,
            'ResourceType': 'AWS::CloudFormation::CustomResource',
            'ResourceProperties': {'ServiceToken': 'arn', 'CatalogSha256': 'x'}}


def stage_env(app):
    return Project('dev').app(app).stage_environment()


def test_the_fleet_package_loads_its_catalog_and_dispatches_on_its_own(
        builds, lambda_runtime, moto_server, tmp_path, xray_daemon):
    env = stage_env(templates.FLEET)
    env['DYNAMODB_TABLE'] = table = f'packaged-{uuid.uuid4().hex[:8]}'
    aws_client('dynamodb', moto_server).create_table(**fleet_schema.table_definition(table))
    ride_id = str(uuid.uuid4())

    with ResponseServer() as cloudformation:
        created, loaded, dispatched = run_packaged(
            builds, templates.FLEET, lambda_runtime,
            dict(env, AWS_ENDPOINT_URL=moto_server, **cloudformation.environment),
            [['load_table', custom_resource_event(cloudformation.response_url(), 'Create')],
             ['load_table', {}],
             ['request_unicorn_invoke', {'RideId': ride_id, 'RiderId': 'rider-1'}]], tmp_path,
            xray_daemon)

    catalog = json.loads(templates.CATALOG.read_text())
    [document] = cloudformation.documents
    assert document['Status'] == 'SUCCESS' and document == created
    assert document['Data'] == {'Loaded': len(catalog)}
    assert loaded == {'Loaded': len(catalog), 'Removed': []}
    assert dispatched['Name'] in {unicorn['Name'] for unicorn in catalog}
    item = aws_client('dynamodb', moto_server).get_item(
        TableName=table, Key={'Name': {'S': fleet_schema.rider_key('rider-1')}})['Item']
    assert item['Unicorn']['M']['Name']['S'] == dispatched['Name']
    assert item['RideId']['S'] == ride_id
    traced = traced_documents(xray_daemon)
    assert {document['trace_id'] for document in traced} == {TRACE_ROOT}
    assert any(document.get('annotations', {}).get('RideId') == ride_id for document in traced)
    assert any(document['name'] == 'dynamodb' for document in traced)


def test_the_rides_package_takes_a_ride_through_its_api_handler_on_its_own(
        builds, lambda_runtime, moto_server, tmp_path, xray_daemon):
    topic = aws_client('sns', moto_server).create_topic(
        Name=f'packaged-rides-{uuid.uuid4().hex[:8]}')['TopicArn']
    aws_client('ssm', moto_server).put_parameter(
        Name='/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn', Type='String',
        Value=FLEET_ARN, Overwrite=True)
    event = json.loads((EVENTS / 'post_ride_apigw.json').read_text())
    unicorn = {'Name': 'Shadowfax', 'Color': 'White', 'Gender': 'Male'}

    with FakeLambdaServer(default=unicorn_answer(unicorn)) as fleet:
        env = dict(stage_env(templates.RIDES), RIDES_SNS_TOPIC_ARN=topic,
                   AWS_ENDPOINT_URL=moto_server, AWS_ENDPOINT_URL_LAMBDA=fleet.url)
        [response] = run_packaged(builds, templates.RIDES, lambda_runtime, env,
                                  [['app', event]], tmp_path, xray_daemon)

    assert response['statusCode'] == 201, response
    ride = json.loads(response['body'])
    assert ride['Unicorn']['Name'] == 'Shadowfax'
    [request] = fleet.requests  # found through SSM, since REQUEST_UNICORN_ARN is empty
    assert FLEET_ARN.replace(':', '%3A') in request['path']
    assert request['body']['RideId'] == ride['RideId']
    fleet_calls = [document for document in traced_documents(xray_daemon)
                   if document['name'] == '## fleet dispatch']
    assert [call['annotations'] for call in fleet_calls] == [
        {'RideId': ride['RideId'], 'Transport': 'invoke'}]


def test_the_ride_record_package_keeps_an_sns_delivered_ride_and_lists_it_on_its_own(
        builds, lambda_runtime, moto_server, tmp_path, xray_daemon):
    """The event is SNS's to Lambda (AWS Lambda developer guide, "Using Lambda
    with Amazon SNS"), with the EventType attribute rides publishes."""
    table = f'packaged-record-{uuid.uuid4().hex[:8]}'
    aws_client('dynamodb', moto_server).create_table(**record_schema.table_definition(table))
    event = json.loads((EVENTS / 'ride_requested_sns.json').read_text())
    ride = json.loads(event['Records'][0]['Sns']['Message'])

    env = dict(stage_env(templates.RECORD), RIDE_RECORD_TABLE=table,
               AWS_ENDPOINT_URL=moto_server)
    recorded, listed = run_packaged(
        builds, templates.RECORD, lambda_runtime, env,
        [['put_ride_record_sns', event], ['list_ride_records', {'RiderId': ride['RiderId']}]],
        tmp_path, xray_daemon)

    assert recorded is None
    [kept] = listed['Rides']
    assert (kept['RideId'], kept['Status'], kept['Unicorn']) == (
        ride['RideId'], 'active', ride['Unicorn'])
