"""What a deploy makes that Chalice does not, written once.

In the order the apps need it: the fleet table (from `shared.adapters.fleet_schema`)
with its TTL; the fleet's functions (made by whoever runs the sequence:
`chalice deploy`, or the local runtime, which serves them already); the SSM
parameter holding `RequestUnicornInvoke`'s ARN, which rides reads at run
time; the catalog, loaded by invoking `LoadTable` with `{}`; the rides
topic; the riders' Cognito user pool and the page's app client (from
`deploy.riders`) with the two SSM parameters naming them. Then ride-record's
part (`provision_record`): its table (from `shared.adapters.record_schema`)
and dead-letter queue, its functions, and the SSM parameters publishing
ListRideRecords' ARN (which rides reads at run time) and its URL. The local
stack runs it against its endpoint, `deploy.chalice_deploy` against AWS
(then `chalice deploy` rides with the pool's ARN), and a dry run with
clients that only print
(`deploy.dry_run`). The packaged template declares the same resources from
the same schema and names (`deploy.templates`).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from deploy import riders
from project.model import Project
from shared.adapters import fleet_schema, record_schema

Clients = Callable[[str], Any]  # service name -> boto3 client


class ProvisioningFailed(RuntimeError):
    """A step did not give what the apps need."""


@dataclass(frozen=True)
class RidersPool:
    """The riders' user pool and the page's app client."""

    user_pool_id: str
    user_pool_arn: str
    user_pool_client_id: str


@dataclass(frozen=True)
class Provisioned:
    """What the sequence made."""

    table: str
    fleet_arn: str
    parameter: str
    loaded: Any       # LoadTable's answer
    topic_arn: str
    user_pool_id: str
    user_pool_arn: str
    user_pool_client_id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RecordProvisioned:
    """What ride-record's part of the sequence made."""

    table: str
    dlq_url: str
    dlq_arn: str
    history_arn: str
    history_arn_parameter: str
    url: str
    url_parameter: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# A dead-letter queue keeps a message as long as SQS allows (14 days): time
# to find out why an event failed and send it again.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


def _quiet(text: str) -> None:
    """The default `say`: nothing."""


class Provisioner:
    """The resources around one stage's apps, made through `clients`."""

    def __init__(self, project: Project, clients: Clients,
                 say: Callable[[str], None] = _quiet) -> None:
        self.project = project
        self.clients = clients
        self.say = say

    def provision(self, deploy_fleet: Callable[[], str], topic_arn: str,
                  load_attempts: int = 1) -> Provisioned:
        """The whole sequence. `deploy_fleet()` makes the fleet's functions (or
        finds them made) and returns RequestUnicornInvoke's ARN; `topic_arn`
        is where rides' configuration publishes, which the created topic
        must be."""
        table = self.create_table()
        fleet_arn = deploy_fleet()
        parameter = self.publish_fleet_arn(fleet_arn)
        loaded = self.load_catalog(load_attempts)
        created_topic = self.create_topic(topic_arn)
        pool = self.create_riders_pool()
        return Provisioned(table=table, fleet_arn=fleet_arn, parameter=parameter,
                           loaded=loaded, topic_arn=created_topic, **asdict(pool))

    def provision_record(self, deploy_record: Callable[[], tuple[str, str]]) -> RecordProvisioned:
        """ride-record's part, after rides' (it reads rides' topic): its
        table and dead-letter queue, then `deploy_record()`, which makes its
        functions (or finds them made) and returns ListRideRecords' ARN and
        the app's API URL, then the two SSM parameters publishing them."""
        table = self.create_record_table()
        dlq_url, dlq_arn = self.create_record_dlq()
        history_arn, url = deploy_record()
        project = self.project
        self._put_parameter(project.history_arn_parameter, history_arn,
                            f"ride-record's ListRideRecords, for {project.rides.app_name}")
        self._put_parameter(project.record_url_parameter, url, "ride-record's API (POST /record)")
        return RecordProvisioned(table=table, dlq_url=dlq_url, dlq_arn=dlq_arn,
                                 history_arn=history_arn,
                                 history_arn_parameter=project.history_arn_parameter, url=url,
                                 url_parameter=project.record_url_parameter)

    def create_record_table(self) -> str:
        """ride-record's table (`shared.adapters.record_schema`), with its
        rider index; an existing table is left alone."""
        name = self.project.record_table_name
        self.say(f'create table {name} (unless it exists)')
        dynamodb = self.clients('dynamodb')
        try:
            dynamodb.create_table(**record_schema.table_definition(name))
        except ClientError as error:
            if error.response['Error']['Code'] != 'ResourceInUseException':
                raise
            self.say('  (exists)')
            return name
        dynamodb.get_waiter('table_exists').wait(TableName=name)
        return name

    def create_record_dlq(self) -> tuple[str, str]:
        """The SQS queue PutRideRecordSns's failed events land in; its URL
        and ARN. Creating it again with the same attributes is a no-op."""
        name = self.project.record_dlq_name
        self.say(f'create queue {name}')
        sqs = self.clients('sqs')
        url = sqs.create_queue(QueueName=name, Attributes={
            'MessageRetentionPeriod': str(DLQ_RETENTION_SECONDS)})['QueueUrl']
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])[
            'Attributes']['QueueArn']
        return str(url), str(arn)

    def delete_record(self) -> None:
        """Undo ride-record's part (not its functions): both parameters, the
        queue, the table; what is already gone is skipped."""
        project = self.project
        self.say(f"delete ride-record's SSM parameters, queue {project.record_dlq_name}, "
                 f'table {project.record_table_name}')
        for name in (project.history_arn_parameter, project.record_url_parameter):
            self._delete_parameter(name)
        sqs = self.clients('sqs')
        try:
            url = sqs.get_queue_url(QueueName=project.record_dlq_name)['QueueUrl']
        except ClientError as error:
            if 'NonExistentQueue' not in error.response['Error']['Code']:
                raise
            self.say('  (queue already gone)')
        else:
            sqs.delete_queue(QueueUrl=url)
        self._ignore_missing(lambda: self.clients('dynamodb').delete_table(
            TableName=project.record_table_name))

    def create_table(self) -> str:
        """The fleet table, with TTL on; an existing table is left alone."""
        name = self.project.table_name
        hash_key = (self.project.fleet.stage_environment().get('UNICORN_HASH_KEY')
                    or fleet_schema.HASH_KEY)
        self.say(f'create table {name} (unless it exists), TTL on')
        dynamodb = self.clients('dynamodb')
        try:
            dynamodb.create_table(**fleet_schema.table_definition(name, hash_key))
        except ClientError as error:
            if error.response['Error']['Code'] != 'ResourceInUseException':
                raise
            self.say('  (exists)')
            return name
        dynamodb.get_waiter('table_exists').wait(TableName=name)
        dynamodb.update_time_to_live(TableName=name,
                                     TimeToLiveSpecification=fleet_schema.ttl_specification())
        return name

    def publish_fleet_arn(self, fleet_arn: str) -> str:
        """The fleet's direct-invoke ARN in SSM, where rides looks it up."""
        name = self.project.fleet_arn_parameter
        self._put_parameter(name, fleet_arn, 'The fleet direct-invoke function, for '
                            f'{self.project.rides.app_name}')
        return name

    def load_catalog(self, attempts: int = 1) -> Any:
        """Invoke LoadTable with `{}`; its answer, or `ProvisioningFailed`.
        LoadTable is idempotent, so a failure (a DynamoDB call over its tight
        timeout on a busy machine) may be tried again, `attempts` times in all."""
        loader = self.project.loader_function.deployed_name
        self.say(f'invoke {loader} with {{}}')
        client = self.clients('lambda')
        for attempt in range(1, attempts + 1):
            response = client.invoke(FunctionName=loader, Payload=b'{}')
            payload = response.get('Payload')
            answer = json.loads(payload.read() or b'null') if payload is not None else None
            if not response.get('FunctionError'):
                return answer
            if attempt == attempts:
                error = answer or {}
                raise ProvisioningFailed(
                    f'{self.project.loader_function.name} failed {attempts} time(s), last '
                    f'with {error.get("errorType")}: {error.get("errorMessage")}')
        raise ValueError(f'attempts must be at least 1, not {attempts}')

    def create_topic(self, expected_arn: str) -> str:
        """The rides topic; it must be the one rides publishes to."""
        name = self.project.topic_name
        self.say(f'create topic {name}')
        created = self.clients('sns').create_topic(Name=name)['TopicArn']
        if created != expected_arn:
            raise ProvisioningFailed(f'the topic was created as {created}, but rides '
                                     f'publishes to {expected_arn}')
        return created

    def create_riders_pool(self) -> RidersPool:
        """The riders' user pool and the page's app client, both as
        `deploy.riders` defines them, and the SSM parameters
        `/<rides app>/<stage>/UserPoolId` and `.../UserPoolClientId`.

        Idempotent: a pool (or client) the parameters already name and that
        still exists is kept, as it is; riders' accounts live in it."""
        cognito = self.clients('cognito-idp')
        project = self.project
        pool = self._existing(project.user_pool_id_parameter, lambda pool_id: cognito.
                              describe_user_pool(UserPoolId=pool_id)['UserPool'])
        if pool is None:
            self.say(f'create user pool {project.user_pool_name}')
            pool = cognito.create_user_pool(
                **riders.create_user_pool_kwargs(project))['UserPool']
        else:
            self.say(f'user pool {project.user_pool_name} (exists: {pool["Id"]})')
        client = self._existing(project.user_pool_client_id_parameter, lambda client_id: (
            cognito.describe_user_pool_client(UserPoolId=pool['Id'], ClientId=client_id)
            ['UserPoolClient']))
        if client is None:
            self.say(f'create app client {project.user_pool_client_name}')
            client = cognito.create_user_pool_client(
                **riders.create_client_kwargs(project, pool['Id']))['UserPoolClient']
        self._put_parameter(project.user_pool_id_parameter, pool['Id'],
                            "The riders' Cognito user pool, for the page's configuration")
        self._put_parameter(project.user_pool_client_id_parameter, client['ClientId'],
                            "The page's Cognito app client, for the page's configuration")
        return RidersPool(user_pool_id=pool['Id'], user_pool_arn=pool['Arn'],
                          user_pool_client_id=client['ClientId'])

    def _existing(self, parameter: str, describe: Callable[[str], Any]) -> Any:
        """What the parameter names, described; None when either is gone."""
        try:
            value = self.clients('ssm').get_parameter(Name=parameter)['Parameter']['Value']
            return describe(value)
        except ClientError as error:
            if 'NotFound' not in error.response['Error']['Code']:
                raise
            return None

    def _put_parameter(self, name: str, value: str, description: str) -> None:
        self.say(f'SSM {name} = {value}')
        self.clients('ssm').put_parameter(Name=name, Value=value, Type='String',
                                          Overwrite=True, Description=description)

    def delete_riders_pool(self) -> None:
        """The pool (its clients and riders with it) and both parameters."""
        project = self.project
        self.say(f'delete user pool {project.user_pool_name} and its SSM parameters')
        pool = self._existing(project.user_pool_id_parameter, lambda pool_id: pool_id)
        if pool is not None:
            self._ignore_missing(lambda: self.clients('cognito-idp').delete_user_pool(
                UserPoolId=pool))
        for name in (project.user_pool_id_parameter, project.user_pool_client_id_parameter):
            self._delete_parameter(name)

    def _delete_parameter(self, name: str) -> None:
        self._ignore_missing(lambda: self.clients('ssm').delete_parameter(Name=name))

    def expected_topic_arn(self) -> str:
        """The topic's ARN in the account and region the clients reach."""
        identity = self.clients('sts').get_caller_identity()
        partition = identity['Arn'].split(':')[1]
        return self.project.topic_arn(self.clients('sns').meta.region_name,
                                      identity['Account'], partition)

    def delete(self) -> None:
        """Undo the sequence's resources (not the functions): user pool and
        its parameters, parameter, topic, table; what is already gone is
        skipped."""
        project = self.project
        self.delete_riders_pool()
        self.say(f'delete SSM parameter {project.fleet_arn_parameter}, topic, table')
        self._ignore_missing(lambda: self.clients('ssm').delete_parameter(
            Name=project.fleet_arn_parameter))
        self.clients('sns').delete_topic(TopicArn=self.expected_topic_arn())
        self._ignore_missing(lambda: self.clients('dynamodb').delete_table(
            TableName=project.table_name))

    def _ignore_missing(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except ClientError as error:
            code = error.response['Error']['Code']
            if 'NotFound' not in code:
                raise
            self.say(f'  (already gone: {code})')
