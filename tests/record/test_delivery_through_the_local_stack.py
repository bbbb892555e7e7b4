"""Ride events through the real local delivery path: published to the rides
topic with boto3, delivered by the local SNS delivery as an `Event` invoke of
PutRideRecordSns in the local Lambda runtime (its retries included), and read
back by invoking ListRideRecords and from the table. Nothing here calls a
handler directly. `POST /record` goes to ride-record's own `chalice local`.

A poison message fails three times (Lambda's first attempt and two retries)
and then lands in the dead-letter queue as `DeadLetterConfig` sends it: the
original event unchanged as the body, and the `RequestID`, `ErrorCode` and
`ErrorMessage` attributes (Lambda developer guide, "Dead-letter queues")."""
import json
import time

import pytest
import requests

from local_stack import testing
from project.model import Project
from tests.support.ride_events import cancelled, completed, new_ride_id, requested, sns_message

pytestmark = pytest.mark.stack

PROJECT = Project('dev')
TOPIC_ARN = PROJECT.topic_arn()
RECORDER = PROJECT.recorder_function.deployed_name


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack() as running:
        yield running


class Deliveries:
    """Publishes to the rides topic and waits until the runtime has run
    every delivery to its end (done, or sent to the dead-letter queue)."""

    def __init__(self, stack):
        self.stack = stack
        self.sns = stack.client('sns')
        self.lambda_client = stack.lambda_client(read_timeout=30)

    def finished(self):
        lines = self.stack.log_text().splitlines()
        return sum(1 for line in lines if line.startswith(f'event  {RECORDER} ') and
                   (line.endswith(': done') or 'failed after' in line))

    def publish(self, *bodies, raw=None):
        before = self.finished()
        messages = [sns_message(body) for body in bodies] + [(text, {}) for text in raw or ()]
        for message, attributes in messages:
            self.sns.publish(TopicArn=TOPIC_ARN, Message=message, MessageAttributes=attributes)
        deadline = time.monotonic() + 30
        while self.finished() < before + len(messages):
            assert time.monotonic() < deadline, self.stack.log_text()[-4000:]
            time.sleep(0.05)

    def history(self, rider_id, **query):
        response = self.lambda_client.invoke(
            FunctionName=self.stack.history_arn,
            Payload=json.dumps({'RiderId': rider_id, **query}).encode())
        answer = json.loads(response['Payload'].read())
        assert 'FunctionError' not in response, answer
        return answer

    def stored(self, ride_id):
        return self.stack.client('dynamodb').get_item(
            TableName=PROJECT.record_table_name, Key={'RideId': {'S': ride_id}},
            ConsistentRead=True)['Item']


@pytest.fixture(scope='module')
def deliveries(stack):
    return Deliveries(stack)


def test_a_published_ride_reaches_its_riders_history(deliveries):
    ride_id = new_ride_id()
    deliveries.publish(requested(ride_id, rider_id='rider-a'))

    ride, = deliveries.history('rider-a')['Rides']
    assert ride['RideId'] == ride_id
    assert ride['Status'] == 'active'
    assert ride['Unicorn'] == {'Name': 'Shadowfax', 'Color': 'White'}


def test_a_duplicate_delivery_changes_nothing(deliveries):
    ride_id = new_ride_id()
    deliveries.publish(requested(ride_id, rider_id='rider-b'),
                       completed(ride_id, rider_id='rider-b'))
    before = deliveries.stored(ride_id)

    deliveries.publish(requested(ride_id, rider_id='rider-b'),
                       completed(ride_id, rider_id='rider-b'))

    assert deliveries.stored(ride_id) == before
    rides = deliveries.history('rider-b')['Rides']
    assert [(ride['RideId'], ride['Status']) for ride in rides] == [(ride_id, 'completed')]


def test_a_completion_delivered_before_its_request_still_ends_completed(deliveries):
    ride_id = new_ride_id()
    deliveries.publish(completed(ride_id, rider_id='rider-c', minute=9))
    assert deliveries.history('rider-c')['Rides'] == []  # nothing to show yet

    deliveries.publish(requested(ride_id, rider_id='rider-c'))

    ride, = deliveries.history('rider-c')['Rides']
    assert ride['Status'] == 'completed'
    assert ride['Unicorn']['Name'] == 'Shadowfax'


def test_a_cancelled_ride_never_shows_as_active(deliveries):
    ride_id = new_ride_id()
    deliveries.publish(cancelled(ride_id, rider_id='rider-d'))
    deliveries.publish(requested(ride_id, rider_id='rider-d'))

    ride, = deliveries.history('rider-d')['Rides']
    assert ride['Status'] == 'cancelled'


def test_pagination_through_the_runtime_is_20_20_5_newest_first(deliveries):
    bodies = [requested(new_ride_id(), rider_id='rider-e', minute=minute)
              for minute in range(45)]
    deliveries.publish(*bodies)
    newest_first = [body['RideId'] for body in reversed(bodies)]

    pages, query = [], {}
    while True:
        page = deliveries.history('rider-e', **query)
        pages.append([ride['RideId'] for ride in page['Rides']])
        if 'NextToken' not in page:
            break
        query = {'NextToken': page['NextToken']}

    assert [len(page) for page in pages] == [20, 20, 5]
    assert sum(pages, []) == newest_first
    assert deliveries.history('rider-e', Limit=5)['Rides'][0]['RideId'] == newest_first[0]


def test_a_rider_never_sees_another_riders_rides_nor_uses_their_token(deliveries):
    theirs = [requested(new_ride_id(), rider_id='rider-f', minute=m) for m in range(3)]
    mine = requested(new_ride_id(), rider_id='rider-g')
    deliveries.publish(*theirs, mine)

    assert [ride['RideId'] for ride in deliveries.history('rider-g')['Rides']] == \
        [mine['RideId']]
    their_token = deliveries.history('rider-f', Limit=1)['NextToken']
    assert deliveries.history('rider-g', NextToken=their_token)['Code'] == 'InvalidNextToken'


@pytest.mark.parametrize('poison', ['not json', '{"EventType": "RideCompleted"}'])
def test_a_poison_message_is_retried_then_lands_in_the_dead_letter_queue(
        stack, deliveries, poison):
    deliveries.publish(raw=[poison])

    sqs = stack.client('sqs')
    url = sqs.get_queue_url(QueueName=PROJECT.record_dlq_name)['QueueUrl']
    message, = sqs.receive_message(QueueUrl=url, MessageAttributeNames=['All'],
                                   WaitTimeSeconds=5)['Messages']
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message['ReceiptHandle'])
    event = json.loads(message['Body'])
    assert event['Records'][0]['Sns']['Message'] == poison  # the event, unchanged
    attributes = message['MessageAttributes']
    assert attributes['ErrorCode'] == {'DataType': 'Number', 'StringValue': '200'}
    assert attributes['RequestID']['DataType'] == 'String'
    request_id = attributes['RequestID']['StringValue']
    log = stack.log_text().splitlines()
    retried = [line for line in log if line.startswith(f'event  {RECORDER} {request_id}: '
                                                      'InvalidRequest (attempt')]
    assert len(retried) == 2  # the first attempt and the first retry; then the last one
    assert f'event  {RECORDER} {request_id}: failed after 3 attempts: InvalidRequest; ' \
           f'sent to dead-letter queue {PROJECT.record_dlq_name}' in log
    assert attributes['ErrorMessage']['DataType'] == 'String'
    assert attributes['ErrorMessage']['StringValue'] in ('the message is not valid JSON',
                                                         'RideId must be a string holding a UUID')


# -- what make run serves and publishes for ride-record -------------------------------

def test_ride_records_parameters_name_its_local_function_and_url(stack):
    ssm = stack.client('ssm')
    assert ssm.get_parameter(Name=PROJECT.history_arn_parameter)['Parameter']['Value'] == \
        stack.history_arn == PROJECT.history_function.arn
    assert ssm.get_parameter(Name=PROJECT.record_url_parameter)['Parameter']['Value'] == \
        f'{stack.record_url}/'


def test_post_record_on_ride_records_chalice_local_keeps_the_event(stack, deliveries):
    ride_id = new_ride_id()
    answer = requests.post(f'{stack.record_url}/record', json=requested(ride_id, 'rider-h'),
                           timeout=30)

    assert answer.status_code == 200, answer.text
    assert answer.json()['Status'] == 'active'
    assert [ride['RideId'] for ride in deliveries.history('rider-h')['Rides']] == [ride_id]


def test_post_record_on_chalice_local_answers_400_naming_the_field(stack):
    body = requested(new_ride_id(), 'rider-i')
    del body['PickupLocation']

    answer = requests.post(f'{stack.record_url}/record', json=body, timeout=30)

    assert answer.status_code == 400
    assert answer.json() == {'Code': 'BadRequestError', 'Message': 'PickupLocation is required'}
