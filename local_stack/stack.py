"""The whole system, started in order and stopped in reverse.

1. the endpoint binds its port (so a busy port fails before anything runs),
   and moto builds its DynamoDB, SSM and SNS services in a thread (SSM's
   takes a second of CPU, better spent while other processes start);
2. `chalice local` starts for each app (its start overlaps with 3. and 4.);
3. the runtime reads both apps' functions and the endpoint starts serving;
4. provisioning: table, topic, SSM parameter, then `LoadTable` through the
   endpoint; every `@app.on_sns_message` function subscribed to its topic;
5. wait until both `chalice local` servers accept connections.
"""
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from local_stack import children, provision, sns_subscriptions
from local_stack.sns_delivery import SnsDelivery
from local_stack.apps import AppDirectory
from local_stack.endpoint import Endpoint, EndpointServer
from local_stack.pool import PROJECT_ROOT
from local_stack.runtime import LambdaRuntime, base_environment

HOST = '127.0.0.1'  # loopback only, always
FLEET_DIR = Path(PROJECT_ROOT) / 'ride_fleet'
RIDES_DIR = Path(PROJECT_ROOT) / 'rides'
TRANSPORTS = ('invoke', 'http')
PICKUP_EXAMPLE = '{"PickupLocation": {"Latitude": 47.6097, "Longitude": -122.3331}}'


@dataclass
class Options:
    aws_port: int = 4566
    rides_port: int = 8000
    fleet_port: int = 8001
    stage: str = 'dev'
    transport: str = 'invoke'
    pool_size: int = 2
    max_waiting: int = 8
    chalice_local: bool = True     # False: endpoint and runtime only
    provision: bool = True         # False: no table, topic, parameter, LoadTable
    autoreload: bool = True        # chalice local restarts on code changes
    app_dirs: list = field(default_factory=list)  # extra apps for the runtime
    log_requests: bool = True
    moto_admin: bool = False       # True: moto's /moto-api/ routes (reset, data.json) answer


class Stack:
    def __init__(self, options, out=None):
        self.options = options
        self._out = out or say
        self.fleet = AppDirectory(FLEET_DIR, options.stage)
        self.rides = AppDirectory(RIDES_DIR, options.stage)
        self.extra_apps = [AppDirectory(path, options.stage) for path in options.app_dirs]
        self.server = self.runtime = self.sns_delivery = None
        self.children = []
        self.provisioned = None
        self.startup_seconds = None
        self.phases = {}  # seconds from the start to the end of each phase
        self._stopped = False

    def runtime_apps(self):
        """Both apps, plus `app_dirs`; only `app_dirs` when they are given and
        nothing of the project (chalice local, provisioning) is asked for."""
        project = [self.fleet, self.rides]
        if self.extra_apps and not (self.options.chalice_local or self.options.provision):
            return self.extra_apps
        return project + self.extra_apps

    def start(self):
        started = time.perf_counter()
        options = self.options
        request_log = self._out if options.log_requests else None
        endpoint = Endpoint(None, log=request_log)
        self.server = EndpointServer(endpoint, HOST, options.aws_port,
                                     page_ports=(options.rides_port,),
                                     moto_admin=options.moto_admin, log=request_log)
        warming = threading.Thread(target=endpoint.warm_up, daemon=True, name='moto-warm-up')
        if options.provision:
            warming.start()
        try:
            self.runtime = LambdaRuntime(self.runtime_apps(), self.server.url, options.pool_size,
                                         options.max_waiting, log=self._out)
            endpoint.runtime = self.runtime
            if options.chalice_local:  # their start overlaps with everything below
                for port in (options.fleet_port, options.rides_port):
                    _require_free(port)
                self.children = [self._chalice_local('fleet', self.fleet, options.fleet_port),
                                 self._chalice_local('rides', self.rides, options.rides_port)]
            self.runtime.start()
            self.server.start()
            self.sns_delivery = SnsDelivery(self.server.url, log=self._out).install()
            self.phases['functions read'] = time.perf_counter() - started
            if options.provision:
                # the first ride should not wait for the fleet function's cold start
                self.runtime.prewarm([self.fleet.deployed_name(provision.FLEET_FUNCTION)])
                # moto answers slowly while it builds a service (SSM: ~1 s of
                # CPU); the fleet's DynamoDB timeouts are tight, so wait.
                warming.join(timeout=60)
                self.phases['moto warmed up'] = time.perf_counter() - started
                self.provisioned = provision.provision(self.server.url, self.fleet, self.rides)
                self.phases['provisioned'] = time.perf_counter() - started
            sns_subscriptions.subscribe_declared(self.runtime_apps(), self.server.url, self._out)
            children.wait_until_listening(
                zip(self.children, (options.fleet_port, options.rides_port)), HOST)
            self.phases['chalice local listening'] = time.perf_counter() - started
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def _chalice_local(self, label, app, port):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('AWS_', 'CHALICE_', 'LOCAL_STACK_'))
               and key not in ('UNICORN_TRANSPORT', 'PYTHONPATH')}
        local = base_environment(self.server.url)
        del local['AWS_EXECUTION_ENV']  # chalice local is not a Lambda sandbox
        env.update(local, PYTHONPATH=PROJECT_ROOT)
        overrides = {}
        if app is self.rides:
            env['UNICORN_TRANSPORT'] = self.options.transport
            fleet_url = f'{self.fleet_url}/unicorn'
            if app.stage_environment().get('REQUEST_UNICORN_URL') != fleet_url:
                overrides['REQUEST_UNICORN_URL'] = fleet_url
        if overrides:
            import json
            env['LOCAL_STACK_STAGE_OVERRIDES'] = json.dumps(overrides)
        command = [sys.executable, '-m', 'local_stack.chalice_local', '--project-dir',
                   str(app.app_dir), 'local', '--host', HOST, '--port', str(port),
                   '--stage', self.options.stage,
                   '--autoreload' if self.options.autoreload else '--no-autoreload']
        return children.Child(label, command, env, app.app_dir, self._out)

    @property
    def rides_url(self):
        return f'http://{HOST}:{self.options.rides_port}'

    @property
    def fleet_url(self):
        return f'http://{HOST}:{self.options.fleet_port}'

    def info(self):
        """What is where, as the test helper and the banner use it."""
        fleet_arn = self.fleet.function(provision.FLEET_FUNCTION).arn
        return {
            'aws_url': self.server.url,
            'rides_url': self.rides_url if self.options.chalice_local else None,
            'page_url': f'{self.rides_url}/' if self.options.chalice_local else None,
            'fleet_api_url': self.fleet_url if self.options.chalice_local else None,
            'fleet_url': f'{self.fleet_url}/unicorn' if self.options.chalice_local else None,
            'fleet_arn': fleet_arn,
            'transport': self.options.transport,
            'stage': self.options.stage,
            'functions': {spec.deployed_name: spec.arn for spec in self.runtime.functions()},
            'provisioned': self.provisioned,
            'startup_seconds': self.startup_seconds,
            'startup_phases': self.phases,
            'pids': [os.getpid()] + [child.process.pid for child in self.children],
        }

    def failed_child(self):
        return next((child for child in self.children if not child.alive()), None)

    def stop(self):
        """Every child first (they call the endpoint), then the endpoint and
        the runtime's workers. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for child in self.children:
            child.stop()
        if self.sns_delivery is not None:
            self.sns_delivery.uninstall()
        if self.server is not None:
            self.server.stop()
        if self.runtime is not None:
            self.runtime.close()


def banner(info):
    lines = []
    if info['rides_url']:
        lines += [
            f'Wild Rydes runs locally (stage {info["stage"]}, '
            f'UNICORN_TRANSPORT={info["transport"]}), started in '
            f'{info["startup_seconds"]:.1f} s',
            f'  web page      {info["page_url"]}',
            f'  rides API     {info["rides_url"]}   POST /ride, POST /ride/{{RideId}}/complete',
            f'  fleet API     {info["fleet_api_url"]}   GET /unicorn, '
            'POST /unicorn/{RideId}/release',
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
                  f'  parameter     {made["parameter"]} = {made["fleet_arn"]}']
    lines.append('Try:')
    if info['rides_url']:
        lines.append(f"  curl -s -X POST {info['rides_url']}/ride "
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


def _require_free(port):
    """A busy port would look like a server that started: refuse it first."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as error:
            raise OSError(f'port {port} on {HOST} is in use ({error.strerror}); '
                          'stop what uses it or choose another port') from None


_print_lock = threading.Lock()


def say(line):
    """One whole line at a time: several threads print (endpoint, children)."""
    with _print_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()
