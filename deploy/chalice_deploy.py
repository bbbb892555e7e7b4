"""Plain `chalice deploy` of the three apps, for those who prefer it to
CloudFormation: this script makes what Chalice does not (the fleet table,
the SSM parameter with the fleet's function ARN, the catalog load, the
rides topic and its ARN in SSM, the riders' user pool and app client with
their SSM parameters, the rides stage's throttling, ride-record's table,
dead-letter queue and SSM parameters) around the three `chalice deploy`
runs.

    python -m deploy.chalice_deploy --stage dev [--dry-run]
    python -m deploy.chalice_deploy --stage dev --delete [--dry-run]

Deploy, in order:
 1. check that rides' config names the topic this account will have
    (`RIDES_SNS_TOPIC_ARN` in rides/.chalice/config.json; it is fixed there);
 2. the provisioning sequence of `deploy.provision`, with `chalice deploy`
    ride_fleet as its fleet step: the table, ride_fleet, its
    RequestUnicornInvoke ARN in SSM, LoadTable with `{}`, the topic, the
    riders' user pool, its app client and their two SSM parameters;
 3. the topic's ARN in SSM (`/wild-rydes/<stage>/SnsTopicArn`), where
    downstream subscribers find it, as rides' stack publishes it;
 4. `chalice deploy` rides with `RIDERS_USER_POOL_ARN` set to the pool's
    ARN (rides/app.py gives it to the `Riders` authorizer);
 5. the rides stage's throttling (`Project.rides_throttle`, as the
    package's `MethodSettings`) and the WAF web ACL of `deploy.web_acl`
    (found by name or created) associated with that stage;
 6. ride-record's part of `deploy.provision`: its table and dead-letter
    queue, `chalice deploy` ride_record with `RIDES_SNS_TOPIC_ARN` set to
    the topic's ARN read back from SSM (ride_record/app.py subscribes
    PutRideRecordSns to it), ListRideRecords' ARN and the API's URL in SSM;
 7. what `chalice deploy` cannot set on PutRideRecordSns: its
    `DeadLetterConfig` (the queue) and two asynchronous retries, as the
    package declares them; print the rides URL.
The IAM policies are the committed `.chalice/policy-<stage>-<function>.json`.
`--delete` undoes it all: `chalice delete` ride_record, rides, the fleet
(the reverse order), the web ACL, ride-record's parameters, queue and
table, then the user pool and its parameters, the topic's parameter, the
fleet parameter, the topic and the table. A dry run prints every step and
calls nothing (`deploy.dry_run`).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Callable
from typing import Any, TextIO

from botocore.exceptions import ClientError

from deploy import web_acl
from deploy.dry_run import DryRunAws
from deploy.provision import Clients, Provisioner, ProvisioningFailed
from deploy.templates import RECORD_RETRIES
from project.model import FLEET, RECORD, RIDES, STAGES, AppEntry, Project

# (command, variables to add to the environment) -> anything
Run = Callable[[list[str], dict[str, str]], Any]
# The variable rides/app.py reads for its authorizer's provider ARNs.
POOL_ARN_VARIABLE = 'RIDERS_USER_POOL_ARN'
# The variable ride_record/app.py reads for the topic it subscribes to.
TOPIC_ARN_VARIABLE = 'RIDES_SNS_TOPIC_ARN'
# (app, resource name, key) -> that value of .chalice/deployed/<stage>.json
ReadDeployed = Callable[[AppEntry, str, str], str]


class ChaliceDeploy:
    def __init__(self, stage: str, clients: Clients, run: Run, out: TextIO = sys.stdout,
                 read_deployed: ReadDeployed | None = None) -> None:
        self.project = Project(stage)
        self.stage = stage
        self.clients = clients
        self.run = run
        self.out = out
        self.read_deployed = read_deployed or self.deployed_value
        self.provisioner = Provisioner(self.project, clients, say=self.say)

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def deploy(self) -> None:
        topic_arn = self.check_topic_arn()
        try:
            made = self.provisioner.provision(self.deploy_fleet, topic_arn)
        except ProvisioningFailed as error:
            raise SystemExit(str(error)) from None
        self.publish_topic_arn(made.topic_arn)
        self.chalice('deploy', RIDES, {POOL_ARN_VARIABLE: made.user_pool_arn})
        self.throttle_rides_stage()
        self.protect_rides_stage()
        record = self.provisioner.provision_record(self.deploy_record)
        self.dead_letters_to(record.dlq_arn)
        url = self.read_deployed(RIDES, 'rest_api', 'rest_api_url')
        self.say(f'rides URL: {url} (POST {url}ride)')

    def publish_topic_arn(self, topic_arn: str) -> None:
        """The rides topic's ARN where downstream subscribers find it (the
        parameter rides' stack publishes in the package route)."""
        name = self.project.topic_arn_parameter
        self.say(f'SSM {name} = {topic_arn}')
        self.clients('ssm').put_parameter(
            Name=name, Value=topic_arn, Type='String', Overwrite=True,
            Description='The rides topic, for downstream subscribers')

    def deploy_record(self) -> tuple[str, str]:
        """`chalice deploy` ride_record, subscribed to the topic published in
        SSM (read back, as a later deploy of ride-record alone would find
        it); ListRideRecords' ARN and the API's URL."""
        topic_arn = self.clients('ssm').get_parameter(
            Name=self.project.topic_arn_parameter)['Parameter']['Value']
        self.chalice('deploy', RECORD, {TOPIC_ARN_VARIABLE: topic_arn})
        return (self.read_deployed(RECORD, self.project.history_function.name, 'lambda_arn'),
                self.read_deployed(RECORD, 'rest_api', 'rest_api_url'))

    def dead_letters_to(self, dlq_arn: str) -> None:
        """PutRideRecordSns's DeadLetterConfig and async retries, which
        `chalice deploy` cannot set (and keeps when it deploys again)."""
        recorder = self.project.recorder_function.deployed_name
        self.say(f'{recorder}: dead letters to {dlq_arn}, {RECORD_RETRIES} async retries')
        client = self.clients('lambda')
        # `chalice deploy` may have left an update in progress (Lambda
        # refuses a second one meanwhile).
        client.get_waiter('function_updated_v2').wait(FunctionName=recorder)
        client.update_function_configuration(FunctionName=recorder,
                                             DeadLetterConfig={'TargetArn': dlq_arn})
        client.put_function_event_invoke_config(FunctionName=recorder,
                                                MaximumRetryAttempts=RECORD_RETRIES)

    def throttle_rides_stage(self) -> None:
        """The stage's default method throttling, which `chalice deploy`
        cannot set: the same rate and burst as the package's."""
        throttle = self.project.rides_throttle
        rest_api_id, stage = self.rides_stage()
        self.say(f'throttle rides stage {stage}: {throttle.rate_per_second}/s, '
                 f'burst {throttle.burst}, per method')
        self.clients('apigateway').update_stage(
            restApiId=rest_api_id, stageName=stage,
            patchOperations=[
                {'op': 'replace', 'path': '/*/*/throttling/rateLimit',
                 'value': str(throttle.rate_per_second)},
                {'op': 'replace', 'path': '/*/*/throttling/burstLimit',
                 'value': str(throttle.burst)}])

    def deploy_fleet(self) -> str:
        """`chalice deploy` ride_fleet; its RequestUnicornInvoke ARN."""
        self.chalice('deploy', FLEET)
        return self.read_deployed(FLEET, self.project.fleet_function.name, 'lambda_arn')

    def rides_stage(self) -> tuple[str, str]:
        """(REST API id, stage name) of rides, as `chalice deploy` made them."""
        return (self.read_deployed(RIDES, 'rest_api', 'rest_api_id'),
                self.project.rides.chalice_config().api_gateway_stage)

    def protect_rides_stage(self) -> None:
        """The web ACL the package declares, associated with the rides stage."""
        waf = self.clients('wafv2')
        name = self.project.web_acl_name
        found = self.find_web_acl()
        if found is None:
            self.say(f'create web ACL {name}')
            acl_arn = waf.create_web_acl(**web_acl.web_acl_settings(self.project))['Summary']['ARN']
        else:
            self.say(f'web ACL {name} (exists)')
            acl_arn = found['ARN']
        rest_api_id, stage = self.rides_stage()
        partition, region = acl_arn.split(':')[1], waf.meta.region_name
        self.say(f'associate web ACL {name} with rides stage {stage}')
        waf.associate_web_acl(WebACLArn=acl_arn, ResourceArn=web_acl.stage_arn(
            rest_api_id, stage, region, partition))

    def find_web_acl(self) -> dict[str, Any] | None:
        """The regional web ACL summary with the project's name, if any."""
        waf, kwargs = self.clients('wafv2'), {'Scope': web_acl.SCOPE}
        while True:
            page = waf.list_web_acls(**kwargs)
            for summary in page.get('WebACLs', []):
                if summary['Name'] == self.project.web_acl_name:
                    return dict(summary)
            if not page.get('NextMarker'):
                return None
            kwargs['NextMarker'] = page['NextMarker']

    def delete(self) -> None:
        self.chalice('delete', RECORD)
        self.chalice('delete', RIDES)
        self.chalice('delete', FLEET)
        self.delete_web_acl()
        self.provisioner.delete_record()
        self.say(f'delete SSM parameter {self.project.topic_arn_parameter}')
        try:
            self.clients('ssm').delete_parameter(Name=self.project.topic_arn_parameter)
        except ClientError as error:
            if 'NotFound' not in error.response['Error']['Code']:
                raise
            self.say('  (already gone)')
        self.provisioner.delete()

    def delete_web_acl(self) -> None:
        """After rides' API is gone (and with it the association)."""
        found = self.find_web_acl()
        self.say(f'delete web ACL {self.project.web_acl_name}')
        if found is None:
            self.say('  (already gone)')
            return
        self.clients('wafv2').delete_web_acl(Name=found['Name'], Scope=web_acl.SCOPE,
                                             Id=found['Id'], LockToken=found['LockToken'])

    def check_topic_arn(self) -> str:
        configured = self.project.rides.stage_environment().get('RIDES_SNS_TOPIC_ARN')
        self.say(f'check RIDES_SNS_TOPIC_ARN in {RIDES.folder}/.chalice/config.json')
        expected = self.provisioner.expected_topic_arn()
        if configured != expected:
            raise SystemExit(f'set RIDES_SNS_TOPIC_ARN of stage {self.stage} in '
                             f'{RIDES.folder}/.chalice/config.json to {expected} '
                             f'(it is {configured!r})')
        return expected

    def chalice(self, verb: str, app: AppEntry, variables: dict[str, str] | None = None) -> None:
        """Run the Chalice CLI on one app, with `variables` added to its environment."""
        command = [_chalice(), '--project-dir', str(app.directory), verb,
                   '--stage', self.stage]
        self.say(f'chalice {verb} {app.folder}')
        self.run(command, variables or {})

    def deployed_value(self, app: AppEntry, resource_name: str, key: str) -> str:
        """A value Chalice recorded in .chalice/deployed/<stage>.json."""
        path = app.directory / '.chalice' / 'deployed' / f'{self.stage}.json'
        for resource in json.loads(path.read_text())['resources']:
            if resource['name'] == resource_name:
                return str(resource[key])
        raise SystemExit(f'{path} has no {resource_name}')


def _chalice() -> str:
    candidate = pathlib.Path(sys.executable).parent / 'chalice'
    return str(candidate) if candidate.exists() else 'chalice'


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> None:
    parser = argparse.ArgumentParser(description='chalice deploy the three apps, with their resources')
    parser.add_argument('--stage', default='dev', choices=STAGES)
    parser.add_argument('--delete', action='store_true', help='tear everything down')
    parser.add_argument('--dry-run', action='store_true', help='print the steps, call nothing')
    args = parser.parse_args(argv)
    if args.dry_run:
        aws = DryRunAws(out)
        print(f'DRY RUN: stage {args.stage}; nothing is sent to AWS (answers are those of '
              f'an empty account {aws.account} in {aws.region})', file=out)
        job = ChaliceDeploy(
            args.stage, aws, lambda command, variables: print(
                '  would run ' + ' '.join([f'{k}={v}' for k, v in variables.items()] + command),
                file=out),
            out=out, read_deployed=lambda app, name, key: (
                f'<{key} from {app.folder}/.chalice/deployed/{args.stage}.json>'))
    else:
        import boto3
        session = boto3.session.Session()
        made: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in made:
                made[service] = session.client(service)
            return made[service]

        job = ChaliceDeploy(args.stage, clients, lambda command, variables: subprocess.run(
            command, check=True, env={**os.environ, **variables}), out=out)
    if args.delete:
        job.delete()
    else:
        job.deploy()


if __name__ == '__main__':
    main()
