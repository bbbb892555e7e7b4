"""LoadTable as a CloudFormation custom resource: every event is answered
at its ResponseURL (a real HTTP server on 127.0.0.1 here), so a stack never
waits an hour for a function that failed."""
import json
import threading
import time

import pytest
from chalice.test import Client

from shared.adapters import custom_resource
from tests.deploy.response_server import ResponseServer
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR

CATALOG_NAMES = {unicorn['Name'] for unicorn in aws_support.catalog()}
STACK_ID = ('arn:aws:cloudformation:us-east-1:123456789012:stack/'
            'wild-rydes-ride-fleet-dev/5b2a1e70-0000-11ef-8000-0a1b2c3d4e5f')


def event(server, request_type, **extra):
    """What CloudFormation sends to a custom resource's ServiceToken."""
    return dict({
        'RequestType': request_type,
        'ServiceToken': 'arn:aws:lambda:us-east-1:123456789012:function:'
                        'wild-rydes-ride-fleet-dev-LoadTable',
        'ResponseURL': server.response_url(),
        'StackId': STACK_ID,
        'RequestId': f'req-{request_type.lower()}',
        'LogicalResourceId': 'FleetCatalog',
        'ResourceType': 'AWS::CloudFormation::CustomResource',
        'ResourceProperties': {'ServiceToken': 'x', 'CatalogSha256': 'abc'},
    }, **extra)


def invoke(fleet_module, payload):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        result = client.lambda_.invoke('LoadTable', json.loads(json.dumps(payload))).payload
    return json.loads(json.dumps(result))


@pytest.fixture
def response_server():
    with ResponseServer() as server:
        yield server


def test_create_loads_the_table_and_answers_success_with_the_documented_fields(
        fleet_module, empty_fleet_table, response_server):
    invoke(fleet_module, event(response_server, 'Create'))

    [request] = response_server.requests
    assert request['path'].startswith('/cloudformation-response?X-Amz-Signature=')
    assert request['headers'].get('Content-Type', '') == ''  # the URL is signed for none
    document = request['body']
    assert document == {
        'Status': 'SUCCESS', 'Reason': 'Create done',
        'PhysicalResourceId': 'FleetCatalog-req-create', 'StackId': STACK_ID,
        'RequestId': 'req-create', 'LogicalResourceId': 'FleetCatalog',
        'Data': {'Loaded': len(CATALOG_NAMES)}}
    assert set(empty_fleet_table.unicorn_names()) == CATALOG_NAMES


def test_update_reloads_and_keeps_the_physical_resource_id(
        fleet_module, empty_fleet_table, response_server):
    empty_fleet_table.put_unicorn({'Name': 'Retired', 'Color': 'Grey', 'DeviceId': 'd'}, 99)

    invoke(fleet_module, event(response_server, 'Update', PhysicalResourceId='FleetCatalog-1',
                               OldResourceProperties={'CatalogSha256': 'old'}))

    [document] = response_server.documents
    assert document['Status'] == 'SUCCESS'
    assert document['PhysicalResourceId'] == 'FleetCatalog-1'
    assert set(empty_fleet_table.unicorn_names()) == CATALOG_NAMES  # Retired is gone


def test_delete_succeeds_without_touching_anything_even_when_the_table_is_gone(
        fleet_module, aws, response_server):
    invoke(fleet_module, event(response_server, 'Delete', PhysicalResourceId='FleetCatalog-1'))

    [document] = response_server.documents
    assert document['Status'] == 'SUCCESS'
    assert document['PhysicalResourceId'] == 'FleetCatalog-1'


def test_a_failed_load_answers_failed_with_the_reason_instead_of_raising(
        fleet_module, aws, response_server):
    # No table: DynamoDB refuses the first write.
    invoke(fleet_module, event(response_server, 'Create'))

    [document] = response_server.documents
    assert document['Status'] == 'FAILED'
    assert 'ResourceNotFoundException' in document['Reason']
    assert document['PhysicalResourceId'] == 'FleetCatalog-req-create'
    assert len(json.dumps(document)) < 4096


def test_a_plain_empty_payload_still_loads_the_table_and_answers_no_one(
        fleet_module, empty_fleet_table, response_server):
    assert invoke(fleet_module, {}) == {'Loaded': len(CATALOG_NAMES), 'Removed': []}
    assert response_server.requests == []


class SlowContext:
    log_stream_name = '2026/11/26/[$LATEST]abc'

    def __init__(self, remaining_seconds):
        self._deadline = time.monotonic() + remaining_seconds

    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)


def test_work_that_outlives_the_function_is_answered_failed_before_the_deadline(
        response_server):
    finished = threading.Event()

    def slow_load():
        time.sleep(0.8)
        finished.set()
        return {'Loaded': 1}

    context = SlowContext(custom_resource.DEADLINE_MARGIN_SECONDS + 0.2)
    sent = custom_resource.handle(event(response_server, 'Create'), context, slow_load)

    assert finished.is_set()
    [document] = response_server.documents  # one answer only, the timer's
    assert document['Status'] == 'FAILED' and 'ran out of time' in document['Reason']
    assert sent == document


def test_an_answer_cloudformation_refuses_is_retried_then_raised():
    with ResponseServer(status=500) as server:
        with pytest.raises(OSError):
            custom_resource.handle(event(server, 'Delete'), None, dict)
        assert len(server.requests) == custom_resource.PUT_ATTEMPTS


def test_only_cloudformation_events_are_taken_for_custom_resource_events(response_server):
    assert custom_resource.is_custom_resource_event(event(response_server, 'Create'))
    assert not custom_resource.is_custom_resource_event({})
    assert not custom_resource.is_custom_resource_event(None)
    assert not custom_resource.is_custom_resource_event({'RequestType': 'Create'})


# CloudFormation's ResponseURL is a pre-signed S3 URL in the stack's partition
# (AWS docs, "Custom resource request objects": "The response URL identifies a
# presigned S3 bucket"), e.g. https://cloudformation-custom-resource-response-
# useast1.s3.amazonaws.com/... ; nothing else is answered.
@pytest.mark.parametrize('url, partition', [
    ('https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3A?X-Amz-Signature=a',
     'aws'),
    ('https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x?y=z', 'aws'),
    ('https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/x', 'aws'),
    ('https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x',
     'aws-cn'),
    ('https://s3.us-gov-west-1.amazonaws.com/cloudformation-custom-resource-response-usgovwest1/x',
     'aws-us-gov'),
])
def test_cloudformations_s3_pre_signed_urls_are_trusted(url, partition):
    assert custom_resource.is_s3_presigned_url(url, partition)


@pytest.mark.parametrize('url, partition', [
    ('file:///etc/passwd', 'aws'),
    ('http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x', 'aws'),
    ('https://169.254.169.254/latest/meta-data/', 'aws'),
    ('https://attacker.example/s3.amazonaws.com', 'aws'),
    ('https://s3.amazonaws.com.attacker.example/x', 'aws'),
    ('https://lambda.us-east-1.amazonaws.com/x', 'aws'),
    ('https://bucket.s3.amazonaws.com:8443/x', 'aws'),
    ('https://user:pw@bucket.s3.amazonaws.com/x', 'aws'),
    ('https://bucket.s3.cn-north-1.amazonaws.com.cn/x', 'aws'),  # another partition's
    ('https://bucket.s3.amazonaws.com/x', 'aws-cn'),
    ('https://bucket.s3.amazonaws.com/x', ''),  # StackId is no ARN
    (None, 'aws'),
])
def test_any_other_response_url_is_untrusted(url, partition):
    assert not custom_resource.is_s3_presigned_url(url, partition)


def test_an_untrusted_response_url_is_logged_not_fetched_and_the_invocation_fails(
        response_server, caplog):
    ran = []
    bad = event(response_server, 'Create', ResponseURL=response_server.url + '/steal')

    with pytest.raises(custom_resource.UntrustedResponseURL, match='not an https S3 pre-signed URL'):
        custom_resource.handle(bad, None, lambda: ran.append(1))

    assert response_server.requests == []
    assert ran == []  # no work either
    assert 'refused to answer a custom resource event' in caplog.text


def test_a_file_url_through_the_deployed_handler_fails_the_invocation_and_reads_nothing(
        fleet_module, aws, response_server):
    with pytest.raises(custom_resource.UntrustedResponseURL):
        invoke(fleet_module, event(response_server, 'Delete', ResponseURL='file:///etc/passwd'))

    assert response_server.requests == []


def test_a_stack_in_another_partition_is_answered_only_on_that_partitions_s3(response_server):
    china_stack = 'arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/fleet/1'

    with pytest.raises(custom_resource.UntrustedResponseURL):
        custom_resource.handle(event(response_server, 'Delete', StackId=china_stack), None, dict)
    assert response_server.requests == []
