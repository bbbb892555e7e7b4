"""The project as one model: its Chalice apps, their stages, every function
as `chalice deploy` would deploy it, and the names of what is made around
them (table, topic, SSM parameters).

Everything that needs one of these facts (deploy/, local_stack/, bench/,
the tests) asks here, so no name is typed twice and nothing else reads
`.chalice/config.json`. A function's settings come from Chalice's own
`Config`, so the merge of top-level, stage and per-function values is
exactly the one `chalice deploy` makes.

A new app is one more `AppEntry` in `APP_ENTRIES`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# Chalice itself is imported where it is used, not here: the bench's
# cold-start probe imports this module in the interpreter it times.
if TYPE_CHECKING:
    from chalice.config import Config

ROOT = Path(__file__).resolve().parents[1]
STAGES = ('dev', 'prod')
# Where the local stack and the tests pretend to be: moto's default account.
LOCAL_ACCOUNT_ID = '123456789012'
LOCAL_REGION = 'us-east-1'
# Chalice's name for the function behind an app's REST API: its key under
# `lambda_functions` in config.json, and its logical id in a package.
API_HANDLER = 'api_handler'
API_HANDLER_LOGICAL_ID = 'APIHandler'


def function_arn(deployed_name: str, region: str = LOCAL_REGION,
                 account: str = LOCAL_ACCOUNT_ID) -> str:
    """A function's ARN; by default in the local stack's account and region."""
    return f'arn:aws:lambda:{region}:{account}:function:{deployed_name}'


@dataclass(frozen=True)
class AppEntry:
    """One Chalice app of the project: its folder and the names its `app.py`
    gives to `@app.lambda_function` (a test checks them against the app)."""

    folder: str
    lambda_functions: tuple[str, ...]
    rest_api: bool = True
    # Functions of `@app.on_sns_message(name=...)`: deployed and named the same way.
    event_functions: tuple[str, ...] = ()

    @property
    def directory(self) -> Path:
        return ROOT / self.folder


# Functions with a role in the design (DESIGN.md, "Names and contracts").
FLEET_FUNCTION = 'RequestUnicornInvoke'
LOADER_FUNCTION = 'LoadTable'
RIDES_FUNCTION = 'RequestRideInvoke'
HISTORY_FUNCTION = 'ListRideRecords'
RECORDER_FUNCTION = 'PutRideRecordSns'

FLEET = AppEntry('ride_fleet', (FLEET_FUNCTION, LOADER_FUNCTION))
RIDES = AppEntry('rides', (RIDES_FUNCTION,))
RECORD = AppEntry('ride_record', (HISTORY_FUNCTION,), event_functions=(RECORDER_FUNCTION,))
# In the order they are deployed: rides needs the fleet's ARN at deploy time;
# ride-record needs rides' topic (SSM), and rides finds ride-record's
# ListRideRecords through SSM at run time, so no stack waits for a later one.
APP_ENTRIES = (FLEET, RIDES, RECORD)

# The unicorn catalog LoadTable loads (the package holds a copy in chalicelib/).
CATALOG_PATH = FLEET.directory / 'chalicelib' / 'unicorns.json'


class ChaliceApp:
    """One Chalice project directory at one stage, read through Chalice's `Config`."""

    def __init__(self, app_dir: str | Path, stage: str = 'dev') -> None:
        self.app_dir = Path(app_dir).resolve()
        self.stage = stage
        self.config = json.loads((self.app_dir / '.chalice' / 'config.json').read_text())
        self.app_name: str = self.config['app_name']

    def chalice_config(self, function_name: str = API_HANDLER) -> Config:
        """The stage's settings for one function (by default the REST API's
        handler, as `chalice local` reads them)."""
        from chalice.config import Config

        return Config(chalice_stage=self.stage, function_name=function_name,
                      config_from_disk=self.config,
                      default_params={'project_dir': str(self.app_dir)})

    def stage_environment(self) -> dict[str, str]:
        """The stage's environment variables (what `chalice local` sets)."""
        return {k: str(v) for k, v in self.chalice_config().environment_variables.items()}

    def deployed_name(self, function_name: str) -> str:
        """What `chalice deploy` calls a function: `<app_name>-<stage>-<Name>`,
        and `<app_name>-<stage>` for the REST API's handler."""
        prefix = f'{self.app_name}-{self.stage}'
        return prefix if function_name == API_HANDLER else f'{prefix}-{function_name}'

    def function(self, function_name: str) -> Function:
        from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT

        config = self.chalice_config(function_name)
        deployed = self.deployed_name(function_name)
        return Function(
            app=self, name=function_name, deployed_name=deployed,
            arn=function_arn(deployed),
            timeout=float(config.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
            memory_mb=int(config.lambda_memory_size or DEFAULT_LAMBDA_MEMORY_SIZE),
            environment={k: str(v) for k, v in config.environment_variables.items()},
            reserved_concurrency=config.reserved_concurrency,
            log_retention_days=config.log_retention_in_days,
            xray=bool(config.xray_enabled))

    @property
    def api_gateway_stage(self) -> str:
        return str(self.chalice_config().api_gateway_stage)

    @property
    def api_handler(self) -> Function:
        return self.function(API_HANDLER)


@dataclass(frozen=True, eq=False)
class Function:
    """One function as it would be deployed."""

    app: ChaliceApp
    name: str            # the name in the app, e.g. RequestUnicornInvoke
    deployed_name: str   # wild-rydes-ride-fleet-dev-RequestUnicornInvoke
    arn: str             # in the local stack's account and region
    timeout: float
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    log_retention_days: int | None = None
    xray: bool = False

    @property
    def logical_id(self) -> str:
        """Its resource name in the package Chalice builds."""
        return API_HANDLER_LOGICAL_ID if self.name == API_HANDLER else self.name

    @property
    def log_group_logical_id(self) -> str:
        """Its log group's resource name in that package (Chalice: `<name>_log_group`)."""
        from chalice.utils import to_cfn_resource_name

        return to_cfn_resource_name(f'{self.name}_log_group')

    @property
    def log_group_name(self) -> str:
        return f'/aws/lambda/{self.deployed_name}'

    @property
    def role_logical_id(self) -> str:
        """Its role's resource name in that package (Chalice: `<name>_role`)."""
        from chalice.utils import to_cfn_resource_name

        return to_cfn_resource_name(f'{self.name}_role')

    def arn_in(self, region: str, account: str) -> str:
        return function_arn(self.deployed_name, region, account)


class Project:
    """Every app of the project at one stage, and the names around them."""

    def __init__(self, stage: str = 'dev') -> None:
        if stage not in STAGES:
            raise ValueError(f'unknown stage {stage!r}; the stages are {", ".join(STAGES)}')
        self.stage = stage
        self._apps = {entry.folder: ChaliceApp(entry.directory, stage)
                      for entry in APP_ENTRIES}

    def app(self, entry: AppEntry) -> ChaliceApp:
        return self._apps[entry.folder]

    @property
    def apps(self) -> list[ChaliceApp]:
        return [self.app(entry) for entry in APP_ENTRIES]

    def functions(self, entry: AppEntry) -> Iterator[Function]:
        """Every function Chalice deploys for the app, the REST API's first."""
        app = self.app(entry)
        if entry.rest_api:
            yield app.api_handler
        for name in entry.lambda_functions + entry.event_functions:
            yield app.function(name)

    @property
    def fleet(self) -> ChaliceApp:
        return self.app(FLEET)

    @property
    def rides(self) -> ChaliceApp:
        return self.app(RIDES)

    @property
    def record(self) -> ChaliceApp:
        return self.app(RECORD)

    def stack_name(self, entry: AppEntry) -> str:
        """The CloudFormation stack of an app: named like its REST API handler."""
        return self.app(entry).deployed_name(API_HANDLER)

    # -- the fleet's resources
    @property
    def fleet_function(self) -> Function:
        return self.fleet.function(FLEET_FUNCTION)

    @property
    def loader_function(self) -> Function:
        return self.fleet.function(LOADER_FUNCTION)

    @property
    def table_name(self) -> str:
        return f'{self.fleet.app_name}-{self.stage}-unicorns'

    @property
    def fleet_arn_parameter(self) -> str:
        """The SSM parameter holding the fleet's direct-invoke ARN."""
        return f'/{self.fleet.app_name}/{self.stage}/{FLEET_FUNCTION}Arn'

    @property
    def fleet_url_parameter(self) -> str:
        """The SSM parameter holding the fleet API's GET /unicorn URL (the
        http transport's)."""
        return f'/{self.fleet.app_name}/{self.stage}/RequestUnicornUrl'

    @property
    def fleet_api_id_parameter(self) -> str:
        """The SSM parameter holding the fleet's REST API id, for rides'
        `execute-api:Invoke` grant on exactly its routes."""
        return f'/{self.fleet.app_name}/{self.stage}/RestApiId'

    @property
    def unicorn_transport(self) -> str:
        """How the deployed rides calls the fleet: `invoke` or `http`."""
        return UNICORN_TRANSPORT[self.stage]

    @property
    def log_retention_days(self) -> int:
        """Every log group's retention at this stage (the functions' come
        from config.json's `log_retention_in_days`)."""
        return int(self.fleet.api_handler.log_retention_days or 0)

    @property
    def keeps_data(self) -> bool:
        """prod keeps its table (PITR, Retain); dev may lose it."""
        return self.stage == 'prod'

    @property
    def alarm_topic_name(self) -> str:
        return f'{self.rides.app_name}-{self.stage}-alarms'

    def alarm_topic_arn(self, region: str = LOCAL_REGION, account: str = LOCAL_ACCOUNT_ID,
                        partition: str = 'aws') -> str:
        return f'arn:{partition}:sns:{region}:{account}:{self.alarm_topic_name}'

    @property
    def catalog_path(self) -> Path:
        return CATALOG_PATH

    # -- rides' resources
    @property
    def rides_function(self) -> Function:
        return self.rides.function(RIDES_FUNCTION)

    @property
    def topic_name(self) -> str:
        return f'{self.rides.app_name}-{self.stage}-rides'

    @property
    def topic_arn_parameter(self) -> str:
        """Where downstream subscribers find the rides topic (the name the
        original wild-rydes used)."""
        return f'/{self.rides.app_name}/{self.stage}/SnsTopicArn'

    def topic_arn(self, region: str = LOCAL_REGION, account: str = LOCAL_ACCOUNT_ID,
                  partition: str = 'aws') -> str:
        return f'arn:{partition}:sns:{region}:{account}:{self.topic_name}'

    # -- riders (the Cognito user pool rides' stack owns)
    @property
    def user_pool_name(self) -> str:
        return f'{self.rides.app_name}-{self.stage}-riders'

    @property
    def user_pool_client_name(self) -> str:
        """The page's app client (no secret: it runs in a browser)."""
        return f'{self.rides.app_name}-{self.stage}-page'

    @property
    def user_pool_id_parameter(self) -> str:
        return f'/{self.rides.app_name}/{self.stage}/UserPoolId'

    @property
    def user_pool_client_id_parameter(self) -> str:
        return f'/{self.rides.app_name}/{self.stage}/UserPoolClientId'

    @property
    def rides_throttle(self) -> Throttle:
        """The rides API stage's throttling, on AWS and in the local stack."""
        return RIDES_THROTTLE[self.stage]

    @property
    def rides_requests_per_ip(self) -> IpRateLimit:
        """The WAF rate-based rule in front of the rides API (per source IP)."""
        return RIDES_REQUESTS_PER_IP[self.stage]

    @property
    def web_acl_name(self) -> str:
        return f'{self.rides.app_name}-{self.stage}-riders-door'


    # -- ride-record's resources
    @property
    def history_function(self) -> Function:
        """ListRideRecords: one rider's rides, invoked directly by rides."""
        return self.record.function(HISTORY_FUNCTION)

    @property
    def recorder_function(self) -> Function:
        """PutRideRecordSns: keeps every ride event the rides topic delivers."""
        return self.record.function(RECORDER_FUNCTION)

    @property
    def record_table_name(self) -> str:
        return f'{self.record.app_name}-{self.stage}-rides'

    @property
    def record_dlq_name(self) -> str:
        """The SQS queue where ride events land after the async retries fail."""
        return f'{self.record.app_name}-{self.stage}-dlq'

    @property
    def record_url_parameter(self) -> str:
        """The SSM parameter holding ride-record's API URL (POST /record)."""
        return f'/{self.record.app_name}/{self.stage}/URL'

    @property
    def history_arn_parameter(self) -> str:
        """The SSM parameter holding ListRideRecords' ARN, which rides reads."""
        return f'/{self.record.app_name}/{self.stage}/{HISTORY_FUNCTION}InvokeArn'

    @property
    def dead_letter_queues(self) -> dict[str, str]:
        """{deployed function name: SQS queue name} of every function whose
        asynchronous events go to a dead-letter queue once Lambda's retries
        fail (its `DeadLetterConfig`)."""
        return {self.recorder_function.deployed_name: self.record_dlq_name}


@dataclass(frozen=True)
class Throttle:
    """API Gateway stage throttling: a steady rate and a burst (token bucket)."""

    rate_per_second: float
    burst: int


@dataclass(frozen=True)
class IpRateLimit:
    """A WAF rate-based rule: at most `requests` from one source IP in any
    `window_seconds` (WAF allows 60, 120, 300 or 600); past it, 403."""

    requests: int
    window_seconds: int = 300


# The rider-facing API's stage throttling, as API Gateway applies a stage's
# default: per method. dev: 50 requests/s, burst 100. prod is smaller so that
# the functions' reserved concurrency can hold every admitted request within
# a default account's quota (README, "Security model").
RIDES_THROTTLE = {
    'dev': Throttle(rate_per_second=50, burst=100),
    'prod': Throttle(rate_per_second=50, burst=50),
}
# Per source IP, riders behind one NAT included (README, "Security model").
RIDES_REQUESTS_PER_IP = {
    'dev': IpRateLimit(requests=1000),
    'prod': IpRateLimit(requests=1000),
}
# How the deployed rides calls the fleet, per stage: `invoke` (lambda.invoke,
# the default) or `http` (the fleet's IAM-authorized GET /unicorn).
UNICORN_TRANSPORT = {
    'dev': 'invoke',
    'prod': 'invoke',
}
TRANSPORTS = ('invoke', 'http')
# The name of rides' Cognito user pool authorizer (app.py and the template).
RIDERS_AUTHORIZER = 'Riders'


def project(stage: str = 'dev') -> Project:
    return Project(stage)
