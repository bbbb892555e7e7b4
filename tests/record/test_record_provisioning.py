"""ride-record's part of the one provisioning sequence (`deploy.provision`),
against moto: the table and index from the schema the template uses, the
dead-letter queue and the two SSM parameters, all with the model's names."""
import boto3

from deploy.provision import DLQ_RETENTION_SECONDS, Provisioner
from project.model import Project
from shared.adapters import record_schema
from tests.support import aws as aws_support

PROJECT = Project('dev')
RECORD_URL = 'http://127.0.0.1:8002/'


def client(service):
    return boto3.client(service, region_name=aws_support.REGION)


def provision_record():
    return Provisioner(PROJECT, client).provision_record(
        lambda: (PROJECT.history_function.arn, RECORD_URL))


def test_the_record_table_has_the_schemas_keys_and_rider_index(aws):
    made = provision_record()

    table = client('dynamodb').describe_table(TableName=PROJECT.record_table_name)['Table']
    definition = record_schema.table_definition(PROJECT.record_table_name)
    assert made.table == PROJECT.record_table_name
    assert table['KeySchema'] == definition['KeySchema']
    index, = table['GlobalSecondaryIndexes']
    assert index['IndexName'] == record_schema.RIDER_INDEX
    assert index['KeySchema'] == record_schema.rider_index()['KeySchema']


def test_the_dead_letter_queue_keeps_messages_as_long_as_sqs_allows(aws):
    made = provision_record()

    sqs = client('sqs')
    url = sqs.get_queue_url(QueueName=PROJECT.record_dlq_name)['QueueUrl']
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']
    assert made.dlq_arn == attributes['QueueArn']
    assert attributes['MessageRetentionPeriod'] == str(DLQ_RETENTION_SECONDS) == '1209600'


def test_the_parameters_publish_the_history_functions_arn_and_the_url(aws):
    provision_record()

    ssm = client('ssm')
    assert ssm.get_parameter(Name=PROJECT.history_arn_parameter)['Parameter']['Value'] == \
        PROJECT.history_function.arn
    assert ssm.get_parameter(Name=PROJECT.record_url_parameter)['Parameter']['Value'] == \
        RECORD_URL


def test_running_it_again_keeps_what_is_there(aws):
    provision_record()
    sqs = client('sqs')
    url = sqs.get_queue_url(QueueName=PROJECT.record_dlq_name)['QueueUrl']
    sqs.send_message(QueueUrl=url, MessageBody='a failed event')
    client('dynamodb').put_item(TableName=PROJECT.record_table_name,
                                Item={'RideId': {'S': 'kept'}})

    provision_record()

    assert client('dynamodb').get_item(TableName=PROJECT.record_table_name,
                                       Key={'RideId': {'S': 'kept'}}).get('Item')
    assert sqs.receive_message(QueueUrl=url)['Messages'][0]['Body'] == 'a failed event'


def test_delete_record_removes_it_all_and_may_run_twice(aws):
    provision_record()
    provisioner = Provisioner(PROJECT, client)

    provisioner.delete_record()
    provisioner.delete_record()

    assert PROJECT.record_table_name not in client('dynamodb').list_tables()['TableNames']
    assert not client('sqs').list_queues().get('QueueUrls')
    assert not client('ssm').get_parameters(
        Names=[PROJECT.history_arn_parameter, PROJECT.record_url_parameter])['Parameters']
