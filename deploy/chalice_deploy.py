"""Plain `chalice deploy` of both apps, for those who prefer it to
CloudFormation: this script makes what Chalice does not (the fleet table,
the SSM parameter with the fleet's function ARN, the rides topic) around
the two `chalice deploy` runs.

    python -m deploy.chalice_deploy --stage dev [--dry-run]
    python -m deploy.chalice_deploy --stage dev --delete [--dry-run]

Deploy, in order:
 1. check that rides' config names the topic this account will have
    (`RIDES_SNS_TOPIC_ARN` in rides/.chalice/config.json; it is fixed there);
 2. create the fleet table from `shared.adapters.fleet_schema` (if missing), with TTL;
 3. `chalice deploy` ride_fleet;
 4. put its RequestUnicornInvoke ARN in SSM (rides reads it at run time,
    because `REQUEST_UNICORN_ARN` is empty in its config);
 5. invoke LoadTable with `{}` to load the catalog;
 6. create the rides topic;
 7. `chalice deploy` rides; print its URL.
The IAM policies are the committed `.chalice/policy-<stage>.json`.
`--delete` undoes it all: `chalice delete` both, then the parameter,
the topic and the table.
"""
import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy import templates  # noqa: E402
from deploy.deploy import DryRunClient  # noqa: E402
from shared.adapters import fleet_schema  # noqa: E402


class ChaliceDeploy:
    def __init__(self, stage, clients, run, out=sys.stdout, dry_run=False):
        self.stage = stage
        self.clients = clients
        self.run = run
        self.out = out
        self.dry_run = dry_run

    def say(self, text):
        print(text, file=self.out)

    def deploy(self):
        topic_arn = self.check_topic_arn()
        self.create_table()
        self.chalice('deploy', templates.FLEET, '[3] ')
        fleet_arn = self.deployed_arn(templates.FLEET, 'RequestUnicornInvoke')
        self.say(f'[4] SSM {templates.arn_parameter_name(self.stage)} = {fleet_arn}')
        self.clients('ssm').put_parameter(
            Name=templates.arn_parameter_name(self.stage), Value=fleet_arn, Type='String',
            Overwrite=True, Description='The fleet direct-invoke function, for wild-rydes')
        loader = templates.function_name(templates.FLEET, self.stage, 'LoadTable')
        self.say(f'[5] invoke {loader} with {{}}')
        answer = self.clients('lambda').invoke(FunctionName=loader, Payload=b'{}')
        if answer.get('FunctionError'):
            raise SystemExit(f'LoadTable failed: {answer["Payload"].read().decode()}')
        self.say(f'[6] create topic {templates.topic_name(self.stage)}')
        created = self.clients('sns').create_topic(Name=templates.topic_name(self.stage))
        if not self.dry_run and created['TopicArn'] != topic_arn:
            raise SystemExit(f'topic {created["TopicArn"]} is not {topic_arn}')
        self.chalice('deploy', templates.RIDES, '[7] ')
        url = self.deployed_value(templates.RIDES, 'rest_api', 'rest_api_url')
        self.say(f'rides URL: {url} (POST {url}ride)')

    def delete(self):
        self.chalice('delete', templates.RIDES)
        self.chalice('delete', templates.FLEET)
        name = templates.arn_parameter_name(self.stage)
        self.say(f'delete SSM parameter {name}, topic, table')
        self._ignore_missing(lambda: self.clients('ssm').delete_parameter(Name=name))
        topic = templates.stage_config(templates.RIDES, self.stage)[
            'environment_variables']['RIDES_SNS_TOPIC_ARN']
        self.clients('sns').delete_topic(TopicArn=topic)
        self._ignore_missing(lambda: self.clients('dynamodb').delete_table(
            TableName=templates.table_name(self.stage)))

    def check_topic_arn(self):
        configured = templates.stage_config(templates.RIDES, self.stage)[
            'environment_variables']['RIDES_SNS_TOPIC_ARN']
        self.say('[1] check RIDES_SNS_TOPIC_ARN in rides/.chalice/config.json')
        identity = self.clients('sts').get_caller_identity()
        if self.dry_run:
            return configured
        region = self.clients('sns').meta.region_name
        partition = identity['Arn'].split(':')[1]
        expected = (f'arn:{partition}:sns:{region}:{identity["Account"]}:'
                    f'{templates.topic_name(self.stage)}')
        if configured != expected:
            raise SystemExit(f'set RIDES_SNS_TOPIC_ARN of stage {self.stage} in '
                             f'rides/.chalice/config.json to {expected} (it is {configured!r})')
        return expected

    def create_table(self):
        name = templates.table_name(self.stage)
        self.say(f'[2] create table {name} (unless it exists), TTL on')
        dynamodb = self.clients('dynamodb')
        if not self.dry_run:
            try:
                dynamodb.describe_table(TableName=name)
                self.say('  (exists)')
                return
            except dynamodb.exceptions.ResourceNotFoundException:
                pass
        dynamodb.create_table(**fleet_schema.table_definition(name))
        if not self.dry_run:
            dynamodb.get_waiter('table_exists').wait(TableName=name)
        dynamodb.update_time_to_live(TableName=name,
                                     TimeToLiveSpecification=fleet_schema.ttl_specification())

    def chalice(self, verb, app, step=''):
        command = [_chalice(), '--project-dir', str(templates.app_dir(app)), verb,
                   '--stage', self.stage]
        self.say(f'{step}chalice {verb} {app}')
        self.run(command)

    def deployed_value(self, app, resource_name, key):
        if self.dry_run:
            return f'<{key} from {app}/.chalice/deployed/{self.stage}.json>'
        path = templates.app_dir(app) / '.chalice' / 'deployed' / f'{self.stage}.json'
        for resource in json.loads(path.read_text())['resources']:
            if resource['name'] == resource_name:
                return resource[key]
        raise SystemExit(f'{path} has no {resource_name}')

    def deployed_arn(self, app, function):
        return self.deployed_value(app, function, 'lambda_arn')

    def _ignore_missing(self, call):
        try:
            call()
        except Exception as error:  # noqa: BLE001 - teardown keeps going
            if 'NotFound' not in type(error).__name__ and 'NotFound' not in str(error):
                raise
            self.say(f'  (already gone: {type(error).__name__})')


def _chalice():
    candidate = pathlib.Path(sys.executable).parent / 'chalice'
    return str(candidate) if candidate.exists() else 'chalice'


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(description='chalice deploy both apps, with their resources')
    parser.add_argument('--stage', default='dev', choices=templates.STAGES)
    parser.add_argument('--delete', action='store_true', help='tear everything down')
    parser.add_argument('--dry-run', action='store_true', help='print the steps, call nothing')
    args = parser.parse_args(argv)
    if args.dry_run:
        print(f'DRY RUN: stage {args.stage}; nothing is sent to AWS', file=out)
        clients = lambda service: DryRunClient(service, out)  # noqa: E731
        run = lambda command: print('  would run ' + ' '.join(command), file=out)  # noqa: E731
    else:
        import boto3
        session = boto3.session.Session()
        made = {}
        clients = lambda service: made.setdefault(service, session.client(service))  # noqa: E731
        run = lambda command: subprocess.run(command, check=True)  # noqa: E731
    job = ChaliceDeploy(args.stage, clients, run, out=out, dry_run=args.dry_run)
    job.delete() if args.delete else job.deploy()


if __name__ == '__main__':
    main()
