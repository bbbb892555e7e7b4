"""What a deploy creates, created in moto with the same names.

The fleet table (from `shared.adapters.fleet_schema`, like the template), the rides
SNS topic, and the SSM parameter holding `RequestUnicornInvoke`'s ARN, which
rides reads at run time as it does when deployed. The fleet is then loaded
the way a deploy loads it: by invoking `LoadTable` through the endpoint.
"""
import json
import threading

import boto3
from botocore.config import Config

from local_stack import REGION
from shared.adapters import fleet_schema

FLEET_FUNCTION = 'RequestUnicornInvoke'
LOADER_FUNCTION = 'LoadTable'


class ProvisioningFailed(RuntimeError):
    pass


def aws_client(service, endpoint_url, read_timeout=70):
    """A boto3 client for the local endpoint, with dummy credentials."""
    return boto3.session.Session(
        aws_access_key_id='testing', aws_secret_access_key='testing', region_name=REGION,
    ).client(service, endpoint_url=endpoint_url,
             config=Config(retries={'total_max_attempts': 1}, read_timeout=read_timeout,
                           connect_timeout=2))


def provision(endpoint_url, fleet_app, rides_app):
    """Create every resource and load the fleet; returns what was made."""
    fleet_env, rides_env = fleet_app.stage_environment(), rides_app.stage_environment()
    table = _required(fleet_env, 'DYNAMODB_TABLE', fleet_app)
    dynamodb = aws_client('dynamodb', endpoint_url)
    dynamodb.create_table(**fleet_schema.table_definition(
        table, fleet_env.get('UNICORN_HASH_KEY') or fleet_schema.HASH_KEY))
    dynamodb.update_time_to_live(TableName=table,
                                 TimeToLiveSpecification=fleet_schema.ttl_specification())
    # LoadTable's cold start runs in a worker process: overlap it with the rest.
    loading = _in_thread(load_fleet, endpoint_url, fleet_app)

    topic_arn = _required(rides_env, 'RIDES_SNS_TOPIC_ARN', rides_app)
    created = aws_client('sns', endpoint_url).create_topic(Name=topic_arn.rsplit(':', 1)[1])
    if created['TopicArn'] != topic_arn:
        raise ProvisioningFailed(f'the topic was created as {created["TopicArn"]}, but rides '
                                 f'publishes to {topic_arn}')

    fleet_arn = fleet_app.function(FLEET_FUNCTION).arn
    parameter = _required(rides_env, 'REQUEST_UNICORN_ARN_PARAMETER', rides_app)
    aws_client('ssm', endpoint_url).put_parameter(Name=parameter, Value=fleet_arn,
                                                  Type='String', Overwrite=True)
    loaded = loading.result()
    return {'table': table, 'topic_arn': topic_arn, 'parameter': parameter,
            'fleet_arn': fleet_arn, 'loaded': loaded}


def load_fleet(endpoint_url, fleet_app, attempts=3):
    """Invoke LoadTable with `{}`; its answer, or `ProvisioningFailed`.
    LoadTable is idempotent, so a failure (a DynamoDB call over its tight
    timeout on a busy machine) is tried again, a bounded number of times."""
    client = aws_client('lambda', endpoint_url)
    for attempt in range(1, attempts + 1):
        response = client.invoke(FunctionName=fleet_app.function(LOADER_FUNCTION).arn,
                                 Payload=b'{}')
        answer = json.loads(response['Payload'].read() or b'null')
        if not response.get('FunctionError'):
            return answer
        if attempt == attempts:
            raise ProvisioningFailed(f'{LOADER_FUNCTION} failed {attempts} times, last with '
                                     f'{answer.get("errorType")}: {answer.get("errorMessage")}')


class _in_thread:
    """Run `function(*args)` in a thread; `result()` returns or raises it."""

    def __init__(self, function, *args):
        self._outcome = None
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self._thread.start()

    def _run(self, function, args):
        try:
            self._outcome = (True, function(*args))
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self._outcome = (False, error)

    def result(self):
        self._thread.join()
        ok, value = self._outcome
        if not ok:
            raise value
        return value


def _required(env, name, app):
    if not env.get(name):
        raise ProvisioningFailed(f'{app.app_dir.name}/.chalice/config.json sets no {name} '
                                 f'for stage {app.stage}')
    return env[name]
