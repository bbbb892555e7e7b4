"""The helper around plain `chalice deploy`: it makes the table, the SSM
parameters, the topic and the riders' user pool Chalice does not, in the
order rides needs, and throttles the rides stage; then ride-record's table,
queue and parameters, subscribed to the topic it finds in SSM."""
import io
from types import SimpleNamespace

import boto3
import pytest

from deploy import chalice_deploy, riders, templates, web_acl
from project.model import ChaliceApp, Project
from shared.adapters import fleet_schema
from tests.support import aws as aws_support

TABLE_NAME = Project('dev').table_name
FLEET_ARN = ('arn:aws:lambda:us-east-1:123456789012:function:'
             'wild-rydes-ride-fleet-dev-RequestUnicornInvoke')
HISTORY_ARN = ('arn:aws:lambda:us-east-1:123456789012:function:'
               'wild-rydes-ride-record-dev-ListRideRecords')
TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:wild-rydes-dev-rides'



class FakeLambda:
    def __init__(self):
        self.invoked = []
        self.configured = []

    def invoke(self, FunctionName, Payload):
        self.invoked.append((FunctionName, Payload))
        return {'StatusCode': 200}

    def get_waiter(self, name):
        return SimpleNamespace(wait=lambda **kwargs: self.configured.append(('wait', name)))

    def update_function_configuration(self, **kwargs):
        self.configured.append(('update_function_configuration', kwargs))

    def put_function_event_invoke_config(self, **kwargs):
        self.configured.append(('put_function_event_invoke_config', kwargs))


def test_a_dry_run_lists_the_steps_in_order_and_calls_nothing(monkeypatch):
    monkeypatch.setattr(boto3.session.Session, 'client', pytest.fail)
    out = io.StringIO()

    chalice_deploy.main(['--stage', 'dev', '--dry-run'], out=out)

    text = out.getvalue()
    steps = ['dynamodb.create_table', 'chalice deploy ride_fleet', 'ssm.put_parameter',
             'lambda.invoke', 'sns.create_topic', 'chalice deploy rides', 'rides URL']
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


def test_a_dry_run_creates_the_riders_pool_before_rides_is_deployed_with_its_arn(monkeypatch):
    monkeypatch.setattr(boto3.session.Session, 'client', pytest.fail)
    out = io.StringIO()

    chalice_deploy.main(['--stage', 'dev', '--dry-run'], out=out)

    text = out.getvalue()
    steps = ["cognito-idp.create_user_pool(PoolName='wild-rydes-dev-riders'",
             "cognito-idp.create_user_pool_client(UserPoolId=",
             "ssm.put_parameter(Name='/wild-rydes/dev/UserPoolId'",
             "ssm.put_parameter(Name='/wild-rydes/dev/UserPoolClientId'",
             'would run RIDERS_USER_POOL_ARN=arn:aws:cognito-idp:us-east-1:123456789012:userpool/',
             "apigateway.update_stage(", 'wafv2.create_web_acl(', 'wafv2.associate_web_acl(',
             'rides URL']
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "'/*/*/throttling/rateLimit', 'value': '50'" in text
    assert "'/*/*/throttling/burstLimit', 'value': '100'" in text


def rest_api_with_a_stage(name='api'):
    """What `chalice deploy rides` leaves: a REST API deployed to a stage."""
    apigateway = boto3.client('apigateway', region_name=aws_support.REGION)
    api_id = apigateway.create_rest_api(name='wild-rydes')['id']
    root = apigateway.get_resources(restApiId=api_id)['items'][0]['id']
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod='GET',
                          authorizationType='NONE')
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod='GET', type='MOCK')
    apigateway.create_deployment(restApiId=api_id, stageName=name)
    return api_id


def deployed_with(api_id):
    values = {'RequestUnicornInvoke': FLEET_ARN, 'ListRideRecords': HISTORY_ARN}

    def read_deployed(app, name, key):
        if key == 'rest_api_id':
            return api_id
        return values.get(name, 'https://abc.execute-api/api/')
    return read_deployed


def test_a_deploy_makes_the_table_parameter_and_topic_around_the_chalice_runs(aws):
    commands, fake_lambda = [], FakeLambda()

    def clients(service):
        if service == 'lambda':
            return fake_lambda
        return boto3.client(service, region_name=aws_support.REGION)

    job = chalice_deploy.ChaliceDeploy(
        'dev', clients, lambda command, variables: commands.append(command), out=io.StringIO(),
        read_deployed=deployed_with(rest_api_with_a_stage()))
    job.deploy()

    assert [command[3:5] for command in commands] == [['deploy', '--stage']] * 3
    assert [command[2] for command in commands] == [
        str(templates.FLEET.directory), str(templates.RIDES.directory),
        str(templates.RECORD.directory)]
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
        lambda command, variables: commands.append(command), out=io.StringIO())

    with pytest.raises(SystemExit, match='set RIDES_SNS_TOPIC_ARN'):
        job.deploy()
    assert commands == []


def deploy_recording_variables():
    runs = []
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: FakeLambda() if service == 'lambda' else boto3.client(
            service, region_name=aws_support.REGION),
        lambda command, variables: runs.append((command[2], dict(variables))),
        out=io.StringIO(), read_deployed=deployed_with(rest_api_with_a_stage()))
    job.deploy()
    return runs


def test_rides_is_deployed_with_the_arn_of_the_pool_the_deploy_made(aws):
    runs = deploy_recording_variables()

    cognito = boto3.client('cognito-idp', region_name=aws_support.REGION)
    [pool] = cognito.list_user_pools(MaxResults=10)['UserPools']
    arn = cognito.describe_user_pool(UserPoolId=pool['Id'])['UserPool']['Arn']
    assert runs[:2] == [(str(templates.FLEET.directory), {}),
                        (str(templates.RIDES.directory), {'RIDERS_USER_POOL_ARN': arn})]


def test_the_pool_and_client_are_made_as_the_template_declares_them(aws):
    deploy_recording_variables()

    cognito = boto3.client('cognito-idp', region_name=aws_support.REGION)
    ssm = boto3.client('ssm', region_name=aws_support.REGION)
    pool_id = ssm.get_parameter(Name='/wild-rydes/dev/UserPoolId')['Parameter']['Value']
    client_id = ssm.get_parameter(Name='/wild-rydes/dev/UserPoolClientId')['Parameter']['Value']
    pool = cognito.describe_user_pool(UserPoolId=pool_id)['UserPool']
    client = cognito.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id)['UserPoolClient']
    assert pool['Name'] == 'wild-rydes-dev-riders'
    assert pool['Policies'] == riders.pool_settings()['Policies']
    assert pool['UsernameAttributes'] == ['email']
    assert pool['AutoVerifiedAttributes'] == ['email']
    assert client['ClientName'] == 'wild-rydes-dev-page'
    assert 'ClientSecret' not in client
    assert client['PreventUserExistenceErrors'] == 'ENABLED'
    assert sorted(client['ExplicitAuthFlows']) == [
        'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']


def test_the_rides_stage_gets_the_throttling_of_the_package(aws):
    api_id = rest_api_with_a_stage()
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        lambda command, variables: None, out=io.StringIO(), read_deployed=deployed_with(api_id))

    job.throttle_rides_stage()

    stage = boto3.client('apigateway', region_name=aws_support.REGION).get_stage(
        restApiId=api_id, stageName='api')
    assert stage['methodSettings']['*/*']['throttlingRateLimit'] == 50
    assert stage['methodSettings']['*/*']['throttlingBurstLimit'] == 100


def test_the_rides_stage_is_behind_the_web_acl_the_template_declares(aws):
    api_id = rest_api_with_a_stage()
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        lambda command, variables: None, out=io.StringIO(), read_deployed=deployed_with(api_id))

    job.protect_rides_stage()
    job.protect_rides_stage()

    waf = boto3.client('wafv2', region_name=aws_support.REGION)
    acl = waf.get_web_acl_for_resource(
        ResourceArn=f'arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/api')['WebACL']
    declared = templates.merge_template(templates.RIDES, 'dev')['Resources'][templates.WEB_ACL]
    assert acl['Name'] == declared['Properties']['Name'] == 'wild-rydes-dev-riders-door'
    assert acl['Rules'] == declared['Properties']['Rules'] == (
        web_acl.web_acl_settings(Project('dev'))['Rules'])
    assert len(waf.list_web_acls(Scope='REGIONAL')['WebACLs']) == 1


def test_delete_removes_the_pool_and_its_parameters(aws):
    deploy_recording_variables()
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        lambda command, variables: None, out=io.StringIO())

    job.delete()

    cognito = boto3.client('cognito-idp', region_name=aws_support.REGION)
    assert cognito.list_user_pools(MaxResults=10)['UserPools'] == []
    names = [p['Name'] for p in boto3.client(
        'ssm', region_name=aws_support.REGION).describe_parameters()['Parameters']]
    assert '/wild-rydes/dev/UserPoolId' not in names
    assert '/wild-rydes/dev/UserPoolClientId' not in names


def test_delete_removes_the_web_acl(aws):
    deploy_recording_variables()
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        lambda command, variables: None, out=io.StringIO())
    waf = boto3.client('wafv2', region_name=aws_support.REGION)
    assert job.find_web_acl() is not None

    job.delete()

    assert waf.list_web_acls(Scope='REGIONAL')['WebACLs'] == []


# -- ride-record, the third app ----------------------------------------------------

def test_a_dry_run_publishes_the_topic_arn_before_ride_record_which_comes_last(monkeypatch):
    monkeypatch.setattr(boto3.session.Session, 'client', pytest.fail)
    out = io.StringIO()

    chalice_deploy.main(['--stage', 'dev', '--dry-run'], out=out)

    text = out.getvalue()
    steps = ['sns.create_topic', "ssm.put_parameter(Name='/wild-rydes/dev/SnsTopicArn'",
             'chalice deploy rides', "dynamodb.create_table(TableName='wild-rydes-ride-record-dev-rides'",
             "sqs.create_queue(QueueName='wild-rydes-ride-record-dev-dlq'",
             'chalice deploy ride_record', f'would run RIDES_SNS_TOPIC_ARN={TOPIC_ARN} ',
             "ssm.put_parameter(Name='/wild-rydes-ride-record/dev/ListRideRecordsInvokeArn'",
             "ssm.put_parameter(Name='/wild-rydes-ride-record/dev/URL'",
             "lambda.update_function_configuration(FunctionName='wild-rydes-ride-record-dev-"
             "PutRideRecordSns', DeadLetterConfig={'TargetArn': 'arn:aws:sqs:us-east-1:"
             "123456789012:wild-rydes-ride-record-dev-dlq'})",
             'MaximumRetryAttempts=2', 'rides URL']
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


def deploy_with(fake_lambda, runs):
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: fake_lambda if service == 'lambda' else boto3.client(
            service, region_name=aws_support.REGION),
        lambda command, variables: runs.append((command[2], dict(variables))),
        out=io.StringIO(), read_deployed=deployed_with(rest_api_with_a_stage()))
    job.deploy()
    return job


def test_ride_record_is_deployed_last_subscribed_to_the_topic_published_in_ssm(aws):
    runs, fake_lambda = [], FakeLambda()
    deploy_with(fake_lambda, runs)

    ssm = boto3.client('ssm', region_name=aws_support.REGION)
    assert ssm.get_parameter(Name='/wild-rydes/dev/SnsTopicArn')['Parameter']['Value'] == TOPIC_ARN
    assert runs[-1] == (str(templates.RECORD.directory), {'RIDES_SNS_TOPIC_ARN': TOPIC_ARN})
    assert ssm.get_parameter(Name='/wild-rydes-ride-record/dev/ListRideRecordsInvokeArn')[
        'Parameter']['Value'] == HISTORY_ARN


def test_the_recorders_failed_events_go_to_the_queue_the_deploy_made_after_two_retries(aws):
    fake_lambda = FakeLambda()
    deploy_with(fake_lambda, [])

    sqs = boto3.client('sqs', region_name=aws_support.REGION)
    url = sqs.get_queue_url(QueueName='wild-rydes-ride-record-dev-dlq')['QueueUrl']
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])[
        'Attributes']['QueueArn']
    recorder = 'wild-rydes-ride-record-dev-PutRideRecordSns'
    assert fake_lambda.configured == [
        ('wait', 'function_updated_v2'),
        ('update_function_configuration', {'FunctionName': recorder,
                                           'DeadLetterConfig': {'TargetArn': queue_arn}}),
        ('put_function_event_invoke_config', {'FunctionName': recorder,
                                              'MaximumRetryAttempts': 2})]


def test_delete_removes_ride_record_first_and_its_queue_table_and_parameters(aws):
    deploy_with(FakeLambda(), [])
    commands = []
    job = chalice_deploy.ChaliceDeploy(
        'dev', lambda service: boto3.client(service, region_name=aws_support.REGION),
        lambda command, variables: commands.append(command[2]), out=io.StringIO())

    job.delete()

    assert commands == [str(templates.RECORD.directory), str(templates.RIDES.directory),
                        str(templates.FLEET.directory)]
    names = [p['Name'] for p in boto3.client(
        'ssm', region_name=aws_support.REGION).describe_parameters()['Parameters']]
    assert not [name for name in names if 'ride-record' in name or name.endswith('SnsTopicArn')]
    assert boto3.client('sqs', region_name=aws_support.REGION).list_queues().get(
        'QueueUrls', []) == []
    tables = boto3.client('dynamodb', region_name=aws_support.REGION).list_tables()['TableNames']
    assert 'wild-rydes-ride-record-dev-rides' not in tables
