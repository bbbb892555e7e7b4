"""The whole system, started in order and stopped in reverse.

1. the endpoint binds its port (so a busy port fails before anything runs),
   and moto builds its DynamoDB, SSM and SNS services in a thread (SSM's
   takes a second of CPU, better spent while other processes start);
2. `chalice local` starts for each app (its start overlaps with 3. and 4.);
3. the runtime reads every app's functions and the endpoint starts serving;
4. provisioning: table, topic, SSM parameter, then `LoadTable` through the
   endpoint, then ride-record's table, dead-letter queue and parameters;
   every `@app.on_sns_message` function subscribed to its topic;
5. wait until every `chalice local` server accepts connections.
"""
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from local_stack import children, provision, sns_subscriptions
from local_stack.apps import AppDirectory
from local_stack.chalice_local import THROTTLE_VARIABLE
from local_stack.endpoint import EndpointServer
from local_stack.local_aws import HOST, LocalAws, assemble
from local_stack.options import Options
from local_stack.runtime import LambdaRuntime, base_environment
from local_stack.sns_delivery import SnsDelivery
from project.model import FLEET, RECORD, RIDES, ROOT, Project

PROJECT_ROOT = str(ROOT)
FLEET_DIR = FLEET.directory
RIDES_DIR = RIDES.directory
RECORD_DIR = RECORD.directory
SHARED_DIR = ROOT / 'shared'  # every app's code: a change restarts their sandboxes
PICKUP_EXAMPLE = '{"PickupLocation": {"Latitude": 47.6097, "Longitude": -122.3331}}'


class Stack:
    def __init__(self, options: Options, out: Callable[[str], None] | None = None) -> None:
        self.options = options
        self._out = out or say
        self.fleet = AppDirectory(FLEET_DIR, options.stage, extra_sources=[SHARED_DIR])
        self.rides = AppDirectory(RIDES_DIR, options.stage, extra_sources=[SHARED_DIR])
        self.record = AppDirectory(RECORD_DIR, options.stage, extra_sources=[SHARED_DIR])
        self.extra_apps = [AppDirectory(path, options.stage) for path in options.app_dirs]
        # set by `start`, in this order
        self.aws: LocalAws | None = None
        self.server: EndpointServer | None = None
        self.runtime: LambdaRuntime | None = None
        self.sns_delivery: SnsDelivery | None = None
        self.children: list[children.Child] = []
        self.provisioned: dict[str, Any] | None = None
        self.startup_seconds: float | None = None
        self._stopped = False

    def runtime_apps(self) -> list[AppDirectory]:
        """The project's apps, plus `app_dirs`; only `app_dirs` when they are
        given and nothing of the project (chalice local, provisioning) is asked for."""
        project = [self.fleet, self.rides, self.record]
        if self.extra_apps and not (self.options.chalice_local or self.options.provision):
            return self.extra_apps
        return project + self.extra_apps

    def start(self) -> 'Stack':
        started = time.perf_counter()
        options = self.options
        request_log = self._out if options.log_requests else None
        aws = self.aws = assemble(self.runtime_apps(), options, log=self._out,
                                  request_log=request_log)
        server, runtime = self.server, self.runtime = aws.server, aws.runtime
        warming = threading.Thread(target=aws.endpoint.warm_up, daemon=True,
                                   name='moto-warm-up')
        if options.provision:
            warming.start()
        try:
            if options.chalice_local:  # their start overlaps with everything below
                for port in self._ports():
                    _require_free(port)
                self.children = [self._chalice_local('fleet', self.fleet, options.fleet_port),
                                 self._chalice_local('rides', self.rides, options.rides_port),
                                 self._chalice_local('record', self.record,
                                                     options.record_port)]
            aws.start()
            self.sns_delivery = SnsDelivery(server.url, log=self._out).install()
            if options.provision:
                # the first ride should not wait for the fleet function's cold
                # start, nor provisioning for LoadTable's
                runtime.prewarm([self.fleet.deployed_name(provision.FLEET_FUNCTION),
                                      self.fleet.deployed_name(provision.LOADER_FUNCTION)])
                # moto answers slowly while it builds a service (SSM: ~1 s of
                # CPU); the fleet's DynamoDB timeouts are tight, so wait.
                warming.join(timeout=60)
                self.provisioned = provision.provision(server.url, self.fleet, self.rides,
                                                       self.record, f'{self.record_url}/')
            sns_subscriptions.subscribe_declared(self.runtime_apps(), server.url, self._out)
            children.wait_until_listening(
                # no children without chalice local: nothing to wait for
                zip(self.children, self._ports(), strict=False), HOST)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def _ports(self) -> tuple[int, int, int]:
        """The `chalice local` ports, in the order of `children`."""
        return self.options.fleet_port, self.options.rides_port, self.options.record_port

    def _started(self) -> LocalAws:
        if self.aws is None:
            raise RuntimeError('the stack has not been started')
        return self.aws

    def _chalice_local(self, label: str, app: AppDirectory, port: int) -> children.Child:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('AWS_', 'CHALICE_', 'LOCAL_STACK_'))
               and key not in ('UNICORN_TRANSPORT', 'PYTHONPATH')}
        local = base_environment(self._started().url)
        del local['AWS_EXECUTION_ENV']  # chalice local is not a Lambda sandbox
        env.update(local, PYTHONPATH=PROJECT_ROOT)
        overrides: dict[str, str] = {}
        if app is self.rides:
            env['UNICORN_TRANSPORT'] = self.options.transport
            fleet_url = f'{self.fleet_url}/unicorn'
            if app.stage_environment().get('REQUEST_UNICORN_URL') != fleet_url:
                overrides['REQUEST_UNICORN_URL'] = fleet_url
            # The page signs riders in at the local endpoint. The pool and
            # client ids are made by provisioning, after this start: rides
            # reads them from their SSM parameters, as on AWS when unset.
            overrides['COGNITO_ENDPOINT_URL'] = f'{self._started().url}/'
            if self.options.throttle:
                throttle = Project(self.options.stage).rides_throttle
                env[THROTTLE_VARIABLE] = json.dumps({'rate': throttle.rate_per_second,
                                                     'burst': throttle.burst})
        if overrides:
            env['LOCAL_STACK_STAGE_OVERRIDES'] = json.dumps(overrides)
        env['LOCAL_STACK_WATCH_DIRS'] = str(SHARED_DIR)
        command = [sys.executable, '-m', 'local_stack.chalice_local', '--project-dir',
                   str(app.app_dir), 'local', '--host', HOST, '--port', str(port),
                   '--stage', self.options.stage,
                   '--autoreload' if self.options.autoreload else '--no-autoreload']
        return children.Child(label, command, env, app.app_dir, self._out)

    @property
    def rides_url(self) -> str:
        return f'http://{HOST}:{self.options.rides_port}'

    @property
    def fleet_url(self) -> str:
        return f'http://{HOST}:{self.options.fleet_port}'

    @property
    def record_url(self) -> str:
        return f'http://{HOST}:{self.options.record_port}'

    def info(self) -> dict[str, Any]:
        """What is where, as the test helper and the banner use it."""
        aws = self._started()
        fleet_arn = self.fleet.function(provision.FLEET_FUNCTION).arn
        return {
            'aws_url': aws.url,
            'rides_url': self.rides_url if self.options.chalice_local else None,
            'page_url': f'{self.rides_url}/' if self.options.chalice_local else None,
            'fleet_api_url': self.fleet_url if self.options.chalice_local else None,
            'fleet_url': f'{self.fleet_url}/unicorn' if self.options.chalice_local else None,
            'fleet_arn': fleet_arn,
            'record_url': self.record_url if self.options.chalice_local else None,
            'history_arn': self.record.function(provision.HISTORY_FUNCTION).arn,
            'transport': self.options.transport,
            'stage': self.options.stage,
            'functions': {spec.deployed_name: spec.arn for spec in aws.runtime.functions()},
            'provisioned': self.provisioned,
            'startup_seconds': self.startup_seconds,
            'pids': [os.getpid()] + [child.process.pid for child in self.children],
        }

    def failed_child(self) -> children.Child | None:
        return next((child for child in self.children if not child.alive()), None)

    def stop(self) -> None:
        """Every child first (they call the endpoint), then the endpoint and
        the runtime's workers. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for child in self.children:
            child.stop()
        if self.sns_delivery is not None:
            self.sns_delivery.uninstall()
        if self.aws is not None:
            self.aws.stop()


def banner(info: dict[str, Any]) -> str:
    lines = []
    if info['rides_url']:
        lines += [
            f'Wild Rydes runs locally (stage {info["stage"]}, '
            f'UNICORN_TRANSPORT={info["transport"]}), started in '
            f'{info["startup_seconds"]:.1f} s',
            f'  web page      {info["page_url"]}',
            f'  rides API     {info["rides_url"]}   POST /ride, GET /ride/{{RideId}}, '
            'POST /ride/{RideId}/complete, GET /rides (signed in), GET /config',
            f'  fleet API     {info["fleet_api_url"]}   GET /unicorn, GET /unicorn/{{RideId}}, '
            'POST /unicorn/{RideId}/release',
            f'  ride-record   {info["record_url"]}   POST /record (a ride event); '
            'PutRideRecordSns and ListRideRecords run in the Lambda runtime',
        ]
    else:
        lines.append(f'Local AWS endpoint and Lambda runtime, started in '
                     f'{info["startup_seconds"]:.1f} s')
    lines.append(f'  AWS endpoint  {info["aws_url"]}   Lambda Invoke -> local runtime; '
                 'every other service -> moto')
    for name in info['functions']:
        lines.append(f'  function      {name}')
    if info['provisioned']:
        made = info['provisioned']
        lines += [f'  table         {made["table"]} ({made["loaded"].get("Loaded")} unicorns, '
                  'loaded by LoadTable)',
                  f'  topic         {made["topic_arn"]}',
                  f'  parameter     {made["parameter"]} = {made["fleet_arn"]}',
                  f'  user pool     {made["user_pool_id"]} (app client '
                  f'{made["user_pool_client_id"]}); sign-up verification codes are '
                  'printed here',
                  f'  demo rider    {made["demo_rider"]["email"]}   password '
                  f'{made["demo_rider"]["password"]}']
        record = made.get('record')
        if record:
            lines += [f'  ride records  table {record["table"]}, dead-letter queue '
                      f'{record["dlq_url"].rsplit("/", 1)[1]}',
                      f'  parameter     {record["history_arn_parameter"]} = '
                      f'{record["history_arn"]}',
                      f'  parameter     {record["url_parameter"]} = {record["url"]}']
    lines.append('Try:')
    if info['rides_url']:
        lines.append(f"  open {info['page_url']} and sign in as the demo rider; "
                     "POST /ride needs the rider's ID token:")
        lines.append(f"  curl -s -X POST {info['rides_url']}/ride -H \"Authorization: $ID_TOKEN\" "
                     f"-H 'Content-Type: application/json' -d '{PICKUP_EXAMPLE}'")
    function = info['fleet_arn'].rsplit(':', 1)[1] if info['provisioned'] else \
        next(iter(info['functions']), 'FUNCTION')
    lines += [
        f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws lambda invoke "
        f"--endpoint-url {info['aws_url']} --region us-east-1 --function-name {function} "
        f"--payload '{{}}' /dev/stdout",
        '    (AWS CLI v2: add --cli-binary-format raw-in-base64-out)',
        '  python -c "import boto3; print(boto3.client(\'lambda\', endpoint_url='
        f'\'{info["aws_url"]}\', region_name=\'us-east-1\', aws_access_key_id=\'testing\', '
        f'aws_secret_access_key=\'testing\').invoke(FunctionName=\'{function}\')'
        '[\'Payload\'].read())"',
        'Ctrl-C stops everything.',
    ]
    return '\n'.join(lines)


def _require_free(port: int) -> None:
    """A busy port would look like a server that started: refuse it first."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as error:
            raise OSError(f'port {port} on {HOST} is in use ({error.strerror}); '
                          'stop what uses it or choose another port') from None


_print_lock = threading.Lock()


def say(line: str) -> None:
    """One whole line at a time: several threads print (endpoint, children)."""
    with _print_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()
