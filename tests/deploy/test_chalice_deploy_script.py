"""The helper around plain `chalice deploy`: it makes the table, the SSM
parameter and the topic Chalice does not, in the order rides needs."""
import io

import boto3
import pytest

from deploy import chalice_deploy, templates
from project.model import ChaliceApp, Project
from shared.adapters import fleet_schema
from tests.support import aws as aws_support

TABLE_NAME = Project('dev').table_name
FLEET_ARN = ('arn:aws:lambda:us-east-1:123456789012:function:'
             'wild-rydes-ride-fleet-dev-RequestUnicornInvoke')


class FakeLambda:
    def __init__(self):
        self.invoked = []

    def invoke(self, FunctionName, Payload):
        self.invoked.append((FunctionName, Payload))
        return {'StatusCode': 200}


def test_a_dry_run_lists_the_steps_in_order_and_calls_nothing(monkeypatch):
    monkeypatch.setattr(boto3.session.Session, 'client', pytest.fail)
    out = io.StringIO()

    chalice_deploy.main(['--stage', 'dev', '--dry-run'], out=out)

    text = out.getvalue()
    steps = ['dynamodb.create_table', 'chalice deploy ride_fleet', 'ssm.put_parameter',
             'lambda.invoke', 'sns.create_topic', 'chalice deploy rides', 'rides URL']
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


def test_a_deploy_makes_the_table_parameter_and_topic_around_the_chalice_runs(aws):
    commands, fake_lambda = [], FakeLambda()

    def clients(service):
        if service == 'lambda':
            return fake_lambda
        return boto3.client(service, region_name=aws_support.REGION)

    job = chalice_deploy.ChaliceDeploy(
        'dev', clients, commands.append, out=io.StringIO(),
        read_deployed=lambda app, name, key: (
            FLEET_ARN if name == 'RequestUnicornInvoke' else 'https://abc.execute-api/api/'))
    job.deploy()

    assert [command[3:5] for command in commands] == [['deploy', '--stage'], ['deploy', '--stage']]
    assert [command[2] for command in commands] == [
        str(templates.FLEET.directory), str(templates.RIDES.directory)]
    dynamodb = boto3.client('dynamodb', region_name=aws_support.REGION)
    table = dynamodb.describe_table(TableName=TABLE_NAME)['Table']
    expected = fleet_schema.table_definition(TABLE_NAME)
    assert table['KeySchema'] == expected['KeySchema']
    assert {index['IndexName'] for index in table['GlobalSecondaryIndexes']} == {
        fleet_schema.SLOT_INDEX, fleet_schema.AVAILABILITY_INDEX}
    ttl = dynamodb.describe_time_to_live(TableName=TABLE_NAME)
    assert ttl['TimeToLiveDescription']['AttributeName'] == fleet_schema.TTL_ATTRIBUTE
    parameter = boto3.client('ssm', region_name=aws_support.REGION).get_parameter(
        Name='/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn')['Parameter']
    assert parameter['Value'] == FLEET_ARN
    assert fake_lambda.invoked == [('wild-rydes-ride-fleet-dev-LoadTable', b'{}')]
    topics = boto3.client('sns', region_name=aws_support.REGION).list_topics()['Topics']
    assert {'TopicArn': 'arn:aws:sns:us-east-1:123456789012:wild-rydes-dev-rides'} in topics


def test_a_topic_arn_that_does_not_fit_the_account_stops_before_anything_is_made(aws, monkeypatch):
    monkeypatch.setattr(ChaliceApp, 'stage_environment', lambda app: {
        'RIDES_SNS_TOPIC_ARN': 'arn:aws:sns:us-east-1:999:other', 'DYNAMODB_TABLE': 't'})
    commands = []
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        commands.append, out=io.StringIO())

    with pytest.raises(SystemExit, match='set RIDES_SNS_TOPIC_ARN'):
        job.deploy()
    assert commands == []
