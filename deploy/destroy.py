"""`make destroy STAGE=dev [ARTIFACT_BUCKET=...] [YES=1] [DRY_RUN=1] [ROUTE=chalice]`:
tear down what `make deploy` (or the `chalice deploy` route) made.

    python -m deploy.destroy --stage dev [--bucket B] [--yes] [--dry-run] [--route package|chalice]

The package route (default), in the reverse of the deploy order:
 1. ride-record's stack, then wait for it to be gone (it is subscribed to
    rides' topic, and its alarms publish to the fleet's alarm topic);
 2. rides' stack, then wait (it calls the fleet, and its alarms publish to
    the fleet's alarm topic);
 3. the fleet's stack, then wait;
 4. every artifact `make deploy` uploaded: the objects under
    s3://<bucket>/<app>/<stage>/ (zips and large templates);
 5. say what was kept: in prod the fleet table and the ride-record table
    (DeletionPolicy Retain, with their point-in-time backups), and the
    bucket itself.
The chalice route runs `deploy.chalice_deploy --delete` (chalice delete of
every app, then what that script made around them).

Nothing happens before the operator types the stage's name, unless
`--yes` (make: YES=1). `--dry-run` (DRY_RUN=1) prints every step, as if every
stack existed, and calls nothing (`deploy.dry_run`).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

from botocore.exceptions import ClientError

from deploy import chalice_deploy
from deploy.deploy import boto3_clients
from deploy.dry_run import DryRunAws
from deploy.provision import Clients

__all__ = ['APP_ENTRIES', 'DryRunAws', 'Destroyer', 'main']
from project.model import APP_ENTRIES, STAGES, AppEntry, Project

ROUTES = ('package', 'chalice')
DELETE_PAGE = 1000  # S3 DeleteObjects takes at most 1000 keys


class Destroyer:
    def __init__(self, stage: str, bucket: str | None, clients: Clients,
                 out: TextIO = sys.stdout, prefix: str | None = None) -> None:
        self.project = Project(stage)
        self.stage = stage
        self.bucket = bucket
        # What deploy.Deployer uploads under: <rides app name>/<stage>/
        self.prefix = f'{prefix or self.project.rides.app_name}/{stage}/'
        self.out = out
        self._cfn = clients('cloudformation')
        self._s3 = clients('s3') if bucket else None

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def destroy_all(self) -> list[str]:
        """Returns what was kept on purpose."""
        order = list(reversed(APP_ENTRIES))  # each app depends only on those before it
        for step, app in enumerate(order, start=1):
            self.say(f'[{step}/{len(order) + 1}] {app.folder}: delete stack '
                     f'{self.project.stack_name(app)}')
            self.delete_stack(app)
        self.say(f'[{len(order) + 1}/{len(order) + 1}] uploaded artifacts')
        self.remove_artifacts()
        kept = self.kept()
        self.say('kept: ' + ('; '.join(kept) if kept else 'nothing'))
        return kept

    def delete_stack(self, app: AppEntry) -> None:
        name = self.project.stack_name(app)
        if not self.exists(name):
            self.say('  (no such stack: already gone)')
            return
        self._cfn.delete_stack(StackName=name)
        self.say('  wait for stack_delete_complete')
        self._cfn.get_waiter('stack_delete_complete').wait(
            StackName=name, WaiterConfig={'Delay': 10, 'MaxAttempts': 180})

    def exists(self, name: str) -> bool:
        try:
            [stack] = self._cfn.describe_stacks(StackName=name)['Stacks']
        except ClientError as error:
            if 'does not exist' in str(error):
                return False
            raise
        return stack.get('StackStatus') != 'DELETE_COMPLETE'

    def remove_artifacts(self) -> int:
        if self._s3 is None:
            self.say('  no ARTIFACT_BUCKET given: uploaded zips are left where they are')
            return 0
        self.say(f'  delete every object under s3://{self.bucket}/{self.prefix}')
        removed = 0
        kwargs = {'Bucket': self.bucket, 'Prefix': self.prefix}
        while True:
            page = self._s3.list_objects_v2(**kwargs)
            keys = [{'Key': item['Key']} for item in page.get('Contents', [])]
            for start in range(0, len(keys), DELETE_PAGE):
                self._s3.delete_objects(Bucket=self.bucket, Delete={
                    'Objects': keys[start:start + DELETE_PAGE], 'Quiet': True})
            removed += len(keys)
            if not page.get('IsTruncated'):
                break
            kwargs['ContinuationToken'] = page['NextContinuationToken']
        self.say(f'  removed {removed} object(s)')
        return removed

    def kept(self) -> list[str]:
        kept = []
        if self.project.keeps_data:
            for table in (self.project.table_name, self.project.record_table_name):
                kept.append(f'DynamoDB table {table} and its point-in-time backups '
                            '(DeletionPolicy Retain); delete it yourself when sure: '
                            f'aws dynamodb delete-table --table-name {table}')
        if self.bucket:
            kept.append(f'the bucket {self.bucket} itself (only this stage\'s objects went)')
        return kept


def confirmed(stage: str, ask: Callable[[str], str], out: TextIO) -> bool:
    """The operator types the stage's name, as GitHub asks for a repository's."""
    print(f'This deletes every stack of stage {stage} and its uploaded artifacts.', file=out)
    return ask(f'Type the stage name ({stage}) to go on: ').strip() == stage


def main(argv: list[str] | None = None, out: TextIO = sys.stdout,
         ask: Callable[[str], str] = input) -> int:
    parser = argparse.ArgumentParser(description='delete ride-record, then rides, then the fleet')
    parser.add_argument('--stage', default='dev', choices=STAGES)
    parser.add_argument('--bucket', help='the ARTIFACT_BUCKET make deploy uploaded to')
    parser.add_argument('--region', help="default: boto3's (AWS_REGION, ~/.aws/config)")
    parser.add_argument('--route', default='package', choices=ROUTES,
                        help='package: the CloudFormation stacks (make deploy); '
                             'chalice: the chalice deploy route')
    parser.add_argument('--yes', action='store_true', help='do not ask (make: YES=1)')
    parser.add_argument('--dry-run', action='store_true', help='print the steps, call nothing')
    args = parser.parse_args(argv)
    if not args.dry_run and not args.yes and not confirmed(args.stage, ask, out):
        print('not confirmed: nothing deleted', file=out)
        return 1
    if args.route == 'chalice':
        chalice_deploy.main(['--stage', args.stage, '--delete']
                            + (['--dry-run'] if args.dry_run else []), out=out)
        return 0
    clients: Clients
    if args.dry_run:
        dry_run = DryRunAws(out)
        project = Project(args.stage)
        dry_run.stacks.update(project.stack_name(app) for app in APP_ENTRIES)
        print(f'DRY RUN: destroying stage {args.stage}; nothing is sent to AWS (answers are '
              f'those of account {dry_run.account} in {dry_run.region} with every stack)',
              file=out)
        clients = dry_run
    else:
        clients = boto3_clients(args.region)
    bucket = args.bucket or ('<ARTIFACT_BUCKET>' if args.dry_run else None)
    Destroyer(args.stage, bucket, clients, out=out).destroy_all()
    return 0


if __name__ == '__main__':
    sys.exit(main())
