"""`make deploy`: the fleet's stack first, then rides', then ride-record's,
each from its packaged template with the zip in S3; a dry run prints every
step and calls nothing."""
import io
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from deploy import deploy as deployer
from deploy import templates


def test_a_dry_run_prints_every_step_fleet_first_then_rides_then_record_and_calls_nothing(
        builds, no_aws):
    out = io.StringIO()
    build_root = builds.outputs('dev')[templates.FLEET].parents[1]

    deployer.main(['--stage', 'dev', '--dry-run', '--build', str(build_root)], out=out)

    text = out.getvalue()
    fleet_at = text.index('stack wild-rydes-ride-fleet-dev')
    rides_at = text.index('stack wild-rydes-dev')
    record_at = text.index('stack wild-rydes-ride-record-dev')
    assert 0 < fleet_at < rides_at < record_at
    for app_text in (text[fleet_at:rides_at], text[rides_at:record_at], text[record_at:]):
        for step in ('would call s3.put_object', 'would call cloudformation.describe_stacks',
                     'would call cloudformation.create_change_set',
                     "Capabilities=['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']",
                     'would call cloudformation.execute_change_set', 'stack_create_complete'):
            assert step in app_text, step
    assert text.rstrip().endswith('rides URL: <EndpointURL output of the rides stack>')


def test_a_real_run_needs_a_bucket(capsys):
    with pytest.raises(SystemExit):
        deployer.main(['--stage', 'dev'])
    assert 'ARTIFACT_BUCKET' in capsys.readouterr().err


class FakeWaiter:
    def __init__(self, log, name):
        self._log, self._name = log, name

    def wait(self, **kwargs):
        self._log.append(('wait', self._name, kwargs['StackName']))


class FakeAws:
    """CloudFormation and S3 as far as the deploy uses them; no stack exists yet."""

    def __init__(self):
        self.log = []
        self.objects = {}
        self.bodies = {}

    def __call__(self, service):
        return self

    def head_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise ClientError({'Error': {'Code': '404'}}, 'HeadObject')

    def put_object(self, Bucket, Key, Body):
        self.objects[(Bucket, Key)] = Body
        self.log.append(('put_object', Key))

    def describe_stacks(self, StackName):
        if ('execute_change_set', StackName) not in self.log:
            raise ClientError({'Error': {'Code': 'ValidationError', 'Message':
                                         f'Stack with id {StackName} does not exist'}},
                              'DescribeStacks')
        outputs = [{'OutputKey': 'EndpointURL',
                    'OutputValue': f'https://{StackName}.example/api/'}]
        return {'Stacks': [{'StackStatus': 'CREATE_COMPLETE', 'Outputs': outputs}]}

    def create_change_set(self, **kwargs):
        self.bodies[kwargs['StackName']] = json.loads(kwargs['TemplateBody'])
        self.log.append(('create_change_set', kwargs['StackName'], kwargs['ChangeSetType'],
                         tuple(kwargs['Capabilities'])))

    def execute_change_set(self, StackName, ChangeSetName):
        self.log.append(('execute_change_set', StackName))

    def get_waiter(self, name):
        return FakeWaiter(self.log, name)


def test_each_stack_is_complete_before_the_next_is_deployed_and_the_url_is_printed(builds):
    aws, out = FakeAws(), io.StringIO()
    build_root = builds.outputs('dev')[templates.FLEET].parents[1]

    deployer.Deployer('dev', 'my-artifacts', build_root, aws, out=out).deploy_all()

    steps = [entry[:2] for entry in aws.log if entry[0] != 'put_object']
    assert steps == [
        ('create_change_set', 'wild-rydes-ride-fleet-dev'),
        ('wait', 'change_set_create_complete'),
        ('execute_change_set', 'wild-rydes-ride-fleet-dev'),
        ('wait', 'stack_create_complete'),
        ('create_change_set', 'wild-rydes-dev'),
        ('wait', 'change_set_create_complete'),
        ('execute_change_set', 'wild-rydes-dev'),
        ('wait', 'stack_create_complete'),
        ('create_change_set', 'wild-rydes-ride-record-dev'),
        ('wait', 'change_set_create_complete'),
        ('execute_change_set', 'wild-rydes-ride-record-dev'),
        ('wait', 'stack_create_complete'),
    ]
    assert out.getvalue().rstrip().endswith('rides URL: https://wild-rydes-dev.example/api/')
    for body in aws.bodies.values():
        uris = {resource['Properties']['CodeUri'] for resource in body['Resources'].values()
                if resource['Type'] == 'AWS::Serverless::Function'}
        [uri] = uris
        bucket, key = uri[len('s3://'):].split('/', 1)
        assert aws.objects[(bucket, key)][:2] == b'PK'  # the zip itself


def test_an_unchanged_zip_is_not_uploaded_again(builds):
    aws = FakeAws()
    build_root = builds.outputs('dev')[templates.FLEET].parents[1]
    first = deployer.Deployer('dev', 'b', build_root, aws, out=io.StringIO())
    first.upload(build_root / 'dev' / templates.FLEET.folder / 'deployment.zip', templates.FLEET)
    first.upload(build_root / 'dev' / templates.FLEET.folder / 'deployment.zip', templates.FLEET)

    assert [entry for entry in aws.log if entry[0] == 'put_object'] == aws.log[:1]


def test_make_deploy_packages_first_and_passes_the_dry_run_on():
    result = subprocess.run(['make', '-n', 'deploy', 'STAGE=prod', 'DRY_RUN=1'],
                            cwd=templates.ROOT, capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    package_at = next(i for i, line in enumerate(lines) if '-m deploy.package --stage prod' in line)
    deploy_at = next(i for i, line in enumerate(lines) if '-m deploy.deploy --stage prod' in line)
    assert package_at < deploy_at and '--dry-run' in lines[deploy_at]


def test_the_alarm_email_goes_to_the_fleet_stack_only_and_is_empty_by_default(builds, no_aws):
    build_root = builds.outputs('dev')[templates.FLEET].parents[1]
    runs = {}
    for email in ('', 'oncall@example.com'):
        out = io.StringIO()
        argv = ['--stage', 'dev', '--dry-run', '--build', str(build_root)]
        deployer.main(argv + (['--alarm-email', email] if email else []), out=out)
        runs[email] = out.getvalue()

    for email, text in runs.items():
        fleet, rides = text.split('stack wild-rydes-dev', 1)
        assert f"Parameters=[{{'ParameterKey': 'AlarmEmail', 'ParameterValue': '{email}'}}]" in fleet
        assert 'Parameters=[]' in rides
