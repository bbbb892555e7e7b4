"""The one provisioning sequence (`deploy.provision`), which the local stack
and the `chalice deploy` route both run: checked against moto, with the
fleet's functions answered by a fake Lambda."""
import io
import json

import boto3
import pytest

from deploy.dry_run import DryRunAws
from deploy.provision import Provisioner, ProvisioningFailed
from project.model import Project
from shared.adapters import fleet_schema
from tests.support import aws as aws_support

PROJECT = Project('dev')


class FakeLoader:
    """LoadTable as Lambda answers it: fails `failures` times, then loads."""

    def __init__(self, failures=0):
        self.failures = failures
        self.invoked = []

    def invoke(self, FunctionName, Payload):
        self.invoked.append(FunctionName)
        if len(self.invoked) <= self.failures:
            body = {'errorMessage': 'Task timed out', 'errorType': 'Sandbox.Timedout'}
            return {'StatusCode': 200, 'FunctionError': 'Unhandled',
                    'Payload': io.BytesIO(json.dumps(body).encode())}
        return {'StatusCode': 200, 'Payload': io.BytesIO(b'{"Loaded": 16, "Removed": []}')}


def provisioner(loader):
    def clients(service):
        return loader if service == 'lambda' else boto3.client(service,
                                                               region_name=aws_support.REGION)
    return Provisioner(PROJECT, clients)


def test_the_sequence_makes_every_resource_the_apps_read_with_the_model_names(aws):
    loader = FakeLoader()

    made = provisioner(loader).provision(lambda: PROJECT.fleet_function.arn,
                                         PROJECT.topic_arn())

    dynamodb = boto3.client('dynamodb', region_name=aws_support.REGION)
    table = dynamodb.describe_table(TableName=PROJECT.table_name)['Table']
    assert table['KeySchema'] == fleet_schema.table_definition(PROJECT.table_name)['KeySchema']
    ttl = dynamodb.describe_time_to_live(TableName=PROJECT.table_name)['TimeToLiveDescription']
    assert ttl['AttributeName'] == fleet_schema.TTL_ATTRIBUTE
    parameter = boto3.client('ssm', region_name=aws_support.REGION).get_parameter(
        Name=PROJECT.fleet_arn_parameter)['Parameter']
    assert parameter['Value'] == PROJECT.fleet_function.arn
    assert loader.invoked == [PROJECT.loader_function.deployed_name]
    assert made.loaded == {'Loaded': 16, 'Removed': []}
    assert made.topic_arn == PROJECT.topic_arn()


def test_an_existing_table_is_left_as_it_is(aws):
    dynamodb = boto3.client('dynamodb', region_name=aws_support.REGION)
    dynamodb.create_table(**fleet_schema.table_definition(PROJECT.table_name))

    assert provisioner(FakeLoader()).create_table() == PROJECT.table_name
    ttl = dynamodb.describe_time_to_live(TableName=PROJECT.table_name)['TimeToLiveDescription']
    assert ttl['TimeToLiveStatus'] == 'DISABLED'


def test_a_failing_catalog_load_is_tried_again_only_as_often_as_asked(aws):
    assert provisioner(FakeLoader(failures=2)).load_catalog(attempts=3) == {
        'Loaded': 16, 'Removed': []}

    loader = FakeLoader(failures=3)
    with pytest.raises(ProvisioningFailed, match='Sandbox.Timedout: Task timed out'):
        provisioner(loader).load_catalog(attempts=3)
    assert len(loader.invoked) == 3


def test_a_topic_that_is_not_the_one_rides_publishes_to_fails_the_sequence(aws):
    with pytest.raises(ProvisioningFailed, match='rides publishes to'):
        provisioner(FakeLoader()).create_topic('arn:aws:sns:us-east-1:999999999999:other')


def test_a_dry_run_prints_the_same_sequence_and_sends_nothing():
    out = io.StringIO()

    made = Provisioner(PROJECT, DryRunAws(out)).provision(
        lambda: PROJECT.fleet_function.arn, PROJECT.topic_arn())

    text = out.getvalue()
    steps = ['would call dynamodb.create_table', 'would wait for dynamodb table_exists',
             'would call dynamodb.update_time_to_live', 'would call ssm.put_parameter',
             'would call lambda.invoke', 'would call sns.create_topic']
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert made.topic_arn == PROJECT.topic_arn()


def test_the_sequence_makes_the_riders_pool_and_publishes_its_ids_under_the_model_names(aws):
    made = provisioner(FakeLoader()).provision(lambda: PROJECT.fleet_function.arn,
                                               PROJECT.topic_arn())

    ssm = boto3.client('ssm', region_name=aws_support.REGION)
    assert ssm.get_parameter(Name=PROJECT.user_pool_id_parameter)['Parameter']['Value'] == (
        made.user_pool_id)
    assert ssm.get_parameter(Name=PROJECT.user_pool_client_id_parameter)['Parameter'][
        'Value'] == made.user_pool_client_id
    pool = boto3.client('cognito-idp', region_name=aws_support.REGION).describe_user_pool(
        UserPoolId=made.user_pool_id)['UserPool']
    assert pool['Arn'] == made.user_pool_arn
    assert pool['Name'] == PROJECT.user_pool_name


def test_provisioning_again_keeps_the_pool_and_client_and_so_the_riders(aws):
    first = provisioner(FakeLoader()).create_riders_pool()
    cognito = boto3.client('cognito-idp', region_name=aws_support.REGION)
    cognito.admin_create_user(UserPoolId=first.user_pool_id, Username='rider@example.com')

    again = provisioner(FakeLoader()).create_riders_pool()

    assert again == first
    assert len(cognito.list_user_pools(MaxResults=10)['UserPools']) == 1
    assert len(cognito.list_users(UserPoolId=first.user_pool_id)['Users']) == 1


def test_a_parameter_naming_a_pool_that_is_gone_gets_a_new_pool(aws):
    first = provisioner(FakeLoader()).create_riders_pool()
    boto3.client('cognito-idp', region_name=aws_support.REGION).delete_user_pool(
        UserPoolId=first.user_pool_id)

    again = provisioner(FakeLoader()).create_riders_pool()

    assert again.user_pool_id != first.user_pool_id
    ssm = boto3.client('ssm', region_name=aws_support.REGION)
    assert ssm.get_parameter(Name=PROJECT.user_pool_id_parameter)['Parameter']['Value'] == (
        again.user_pool_id)
