"""AWS resources for tests, made in moto from the same definitions a deploy uses."""
import json
import threading
import time

import boto3

from project.model import LOCAL_REGION as REGION
from project.model import ChaliceApp, Project
from shared.adapters import fleet_schema
from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore
from shared.domain.catalog import load_fleet, read_catalog

PROJECT = Project('dev')
CATALOG_PATH = PROJECT.catalog_path


def stage_environment(app_dir, stage='dev'):
    """The stage's environment variables, as the deploy would set them."""
    return ChaliceApp(app_dir, stage).stage_environment()


def catalog():
    return read_catalog(CATALOG_PATH)


class AtomicWrites:
    """A DynamoDB client whose writes run one at a time. DynamoDB applies
    each conditional write and each transaction atomically (transactions on
    the same items are serialized); moto, called from several threads,
    checks and writes without isolation. Reads stay concurrent."""

    WRITES = ('transact_write_items', 'update_item', 'put_item', 'delete_item')

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name not in self.WRITES:
            return attribute

        def write(**kwargs):
            with self._lock:
                return attribute(**kwargs)
        return write


def create_fleet_table(table_name, unicorns=None, atomic_writes=False):
    client = boto3.client('dynamodb', region_name=REGION)
    client.create_table(**fleet_schema.table_definition(table_name))
    store = DynamoDbFleetStore(AtomicWrites(client) if atomic_writes else client, table_name)
    if unicorns is not None:
        load_fleet(store, unicorns)
    return store


def held_unicorns(store, now=None):
    """{unicorn name: ride id} for every unicorn on a ride at `now`."""
    now = time.time() if now is None else now
    held = {}
    for name in store.unicorn_names():
        unicorn = store.unicorn(name)
        if unicorn['BusyUntil'] >= now:
            held[name] = unicorn.get('RideId')
    return held


class RidesTopic:
    """The rides topic with an SQS queue subscribed (raw delivery, as SNS
    hands messages and their attributes to a queue), to see what was published."""

    # What an event adds to the ride it is about.
    EVENT_FIELDS = ('EventType', 'EventTime')

    def __init__(self, topic_name):
        self.sns = boto3.client('sns', region_name=REGION)
        self.sqs = boto3.client('sqs', region_name=REGION)
        self.arn = self.sns.create_topic(Name=topic_name)['TopicArn']
        self.queue_url = self.sqs.create_queue(QueueName=topic_name + '-audit')['QueueUrl']
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        self.sns.subscribe(TopicArn=self.arn, Protocol='sqs', Endpoint=queue_arn,
                           Attributes={'RawMessageDelivery': 'true'})

    def published_rides(self):
        """Every ride requested since the last look (the RideRequested
        events, as the rider got the ride: without the event's own fields)."""
        return [{key: value for key, value in event.items() if key not in self.EVENT_FIELDS}
                for event, _ in self.published_events()
                if event.get('EventType') == 'RideRequested']

    def published_events(self):
        """[(body, {attribute name: string value})] of every message since the
        last look, in the order the queue gives them (drains the queue)."""
        events = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                MessageAttributeNames=['All']).get('Messages', [])
            if not messages:
                return events
            for message in messages:
                attributes = {name: value['StringValue'] for name, value
                              in message.get('MessageAttributes', {}).items()}
                events.append((json.loads(message['Body']), attributes))
                self.sqs.delete_message(QueueUrl=self.queue_url,
                                        ReceiptHandle=message['ReceiptHandle'])
