"""`make destroy`: ride-record's stack first, then rides', then the fleet's, each waited for;
then the uploaded artifacts; it says what it kept, asks first unless told
not to, and a dry run prints every step and calls nothing."""
import io
import json

import boto3
import pytest

from deploy import destroy
from project.model import Project

REGION = 'us-east-1'
BUCKET = 'artifacts'



def run(argv, answer=None):
    out = io.StringIO()
    asked = []

    def ask(prompt):
        asked.append(prompt)
        return answer if answer is not None else ''

    code = destroy.main(argv, out=out, ask=ask)
    return code, out.getvalue(), asked


def test_a_dry_run_prints_every_step_record_then_rides_then_fleet_and_calls_nothing(no_aws):
    code, text, asked = run(['--stage', 'dev', '--dry-run'])

    assert code == 0 and asked == []
    record_at = text.index("delete_stack(StackName='wild-rydes-ride-record-dev')")
    rides_at = text.index("delete_stack(StackName='wild-rydes-dev')")
    fleet_at = text.index("delete_stack(StackName='wild-rydes-ride-fleet-dev')")
    artifacts_at = text.index("s3.delete_objects(Bucket='<ARTIFACT_BUCKET>'")
    assert record_at < rides_at < fleet_at < artifacts_at
    assert text.count('would wait for cloudformation stack_delete_complete') == 3
    assert text.index("stack_delete_complete(StackName='wild-rydes-ride-record-dev'") < rides_at
    assert text.index("stack_delete_complete(StackName='wild-rydes-dev'") < fleet_at
    assert "Prefix='wild-rydes/dev/'" in text
    assert 'DynamoDB table' not in text  # dev keeps no data


def test_a_prod_teardown_says_it_keeps_both_tables():
    out = io.StringIO()
    aws = destroy.DryRunAws(out)
    kept = destroy.Destroyer('prod', None, aws, out=out).destroy_all()

    assert kept and 'wild-rydes-ride-fleet-prod-unicorns' in kept[0]
    assert 'Retain' in kept[0]
    assert 'kept: DynamoDB table wild-rydes-ride-fleet-prod-unicorns' in out.getvalue()
    assert 'wild-rydes-ride-record-prod-rides' in kept[1] and 'Retain' in kept[1]
    assert 'no ARTIFACT_BUCKET given' in out.getvalue()


def test_a_dry_run_of_the_chalice_route_prints_chalice_delete_of_all_three_in_reverse(no_aws):
    code, text, _ = run(['--stage', 'dev', '--dry-run', '--route', 'chalice'])

    assert code == 0
    record_at = text.index('chalice delete ride_record')
    rides_at = text.index('chalice delete rides')
    fleet_at = text.index('chalice delete ride_fleet')
    assert record_at < rides_at < fleet_at
    assert "sqs.delete_queue(QueueUrl='https://sqs.us-east-1.amazonaws.com/123456789012/" \
           "wild-rydes-ride-record-dev-dlq')" in text
    assert "ssm.delete_parameter(Name='/wild-rydes/dev/SnsTopicArn')" in text
    assert 'would run' in text


def test_nothing_is_deleted_unless_the_operator_types_the_stage(no_aws):
    code, text, asked = run(['--stage', 'prod'], answer='yes')

    assert code == 1
    assert asked and 'prod' in asked[0]
    assert 'nothing deleted' in text


def template(name):
    return json.dumps({'Resources': {'Marker': {
        'Type': 'AWS::SSM::Parameter',
        'Properties': {'Name': f'/{name}/marker', 'Type': 'String', 'Value': 'x'}}}})


@pytest.fixture
def deployed(aws):
    """moto with both stacks and the bucket make deploy leaves behind."""
    cfn = boto3.client('cloudformation', region_name=REGION)
    project = Project('dev')
    for app in destroy.APP_ENTRIES:
        name = project.stack_name(app)
        cfn.create_stack(StackName=name, TemplateBody=template(name))
    s3 = boto3.client('s3', region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for key in ('wild-rydes/dev/ride_fleet/a.zip', 'wild-rydes/dev/rides/b.zip',
                'wild-rydes/prod/ride_fleet/c.zip', 'someone-else/d.zip'):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b'zip')
    yield cfn, s3


def live_stacks(cfn):
    return {stack['StackName'] for stack in cfn.list_stacks()['StackSummaries']
            if stack['StackStatus'] != 'DELETE_COMPLETE'}


def test_a_confirmed_teardown_deletes_every_stack_in_reverse_order_and_this_stages_artifacts(
        deployed, monkeypatch):
    cfn, s3 = deployed
    deleted = []
    original = destroy.Destroyer.delete_stack

    def recording(self, app):
        deleted.append(app.folder)
        return original(self, app)

    monkeypatch.setattr(destroy.Destroyer, 'delete_stack', recording)
    monkeypatch.setenv('AWS_DEFAULT_REGION', REGION)

    code, text, asked = run(['--stage', 'dev', '--bucket', BUCKET], answer='dev')

    assert code == 0 and asked
    assert deleted == ['ride_record', 'rides', 'ride_fleet']
    assert live_stacks(cfn) == set()
    keys = {item['Key'] for item in s3.list_objects_v2(Bucket=BUCKET)['Contents']}
    assert keys == {'wild-rydes/prod/ride_fleet/c.zip', 'someone-else/d.zip'}
    assert 'removed 2 object(s)' in text


def test_yes_skips_the_question_and_a_second_run_finds_nothing_left(deployed, monkeypatch):
    monkeypatch.setenv('AWS_DEFAULT_REGION', REGION)
    assert run(['--stage', 'dev', '--yes'])[0] == 0

    code, text, asked = run(['--stage', 'dev', '--yes'])

    assert code == 0 and asked == []
    assert text.count('already gone') == 3
