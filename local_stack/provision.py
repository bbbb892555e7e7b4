"""What a deploy creates, created in moto with the same names.

The sequence is the deploy's own (`deploy.provision`): the fleet table, the
SSM parameter holding `RequestUnicornInvoke`'s ARN (which rides reads at
run time, as it does when deployed), the catalog loaded by invoking
`LoadTable` through the endpoint, the rides topic. Here the fleet's
functions need no deploy: the local runtime serves them already.
"""
import boto3
from botocore.config import Config

from deploy.provision import Provisioner, ProvisioningFailed
from local_stack import REGION
from project.model import FLEET_FUNCTION, LOADER_FUNCTION, Project

__all__ = ['FLEET_FUNCTION', 'LOADER_FUNCTION', 'ProvisioningFailed', 'aws_client',
           'provision']

# LoadTable is idempotent: on a busy machine one of its DynamoDB calls can
# go over its tight timeout, so it is tried again, a bounded number of times.
LOAD_ATTEMPTS = 3


def aws_client(service, endpoint_url, read_timeout=70):
    """A boto3 client for the local endpoint, with dummy credentials."""
    return boto3.session.Session(
        aws_access_key_id='testing', aws_secret_access_key='testing', region_name=REGION,
    ).client(service, endpoint_url=endpoint_url,
             config=Config(retries={'total_max_attempts': 1}, read_timeout=read_timeout,
                           connect_timeout=2))


def provision(endpoint_url, fleet_app, rides_app):
    """Create every resource and load the fleet; returns what was made."""
    topic_arn = rides_app.stage_environment().get('RIDES_SNS_TOPIC_ARN')
    if not topic_arn:
        raise ProvisioningFailed(f'{rides_app.app_dir.name}/.chalice/config.json sets no '
                                 f'RIDES_SNS_TOPIC_ARN for stage {rides_app.stage}')
    made = {}

    def clients(service):
        if service not in made:
            made[service] = aws_client(service, endpoint_url)
        return made[service]

    provisioner = Provisioner(Project(fleet_app.stage), clients)
    return provisioner.provision(lambda: fleet_app.function(FLEET_FUNCTION).arn, topic_arn,
                                 load_attempts=LOAD_ATTEMPTS).as_dict()
