"""SNS delivers locally: a message published through the endpoint with boto3
reaches a subscribed Chalice `@app.on_sns_message` function, run by the local
runtime with the event SNS sends, and a subscribed SQS queue; each delivery
is a line on the console.

The event's shape is AWS's: the sample event of "Using Lambda with Amazon
SNS" and LocalStack's snapshot recorded from AWS
(`TestSNSSubscriptionLambda::test_sns_topic_as_lambda_dead_letter_queue`:
`Subject` null without a subject, `MessageAttributes` `{}` without any)."""
import base64
import json
import time
import uuid
from datetime import datetime

import pytest

from local_stack import function_arn, testing
from tests.local_stack.conftest import FIXTURE_APPS

pytestmark = pytest.mark.stack

SUBSCRIBER = FIXTURE_APPS / 'subscriber'
RECORD = 'subscriber-dev-Record'
RECORD_KEYS = {'EventSource', 'EventVersion', 'EventSubscriptionArn', 'Sns'}
SNS_KEYS = {'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp',
            'SignatureVersion', 'Signature', 'SigningCertUrl', 'UnsubscribeUrl',
            'MessageAttributes'}


@pytest.fixture(scope='module')
def stack():
    with testing.local_endpoint(provision=False, extra_args=['--app', str(SUBSCRIBER)]) as running:
        yield running


@pytest.fixture(scope='module')
def sns(stack):
    return stack.client('sns')


@pytest.fixture
def topic(sns):
    """A fresh topic with the Record function subscribed, as a deploy of
    `@app.on_sns_message` subscribes it."""
    topic_arn = sns.create_topic(Name=f'rides-{uuid.uuid4().hex[:8]}')['TopicArn']
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol='lambda',
                                 Endpoint=function_arn(RECORD),
                                 ReturnSubscriptionArn=True)['SubscriptionArn']
    return topic_arn, subscription


def wait_for(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('not delivered in time')
        time.sleep(0.05)


def seen_by_function(path):
    return wait_for(lambda: path.exists() and path.stat().st_size and
                    json.loads(path.read_text()))


def test_a_subscribed_function_gets_the_event_sns_sends(stack, sns, topic, tmp_path):
    topic_arn, subscription = topic
    seen = tmp_path / 'seen.json'
    message = json.dumps({'write_to': str(seen), 'RideId': 'r-1'})
    published = sns.publish(TopicArn=topic_arn, Message=message, Subject='RideRequested',
                            MessageAttributes={
                                'kind': {'DataType': 'String', 'StringValue': 'RideRequested'},
                                'riders': {'DataType': 'Number', 'StringValue': '3'},
                                'blob': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01'}})
    event = seen_by_function(seen)['event']
    record, = event['Records']
    assert set(record) == RECORD_KEYS
    assert record['EventSource'] == 'aws:sns'
    assert record['EventVersion'] == '1.0'
    assert record['EventSubscriptionArn'] == subscription
    body = record['Sns']
    assert set(body) == SNS_KEYS
    assert body['Type'] == 'Notification'
    assert body['MessageId'] == published['MessageId']
    assert body['TopicArn'] == topic_arn
    assert body['Subject'] == 'RideRequested'
    assert body['Message'] == message
    assert body['SignatureVersion'] == '1'
    assert body['SigningCertUrl'].startswith('https://sns.us-east-1.amazonaws.com/')
    assert body['UnsubscribeUrl'] == ('https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe'
                                      f'&SubscriptionArn={subscription}')
    assert datetime.strptime(body['Timestamp'], '%Y-%m-%dT%H:%M:%S.%fZ')
    assert body['MessageAttributes'] == {
        'kind': {'Type': 'String', 'Value': 'RideRequested'},
        'riders': {'Type': 'Number', 'Value': '3'},
        'blob': {'Type': 'Binary', 'Value': base64.b64encode(b'\x00\x01').decode()}}


def test_chalice_hands_the_handler_its_sns_event(stack, sns, topic, tmp_path):
    topic_arn, _ = topic
    seen = tmp_path / 'seen.json'
    message = json.dumps({'write_to': str(seen)})
    sns.publish(TopicArn=topic_arn, Message=message, Subject='RideCompleted')
    view = seen_by_function(seen)
    assert view['subject'] == 'RideCompleted'
    assert view['message'] == message


def test_without_subject_or_attributes_they_are_null_and_empty(stack, sns, topic, tmp_path):
    topic_arn, _ = topic
    seen = tmp_path / 'seen.json'
    sns.publish(TopicArn=topic_arn, Message=json.dumps({'write_to': str(seen)}))
    body = seen_by_function(seen)['event']['Records'][0]['Sns']
    assert body['Subject'] is None
    assert body['MessageAttributes'] == {}


def test_each_delivery_is_one_line_on_the_console(stack, sns, topic, tmp_path):
    topic_arn, _ = topic
    seen = tmp_path / 'seen.json'
    published = sns.publish(TopicArn=topic_arn, Message=json.dumps({'write_to': str(seen)}))
    seen_by_function(seen)
    line = wait_for(lambda: next((line for line in stack.log_text().splitlines()
                                  if published['MessageId'] in line), None))
    assert line == (f'sns    {topic_arn.rsplit(":", 1)[1]} -> lambda {RECORD} 202 '
                    f'{published["MessageId"]}')
    assert f'lambda 202 {RECORD} (Event)' in stack.log_text()


def test_a_filter_policy_decides_what_the_function_gets(stack, sns, tmp_path):
    topic_arn = sns.create_topic(Name=f'filtered-{uuid.uuid4().hex[:8]}')['TopicArn']
    sns.subscribe(TopicArn=topic_arn, Protocol='lambda', Endpoint=function_arn(RECORD),
                  Attributes={'FilterPolicy': json.dumps({'kind': ['RideCompleted']})})
    skipped, delivered = tmp_path / 'skipped.json', tmp_path / 'delivered.json'
    message_ids = [sns.publish(TopicArn=topic_arn, Message=json.dumps({'write_to': str(path)}),
                               MessageAttributes={'kind': {'DataType': 'String',
                                                           'StringValue': kind}})['MessageId']
                   for kind, path in (('RideRequested', skipped), ('RideCompleted', delivered))]
    seen_by_function(delivered)
    assert not skipped.exists()
    assert message_ids[0] not in stack.log_text()  # deliveries are made in publish order


def test_a_json_message_structure_sends_the_function_its_own_text(stack, sns, topic, tmp_path):
    topic_arn, _ = topic
    seen = tmp_path / 'seen.json'
    for_lambda = json.dumps({'write_to': str(seen), 'for': 'lambda'})
    sns.publish(TopicArn=topic_arn, MessageStructure='json',
                Message=json.dumps({'default': 'for everyone else', 'lambda': for_lambda}))
    assert seen_by_function(seen)['message'] == for_lambda


# -- subscriptions made as a deploy makes them -----------------------------------

RIDES_TOPIC = 'arn:aws:sns:us-east-1:123456789012:wild-rydes-dev-rides'


def test_a_provisioned_stack_subscribes_each_sns_handler_to_its_topic(tmp_path):
    with testing.local_endpoint(extra_args=['--app', str(SUBSCRIBER)]) as provisioned:
        sns = provisioned.client('sns')
        subscribed = sns.list_subscriptions_by_topic(TopicArn=RIDES_TOPIC)['Subscriptions']
        # the fixture app's handler, and ride-record's PutRideRecordSns
        assert sorted((s['Protocol'], s['Endpoint']) for s in subscribed) == \
            [('lambda', function_arn(RECORD)),
             ('lambda', function_arn('wild-rydes-ride-record-dev-PutRideRecordSns'))]
        assert f'sns    {RECORD} subscribed to wild-rydes-dev-rides' in provisioned.log_text()
        seen = tmp_path / 'seen.json'
        sns.publish(TopicArn=RIDES_TOPIC, Message=json.dumps({'write_to': str(seen)}))
        assert seen_by_function(seen)['event']['Records'][0]['Sns']['TopicArn'] == RIDES_TOPIC


def test_a_handler_whose_topic_does_not_exist_is_not_subscribed_and_the_log_says_so(stack):
    """As a deploy fails on it: the stack below was started without provisioning."""
    line = next(line for line in stack.log_text().splitlines()
                if line.startswith(f'sns    {RECORD} not subscribed'))
    assert 'wild-rydes-dev-rides' in line
    topics = [t['TopicArn'] for t in stack.client('sns').list_topics()['Topics']]
    assert RIDES_TOPIC not in topics


# -- SQS -----------------------------------------------------------------------

@pytest.fixture
def queue(stack):
    sqs = stack.client('sqs')
    url = sqs.create_queue(QueueName=f'ride-audit-{uuid.uuid4().hex[:8]}')['QueueUrl']
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])[
        'Attributes']['QueueArn']
    return sqs, url, arn


def receive_one(sqs, url):
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                   MessageAttributeNames=['All'])['Messages']
    assert len(messages) == 1
    return messages[0]


def test_a_subscribed_queue_gets_the_sns_notification(stack, sns, queue):
    sqs, url, queue_arn = queue
    topic_arn = sns.create_topic(Name=f'rides-{uuid.uuid4().hex[:8]}')['TopicArn']
    sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn)
    published = sns.publish(TopicArn=topic_arn, Message='{"RideId": "r-2"}', Subject='Ride',
                            MessageAttributes={'kind': {'DataType': 'String',
                                                        'StringValue': 'RideRequested'}})
    notification = json.loads(receive_one(sqs, url)['Body'])
    assert notification['Type'] == 'Notification'
    assert notification['MessageId'] == published['MessageId']
    assert notification['TopicArn'] == topic_arn
    assert notification['Message'] == '{"RideId": "r-2"}'
    assert notification['Subject'] == 'Ride'
    assert notification['MessageAttributes'] == {'kind': {'Type': 'String',
                                                          'Value': 'RideRequested'}}
    assert f'sns    {topic_arn.rsplit(":", 1)[1]} -> sqs {queue_arn.rsplit(":", 1)[1]} ' \
           f'{published["MessageId"]}' in stack.log_text()


def test_raw_message_delivery_puts_the_message_itself_on_the_queue(stack, sns, queue):
    sqs, url, queue_arn = queue
    topic_arn = sns.create_topic(Name=f'rides-{uuid.uuid4().hex[:8]}')['TopicArn']
    sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn,
                  Attributes={'RawMessageDelivery': 'true'})
    sns.publish(TopicArn=topic_arn, Message='{"RideId": "r-3"}',
                MessageAttributes={'kind': {'DataType': 'String',
                                            'StringValue': 'RideRequested'}})
    message = receive_one(sqs, url)
    assert message['Body'] == '{"RideId": "r-3"}'
    assert message['MessageAttributes'] == {'kind': {'DataType': 'String',
                                                     'StringValue': 'RideRequested'}}
