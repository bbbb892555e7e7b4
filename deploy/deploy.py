"""`make deploy STAGE=dev ARTIFACT_BUCKET=my-bucket`: deploy the packaged
templates with CloudFormation, in the order of `project.model.APP_ENTRIES`:
ride_fleet first (it publishes the SSM parameter rides resolves), then
rides (it publishes its topic's ARN, which ride-record resolves), then
ride_record (it publishes ListRideRecords' ARN, which rides reads at run
time, so rides never waits for it); print the rides URL.

    python -m deploy.deploy --stage dev --bucket my-bucket [--alarm-email ME] [--dry-run]

What `aws cloudformation package` + `deploy` do, with boto3: upload each
zip to S3 (named by its SHA-256, so an unchanged zip is not sent again),
point the template's functions at it, create a change set, execute it,
wait. `--dry-run` (make: DRY_RUN=1) prints every step and calls nothing:
the same code runs with clients that only print (`deploy.dry_run`).
Run `make package STAGE=<stage>` first (make deploy does).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import pathlib
import sys
from typing import Any, TextIO

from botocore.exceptions import ClientError, WaiterError

from deploy import package as packager
from deploy.dry_run import DryRunAws
from deploy.observability import ALARM_EMAIL
from deploy.provision import Clients
from project.model import APP_ENTRIES, RIDES, ROOT, STAGES, AppEntry, Project

CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']  # roles; the SAM transform
MAX_TEMPLATE_BODY = 51200
NO_CHANGES = ("didn't contain changes", 'No updates are to be performed')
FUNCTION_TYPES = ('AWS::Serverless::Function', 'AWS::Lambda::Function')


class Deployer:
    def __init__(self, stage: str, bucket: str, build_root: str | pathlib.Path,
                 clients: Clients, out: TextIO = sys.stdout, prefix: str | None = None,
                 alarm_email: str = '') -> None:
        self.project = Project(stage)
        self.alarm_email = alarm_email
        self.stage = stage
        self.bucket = bucket
        self.build_root = pathlib.Path(build_root)
        # S3 keys start with the user-facing app's name
        self.prefix = prefix or self.project.rides.app_name
        self.out = out
        self._cfn = clients('cloudformation')
        self._s3 = clients('s3')

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def deploy_all(self) -> dict[AppEntry, dict[str, str]]:
        outputs = {}
        for step, app in enumerate(APP_ENTRIES, start=1):
            self.say(f'[{step}/{len(APP_ENTRIES)}] {app.folder}: stack '
                     f'{self.project.stack_name(app)}')
            outputs[app] = self.deploy_app(app)
        url = outputs[RIDES].get('EndpointURL', '<EndpointURL output of the rides stack>')
        self.say(f'rides URL: {url}')
        return outputs

    def deploy_app(self, app: AppEntry) -> dict[str, str]:
        out_dir = self.build_root / self.stage / app.folder
        template_path = out_dir / packager.TEMPLATE_NAME
        zip_path = out_dir / packager.ZIP_NAME
        if not template_path.exists() or not zip_path.exists():
            raise SystemExit(f'{template_path} is missing: run make package STAGE={self.stage}')
        code_uri = self.upload(zip_path, app)
        template = point_functions_at(json.loads(template_path.read_text()), code_uri)
        body = json.dumps(template, indent=1)
        (out_dir / 'packaged.json').write_text(body)
        self.say(f'  wrote {out_dir / "packaged.json"} (functions at {code_uri})')
        return self.deploy_stack(self.project.stack_name(app), body, app,
                                 self.parameters(template))

    def upload(self, zip_path: pathlib.Path, app: AppEntry) -> str:
        data = zip_path.read_bytes()
        key = f'{self.prefix}/{self.stage}/{app.folder}/{hashlib.sha256(data).hexdigest()}.zip'
        self.say(f'  upload {zip_path.name} ({len(data) / 1024:.0f} KiB) '
                 f'to s3://{self.bucket}/{key}')
        if not self._exists(key):
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        else:
            self.say('  (already there)')
        return f's3://{self.bucket}/{key}'

    def _exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError:
            return False

    def template_source(self, name: str, body: str) -> dict[str, str]:
        if len(body.encode()) <= MAX_TEMPLATE_BODY:
            return {'TemplateBody': body}
        key = f'{self.prefix}/{self.stage}/{name}-{hashlib.sha256(body.encode()).hexdigest()}.json'
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())
        return {'TemplateURL': f'https://{self.bucket}.s3.amazonaws.com/{key}'}

    def parameters(self, template: dict[str, Any]) -> list[dict[str, str]]:
        """The stack parameters the template declares: the alarm e-mail."""
        if ALARM_EMAIL not in template.get('Parameters', {}):
            return []
        return [{'ParameterKey': ALARM_EMAIL, 'ParameterValue': self.alarm_email}]

    def deploy_stack(self, name: str, body: str, app: AppEntry,
                     parameters: list[dict[str, str]] | None = None) -> dict[str, str]:
        change_type = self.change_set_type(name)
        change_set = 'deploy-' + datetime.datetime.now(datetime.UTC).strftime('%Y%m%d%H%M%S')
        self.say(f'  create change set {change_set} ({change_type})')
        self._cfn.create_change_set(
            StackName=name, ChangeSetName=change_set, ChangeSetType=change_type,
            Capabilities=CAPABILITIES, Parameters=parameters or [], Tags=[{'Key': 'app',
                                              'Value': self.project.app(app).app_name},
                                             {'Key': 'stage', 'Value': self.stage}],
            **self.template_source(name, body))
        self.say('  wait for the change set')
        if not self.wait_change_set(name, change_set):
            self.say('  no changes')
            return self.stack_outputs(name)
        self.say(f'  execute change set {change_set}')
        self._cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
        waiter = 'stack_create_complete' if change_type == 'CREATE' else 'stack_update_complete'
        self.say(f'  wait for {waiter}')
        self._cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={'Delay': 10,
                                                                         'MaxAttempts': 180})
        return self.stack_outputs(name)

    def change_set_type(self, name: str) -> str:
        self.say(f'  look up stack {name}')
        try:
            [stack] = self._cfn.describe_stacks(StackName=name)['Stacks']
        except ClientError as error:
            if 'does not exist' in str(error):
                return 'CREATE'
            raise
        return 'CREATE' if stack['StackStatus'] == 'REVIEW_IN_PROGRESS' else 'UPDATE'

    def wait_change_set(self, name: str, change_set: str) -> bool:
        """True when there is something to execute."""
        try:
            self._cfn.get_waiter('change_set_create_complete').wait(
                StackName=name, ChangeSetName=change_set, WaiterConfig={'Delay': 5})
        except WaiterError:
            described = self._cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
            reason = described.get('StatusReason', '')
            if any(text in reason for text in NO_CHANGES):
                self._cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
                return False
            raise SystemExit(f'change set {change_set} of {name} failed: {reason}') from None
        return True

    def stack_outputs(self, name: str) -> dict[str, str]:
        self.say(f'  read the outputs of {name}')
        [stack] = self._cfn.describe_stacks(StackName=name)['Stacks']
        return {output['OutputKey']: output['OutputValue'] for output in stack.get('Outputs', [])}


def point_functions_at(template: dict[str, Any], code_uri: str) -> dict[str, Any]:
    """`CodeUri: ./deployment.zip` becomes the uploaded zip."""
    template = json.loads(json.dumps(template))
    for resource in template['Resources'].values():
        if resource['Type'] in FUNCTION_TYPES:
            resource['Properties']['CodeUri'] = code_uri
    return template


def boto3_clients(region: str | None = None) -> Clients:
    import boto3
    session = boto3.session.Session(region_name=region)
    return lambda service: session.client(service)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> None:
    parser = argparse.ArgumentParser(description='deploy ride_fleet, then rides, then ride_record')
    parser.add_argument('--stage', default='dev', choices=STAGES)
    parser.add_argument('--bucket', help='S3 bucket for the zips (ARTIFACT_BUCKET)')
    parser.add_argument('--region', help="default: boto3's (AWS_REGION, ~/.aws/config)")
    parser.add_argument('--alarm-email', default='',
                        help="subscribe this address to the stage's alarms (ALARM_EMAIL)")
    parser.add_argument('--build', default=str(ROOT / 'build'), help='make package output')
    parser.add_argument('--dry-run', action='store_true', help='print the steps, call nothing')
    args = parser.parse_args(argv)
    clients: Clients
    if args.dry_run:
        dry_run = DryRunAws(out)
        print(f'DRY RUN: deploying stage {args.stage}; nothing is sent to AWS (answers are '
              f'those of an empty account {dry_run.account} in {dry_run.region})', file=out)
        clients = dry_run
    else:
        if not args.bucket:
            parser.error('--bucket (make: ARTIFACT_BUCKET=...) is required')
        clients = boto3_clients(args.region)
    bucket = args.bucket or '<ARTIFACT_BUCKET>'
    Deployer(args.stage, bucket, args.build, clients, out=out,
             alarm_email=args.alarm_email).deploy_all()


if __name__ == '__main__':
    main()
