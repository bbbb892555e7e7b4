"""The local stack for tests, benchmarks and scripts, on free ports.

Three context managers, from the whole system to the runtime alone:

``local_stack(transport='invoke', **options)``
    The whole stack in a child process (`python -m local_stack`): the AWS
    endpoint with the Lambda runtime, every app's `chalice local`, provisioned
    and loaded. Yields a `RunningStack`; on exit every process it started is
    stopped and every port released. About 3-6 s to start.

        from local_stack import testing
        with testing.local_stack(transport='http') as stack:
            requests.post(stack.rides_url + '/ride', json={...})
            stack.lambda_client().invoke(FunctionName=stack.fleet_arn)

``local_endpoint(**options)``
    The same child process without `chalice local`: endpoint + runtime, with
    the table, topic and parameter provisioned and the fleet loaded
    (`provision=False` to skip). `rides_url`/`fleet_url` are None.

``lambda_runtime(app_dirs, **options)``
    In this process, in a thread: the endpoint and runtime for the given
    Chalice project directories only; nothing provisioned. Starts in well
    under a second; for tests of the runtime itself. Its moto (for non-Lambda
    requests) is this process's moto, shared with any `mock_aws` here. Its
    `runtime` is the `LambdaRuntime`.

A `RunningStack` (and the runtime handle) has:
    aws_url        the endpoint, for `AWS_ENDPOINT_URL` / `endpoint_url=`
    rides_url      http://127.0.0.1:<port>, rides' `chalice local` (no slash)
    page_url       rides_url + '/'
    fleet_api_url  the fleet's `chalice local`
    fleet_url      fleet_api_url + '/unicorn' (what `REQUEST_UNICORN_URL` holds)
    record_url     ride-record's `chalice local` (no slash)
    fleet_arn      RequestUnicornInvoke's local ARN
    history_arn    ListRideRecords' local ARN
    functions      {deployed name: ARN} of every function the runtime serves
    transport      'invoke' or 'http'
    log_text()     everything the stack printed so far (for failure messages;
                   sign-up verification codes are printed there)
    user_pool_id, user_pool_client_id, demo_rider   the riders' pool
    riders()       `local_stack.riders.Riders`: `.new()` is a signed-in rider
                   with real tokens (`.id_token`, `.headers`)
    client(service), lambda_client()   boto3 clients for the endpoint
    aws_environment()   the env vars pointing boto3 at the endpoint
It can also be read like a dict (`stack['rides_url']`), as `bench` does.

Options (keywords of all three): any field of `local_stack.options.Options`
(account_concurrency, warm_wait_ms, max_sandboxes, provision, stage,
throttle, ...; autoreload is False by default here), and for the first two start_timeout
(60 s) and extra_args (more `python -m local_stack` arguments).
The stack's output goes to a temporary file (`log_text()`), removed on exit
unless LOCAL_STACK_KEEP_LOGS is set. If the stack does not start,
`StackFailed` carries the end of that output.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_stack import REGION

if TYPE_CHECKING:
    from local_stack.endpoint import EndpointServer
    from local_stack.runtime import LambdaRuntime

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DUMMY_CREDENTIALS = {'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing'}


class StackFailed(RuntimeError):
    """The stack did not start; the message ends with what it printed."""


class _Handle:
    """URLs of a running stack, plus boto3 clients pointed at it."""

    def __init__(self, info: dict[str, Any], log_path: str | None = None) -> None:
        self.info = info
        self.log_path = log_path
        self.aws_url: str = info['aws_url']  # every handle has these two
        self.functions: dict[str, str] = info['functions']
        # None without `chalice local`
        self.rides_url: str | None = info.get('rides_url')
        self.page_url: str | None = info.get('page_url')
        self.fleet_api_url: str | None = info.get('fleet_api_url')
        self.fleet_url: str | None = info.get('fleet_url')
        self.record_url: str | None = info.get('record_url')
        self.history_arn: str | None = info.get('history_arn')
        # None for the runtime alone
        self.fleet_arn: str | None = info.get('fleet_arn')
        self.transport: str | None = info.get('transport')

    def __getitem__(self, key: str) -> Any:
        return self.info[key]

    def log_text(self) -> str:
        if self.log_path is None:
            return ''
        return Path(self.log_path).read_text(errors='replace')

    def aws_environment(self) -> dict[str, str]:
        return {'AWS_ENDPOINT_URL': self.aws_url, 'AWS_DEFAULT_REGION': REGION,
                **DUMMY_CREDENTIALS}

    def client(self, service: str, **config: Any) -> Any:
        import boto3
        from botocore.config import Config
        return boto3.session.Session(
            aws_access_key_id='testing', aws_secret_access_key='testing', region_name=REGION,
        ).client(service, endpoint_url=self.aws_url,
                 config=Config(retries={'total_max_attempts': 1}, **config))

    def lambda_client(self, **config: Any) -> Any:
        return self.client('lambda', **config)

    @property
    def user_pool_id(self) -> str | None:
        return (self.info.get('provisioned') or {}).get('user_pool_id')

    @property
    def user_pool_client_id(self) -> str | None:
        return (self.info.get('provisioned') or {}).get('user_pool_client_id')

    @property
    def demo_rider(self) -> dict[str, str] | None:
        """{'email', 'password'} of the rider the banner names."""
        return (self.info.get('provisioned') or {}).get('demo_rider')

    def riders(self) -> Any:
        """`local_stack.riders.Riders` of the provisioned pool: `.new()`
        makes a confirmed rider and signs it in (real tokens)."""
        from local_stack.riders import Riders
        pool, client = self.user_pool_id, self.user_pool_client_id
        if pool is None or client is None:
            raise StackFailed('no user pool: this stack was started with provision=False')
        return Riders(self.client('cognito-idp'), pool, client)


class RunningStack(_Handle):
    """The stack in its child process, whose files are in `workdir`."""

    def __init__(self, info: dict[str, Any], process: subprocess.Popen[bytes], log_path: str,
                 workdir: str) -> None:
        super().__init__(info, log_path)
        self.process = process
        self.workdir = workdir


class RuntimeHandle(_Handle):
    """`lambda_runtime`'s handle: also the runtime and the endpoint's server."""

    def __init__(self, info: dict[str, Any], runtime: 'LambdaRuntime',
                 server: 'EndpointServer') -> None:
        super().__init__(info)
        self.runtime = runtime
        self.server = server


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free right now on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(('127.0.0.1', 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int) -> bool:
    """True when a server could listen on `port` now (as servers do, with
    SO_REUSEADDR: connections closing in TIME_WAIT do not hold a port)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
        return True


@contextmanager
def local_stack(transport: str = 'invoke', *, chalice_local: bool = True,
                provision: bool = True, autoreload: bool = False, throttle: bool = True,
                start_timeout: float = 60,
                extra_args: Iterable[str] = (), **options: Any) -> Iterator['RunningStack']:
    """The whole stack on free ports; see the module docstring."""
    attempts = 3  # a free port can be taken between picking and binding it
    for attempt in range(attempts):
        aws_port, rides_port, fleet_port, record_port = free_ports(4)
        args = ['--aws-port', str(aws_port), '--rides-port', str(rides_port),
                '--fleet-port', str(fleet_port), '--record-port', str(record_port),
                '--transport', transport,
                *_arguments(options), *extra_args]
        if not chalice_local:
            args.append('--no-chalice-local')
        if not provision:
            args.append('--no-provision')
        if not autoreload:
            args.append('--no-autoreload')
        if not throttle:
            args.append('--no-throttle')
        try:
            started = _start(args, start_timeout)
        except StackFailed as error:
            if 'Address already in use' in str(error) and attempt < attempts - 1:
                continue
            raise
        break
    try:
        yield started
    finally:
        _stop(started.process)
        _cleanup(started)


def _arguments(options: dict[str, Any]) -> list[str]:
    """`python -m local_stack` arguments for `Options` fields given as keywords."""
    from local_stack.options import Options
    known = Options.__dataclass_fields__
    args: list[str] = []
    for name, value in options.items():
        if name not in known or isinstance(value, (bool, list)):
            raise TypeError(f'local_stack() does not take {name}={value!r}')
        args += ['--' + name.replace('_', '-'), str(value)]
    return args


def local_endpoint(**options: Any) -> Any:
    """The endpoint and runtime in a child process, no `chalice local`."""
    return local_stack(chalice_local=False, **options)


def _start(args: list[str], start_timeout: float) -> RunningStack:
    workdir = tempfile.mkdtemp(prefix='local-stack-')
    ready_file = os.path.join(workdir, 'ready.json')
    log_path = os.path.join(workdir, 'stack.log')
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('AWS_', 'LOCAL_STACK_')) and key != 'UNICORN_TRANSPORT'}
    env['PYTHONPATH'] = os.pathsep.join(
        [str(PROJECT_ROOT)] + ([os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else []))
    env['PYTHONUNBUFFERED'] = '1'
    with open(log_path, 'wb') as log:
        process = subprocess.Popen(
            [sys.executable, '-m', 'local_stack', '--ready-file', ready_file, *args],
            cwd=str(PROJECT_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + start_timeout
    while not os.path.exists(ready_file):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            text = Path(log_path).read_text(errors='replace')
            raise StackFailed(f'the local stack did not start (status {process.returncode}):'
                              f'\n{text[-6000:]}')
        time.sleep(0.05)
    with open(ready_file) as handle:
        info = json.load(handle)
    return RunningStack(info, process, log_path, workdir)


def _stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM (the stack stops its children and releases its ports), then
    SIGKILL to the whole process group if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # anything left in its group
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=5)


def _cleanup(stack: RunningStack) -> None:
    keep = os.environ.get('LOCAL_STACK_KEEP_LOGS')
    if keep:
        return
    for name in ('ready.json', 'stack.log'):
        try:
            os.remove(os.path.join(stack.workdir, name))
        except OSError:
            pass
    try:
        os.rmdir(stack.workdir)
    except OSError:
        pass


@contextmanager
def lambda_runtime(app_dirs: Iterable[str | Path], log: Callable[[str], None] | None = None,
                   **options: Any) -> Iterator[RuntimeHandle]:
    """Endpoint + runtime for `app_dirs`, in this process (a thread)."""
    from local_stack.apps import AppDirectory
    from local_stack.local_aws import assemble
    from local_stack.options import Options

    settings = Options(aws_port=0, **options)
    aws = assemble([AppDirectory(path, settings.stage) for path in app_dirs], settings,
                   log=log, request_log=log)
    try:
        aws.start()
        yield RuntimeHandle(
            {'aws_url': aws.url,
             'functions': {s.deployed_name: s.arn for s in aws.runtime.functions()}},
            aws.runtime, aws.server)
    finally:
        aws.stop()
