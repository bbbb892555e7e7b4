"""moto's model objects are freed once moto drops them (`local_stack.moto_memory`):
its instance tracking, kept only for `/moto-api/data.json`, held every
object moto ever made, such as the table copies TransactWriteItems makes
for its rollback."""
import gc

import boto3
from moto import mock_aws

from local_stack import moto_memory

TABLE = 'moto-memory-test'


def transact_and_collect(client, rounds):
    for number in range(rounds):
        client.transact_write_items(TransactItems=[
            {'Put': {'TableName': TABLE, 'Item': {'Key': {'S': f'item-{number % 3}'}}}},
            {'Update': {'TableName': TABLE, 'Key': {'Key': {'S': 'counter'}},
                        'UpdateExpression': 'ADD Seen :one',
                        'ExpressionAttributeValues': {':one': {'N': '1'}}}}])
    gc.collect()


def test_the_table_copies_of_transactions_are_freed_and_live_models_stay_listed():
    moto_memory.install()
    from moto.dynamodb.models.table import Table

    with mock_aws():
        client = boto3.client('dynamodb', region_name='us-east-1')
        client.create_table(TableName=TABLE, BillingMode='PAY_PER_REQUEST',
                            KeySchema=[{'AttributeName': 'Key', 'KeyType': 'HASH'}],
                            AttributeDefinitions=[{'AttributeName': 'Key',
                                                   'AttributeType': 'S'}])
        transact_and_collect(client, 20)
        tables = [obj for obj in gc.get_objects()
                  if isinstance(obj, Table) and obj.name == TABLE]
        listed = [table for table in Table.instances_tracked if table.name == TABLE]
        counter = client.get_item(TableName=TABLE, Key={'Key': {'S': 'counter'}})['Item']
    assert len(tables) == 1            # the table itself; none of its 40 rollback copies
    assert listed == tables            # what /moto-api/data.json lists
    assert counter['Seen'] == {'N': '20'}


def test_installing_twice_changes_nothing():
    moto_memory.install()
    from moto.core.common_models import BaseModel
    new = BaseModel.__new__
    moto_memory.install()
    assert BaseModel.__new__ is new
