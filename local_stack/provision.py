"""What a deploy creates, created in moto with the same names.

The sequence is the deploy's own (`deploy.provision`): the fleet table, the
SSM parameter holding `RequestUnicornInvoke`'s ARN (which rides reads at
run time, as it does when deployed), the catalog loaded by invoking
`LoadTable` through the endpoint, the rides topic, the riders' user pool
and app client with their SSM parameters; then ride-record's table,
dead-letter queue and the SSM parameters naming `ListRideRecords` (which
rides reads at run time) and its URL. Here no function needs a deploy: the
local runtime serves them already. Then, locally only, a
demo rider (confirmed, e-mail verified) whom the banner names, so the page
can be tried at once.
"""
from typing import Any

import boto3
from botocore.config import Config

from deploy.provision import Provisioner, ProvisioningFailed
from local_stack import REGION
from local_stack.apps import AppDirectory
from project.model import FLEET_FUNCTION, HISTORY_FUNCTION, LOADER_FUNCTION, Project

__all__ = ['FLEET_FUNCTION', 'HISTORY_FUNCTION', 'LOADER_FUNCTION', 'ProvisioningFailed',
           'aws_client', 'provision']

# LoadTable is idempotent: on a busy machine one of its DynamoDB calls can
# go over its tight timeout, so it is tried again, a bounded number of times.
LOAD_ATTEMPTS = 3
# The demo rider: the pool's password policy holds (upper, lower, digit, symbol).
DEMO_RIDER_EMAIL = 'rider@example.com'
DEMO_RIDER_PASSWORD = 'Unicorn-rides-1'


def aws_client(service: str, endpoint_url: str, read_timeout: float = 70) -> Any:
    """A boto3 client for the local endpoint, with dummy credentials."""
    return boto3.session.Session(
        aws_access_key_id='testing', aws_secret_access_key='testing', region_name=REGION,
    ).client(service, endpoint_url=endpoint_url,
             config=Config(retries={'total_max_attempts': 1}, read_timeout=read_timeout,
                           connect_timeout=2))


def provision(endpoint_url: str, fleet_app: AppDirectory, rides_app: AppDirectory,
              record_app: AppDirectory, record_url: str) -> dict[str, Any]:
    """Create every resource and load the fleet; returns what was made
    (ride-record's part under `record`). `record_url` is where ride-record's
    `chalice local` serves."""
    topic_arn = rides_app.stage_environment().get('RIDES_SNS_TOPIC_ARN')
    if not topic_arn:
        raise ProvisioningFailed(f'{rides_app.app_dir.name}/.chalice/config.json sets no '
                                 f'RIDES_SNS_TOPIC_ARN for stage {rides_app.stage}')
    made: dict[str, Any] = {}

    def clients(service):
        if service not in made:
            made[service] = aws_client(service, endpoint_url)
        return made[service]

    provisioner = Provisioner(Project(fleet_app.stage), clients)
    result = provisioner.provision(lambda: fleet_app.function(FLEET_FUNCTION).arn, topic_arn,
                                   load_attempts=LOAD_ATTEMPTS).as_dict()
    create_rider(clients('cognito-idp'), result['user_pool_id'], DEMO_RIDER_EMAIL,
                 DEMO_RIDER_PASSWORD)
    result['demo_rider'] = {'email': DEMO_RIDER_EMAIL, 'password': DEMO_RIDER_PASSWORD}
    result['record'] = provisioner.provision_record(
        lambda: (record_app.function(HISTORY_FUNCTION).arn, record_url)).as_dict()
    return result


def create_rider(cognito: Any, user_pool_id: str, email: str, password: str) -> None:
    """A confirmed rider with a verified e-mail and a permanent password,
    made as an administrator would (no verification code, no e-mail)."""
    cognito.admin_create_user(
        UserPoolId=user_pool_id, Username=email, MessageAction='SUPPRESS',
        UserAttributes=[{'Name': 'email', 'Value': email},
                        {'Name': 'email_verified', 'Value': 'true'}])
    cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=email,
                                    Password=password, Permanent=True)
