"""The environment the measured handlers run in: both apps' `dev` stage
variables (from the project model), fake credentials, the fleet's ARN given
directly (no SSM lookup) and the invoke transport. Computed in the bench's
own process and handed to cold-start probes in their environment, so a
probe imports nothing it would then time."""
from project.model import LOCAL_REGION, Project

FAKE_AWS_ENV = {
    'AWS_ACCESS_KEY_ID': 'testing',
    'AWS_SECRET_ACCESS_KEY': 'testing',
    'AWS_DEFAULT_REGION': LOCAL_REGION,
    'AWS_EC2_METADATA_DISABLED': 'true',
}


def bench_environment(stage: str = 'dev') -> dict[str, str]:
    project = Project(stage)
    env = dict(FAKE_AWS_ENV)
    for app in project.apps:
        env.update(app.stage_environment())
    env.update({'REQUEST_UNICORN_ARN': project.fleet_function.arn, 'UNICORN_TRANSPORT': 'invoke'})
    env.pop('AWS_ENDPOINT_URL', None)
    return env
