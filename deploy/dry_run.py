"""A dry run's AWS: every call is printed, none is sent.

The deploy code runs unchanged in a dry run; only its clients differ. They
answer as an account would in which nothing of this project exists yet
(no stack, no object in the bucket), so every step of a first deploy is
shown. The account and region are the local stack's (`project.model`):
the `dev` stage's configuration names them.
"""
from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TextIO

from botocore.exceptions import ClientError

from project.model import LOCAL_ACCOUNT_ID, LOCAL_REGION

SHOWN_LENGTH = 120  # longer strings and bytes are shown by their length


def _missing(code: str, message: str, operation: str) -> ClientError:
    return ClientError({'Error': {'Code': code, 'Message': message}}, operation)


class DryRunAws:
    """Clients for one dry run: `clients(service)` (pass it where boto3
    clients are asked for). Remembers what the run created, so a stack
    whose change set was executed is then described as existing, and an SSM
    parameter the run put is then read back."""

    def __init__(self, out: TextIO, region: str = LOCAL_REGION,
                 account: str = LOCAL_ACCOUNT_ID) -> None:
        self.out = out
        self.region = region
        self.account = account
        self.stacks: set[str] = set()
        self.parameters: dict[str, str] = {}  # SSM parameters the run put

    def __call__(self, service: str) -> DryRunClient:
        return DryRunClient(service, self)

    def answer(self, service: str, operation: str, kwargs: dict[str, Any]) -> Any:
        """What an account with nothing of this project in it answers: the
        `_<service>_<operation>` method below, or `{}`."""
        answer = getattr(self, f'_{service.replace("-", "_")}_{operation}', None)
        return answer(**kwargs) if answer else {}

    def _sts_get_caller_identity(self) -> dict[str, str]:
        return {'Account': self.account, 'Arn': f'arn:aws:iam::{self.account}:user/dry-run'}

    def _s3_head_object(self, **kwargs: Any) -> dict[str, Any]:
        raise _missing('404', 'Not Found', 'HeadObject')

    def _cloudformation_describe_stacks(self, StackName: str) -> dict[str, Any]:
        if StackName not in self.stacks:
            raise _missing('ValidationError', f'Stack with id {StackName} does not exist',
                           'DescribeStacks')
        return {'Stacks': [{'StackName': StackName, 'StackStatus': 'CREATE_COMPLETE',
                            'Outputs': []}]}

    def _s3_list_objects_v2(self, Bucket: str, Prefix: str = '', **kwargs: Any) -> dict[str, Any]:
        """One stand-in object, so a dry teardown shows its delete."""
        return {'Contents': [{'Key': f'{Prefix}<each uploaded object>'}], 'IsTruncated': False}

    def _cloudformation_execute_change_set(self, StackName: str,
                                           **kwargs: Any) -> dict[str, Any]:
        self.stacks.add(StackName)
        return {}

    def _sns_create_topic(self, Name: str, **kwargs: Any) -> dict[str, str]:
        return {'TopicArn': f'arn:aws:sns:{self.region}:{self.account}:{Name}'}

    def _sqs_create_queue(self, QueueName: str, **kwargs: Any) -> dict[str, str]:
        return {'QueueUrl': self._queue_url(QueueName)}

    def _sqs_get_queue_url(self, QueueName: str, **kwargs: Any) -> dict[str, str]:
        return {'QueueUrl': self._queue_url(QueueName)}

    def _sqs_get_queue_attributes(self, QueueUrl: str, **kwargs: Any) -> dict[str, Any]:
        name = QueueUrl.rsplit('/', 1)[1]
        return {'Attributes': {'QueueArn': f'arn:aws:sqs:{self.region}:{self.account}:{name}'}}

    def _queue_url(self, name: str) -> str:
        return f'https://sqs.{self.region}.amazonaws.com/{self.account}/{name}'

    def _lambda_invoke(self, **kwargs: Any) -> dict[str, Any]:
        return {'StatusCode': 200}

    def _ssm_put_parameter(self, Name: str, Value: str, **kwargs: Any) -> dict[str, Any]:
        self.parameters[Name] = Value
        return {'Version': 1}

    def _ssm_get_parameter(self, Name: str, **kwargs: Any) -> dict[str, Any]:
        if Name not in self.parameters:
            raise _missing('ParameterNotFound', f'{Name} not found', 'GetParameter')
        return {'Parameter': {'Name': Name, 'Value': self.parameters[Name], 'Type': 'String'}}

    def _cognito_idp_create_user_pool(self, PoolName: str, **kwargs: Any) -> dict[str, Any]:
        pool_id = f'{self.region}_DryRun'
        return {'UserPool': {'Id': pool_id, 'Name': PoolName, 'Arn': (
            f'arn:aws:cognito-idp:{self.region}:{self.account}:userpool/{pool_id}')}}

    def _wafv2_list_web_acls(self, **kwargs: Any) -> dict[str, Any]:
        return {'WebACLs': []}

    def _wafv2_create_web_acl(self, Name: str, Scope: str, **kwargs: Any) -> dict[str, Any]:
        acl_id = 'dry-run-web-acl-id'
        return {'Summary': {'Name': Name, 'Id': acl_id, 'ARN': (
            f'arn:aws:wafv2:{self.region}:{self.account}:regional/webacl/{Name}/{acl_id}')}}

    def _cognito_idp_create_user_pool_client(self, **kwargs: Any) -> dict[str, Any]:
        return {'UserPoolClient': {'ClientId': 'dry-run-client-id', **kwargs}}

    def say(self, text: str) -> None:
        print(text, file=self.out)


class DryRunClient:
    """Stands in for a boto3 client: prints each call, sends nothing."""

    def __init__(self, service: str, aws: DryRunAws) -> None:
        self._service = service
        self._aws = aws
        self.meta = SimpleNamespace(region_name=aws.region)

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            self._aws.say(f'  would call {self._service}.{operation}({_shown(kwargs)})')
            return self._aws.answer(self._service, operation, kwargs)
        return call

    def get_waiter(self, name: str) -> SimpleNamespace:
        def wait(**kwargs: Any) -> None:
            self._aws.say(f'  would wait for {self._service} {name}({_shown(kwargs)})')
        return SimpleNamespace(wait=wait)


def _shown(kwargs: dict[str, Any]) -> str:
    shown = {key: (f'<{len(value)} bytes>' if isinstance(value, (bytes, str))
                   and len(value) > SHOWN_LENGTH else value) for key, value in kwargs.items()}
    return ', '.join(f'{key}={value!r}' for key, value in shown.items())
