"""The local Lambda runtime: one invoke request in, one wire answer out.

It ties the pieces together — `wire` parses and answers, `apps.Registry`
says which function a name means, `pool.FunctionPool` runs it — and owns
what belongs to no single piece: the environment a sandbox gets (the app's
stage environment, Lambda's own variables, the local endpoint and dummy
credentials, nothing of this process), `Event` invocations in the
background, and `DryRun`.
"""
import json
import os
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from local_stack import REGION, ACCOUNT_ID, function_arn, wire
from local_stack.apps import Registry
from local_stack.pool import FunctionPool, Throttled, Worker

# Asynchronous (`Event`) invocations waiting to run, at most; past it, 429.
EVENT_BACKLOG = 64
EVENT_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice


class LambdaRuntime:
    def __init__(self, apps, endpoint_url, pool_size=2, max_waiting=8, event_concurrency=2,
                 log=None):
        self.endpoint_url = endpoint_url
        self.pool_size, self.max_waiting = pool_size, max_waiting
        self.registry = Registry(apps, self._discover)
        self._log = log or (lambda line: None)
        self._pools = {}
        self._pools_lock = threading.Lock()
        self._events = ThreadPoolExecutor(max_workers=max(1, event_concurrency),
                                          thread_name_prefix='lambda-event')
        self._events_pending = 0
        self._events_lock = threading.Lock()
        self._closed = False

    def start(self):
        """Learn every app's functions (imports each app in a worker)."""
        self.registry.load()
        return self

    def functions(self):
        return self.registry.functions()

    # -- invoking -------------------------------------------------------

    def handle(self, path_name, query_string, headers, body):
        """Answer one `POST /2015-03-31/functions/{name}/invocations`."""
        request_id = wire.new_request_id()
        try:
            request = wire.parse_invoke(path_name, query_string, headers, body, REGION,
                                        ACCOUNT_ID)
            spec = self.registry.lookup(request.function_name)
            if spec is None or request.qualifier != wire.VERSION:
                arn = function_arn(request.function_name)
                if request.qualifier != wire.VERSION:
                    arn = f'{arn}:{request.qualifier}'
                raise wire.not_found(arn)
            if request.invocation_type == 'DryRun':
                return wire.dry_run(request_id)
            if request.invocation_type == 'Event':
                self._queue_event(spec, request_id, request)
                return wire.accepted(request_id)
            outcome = self.pool(spec).invoke(request_id, request.payload,
                                             request.client_context)
            return wire.invoked(request_id, outcome.payload, outcome.function_error,
                                outcome.logs if request.log_tail else None)
        except wire.WireError as error:
            return error.answer(request_id)
        except Throttled:
            return wire.too_many_requests().answer(request_id)
        except Exception as error:  # noqa: BLE001 - a runtime bug; Lambda's answer to it
            self._log(f'runtime error on {path_name}:\n{traceback.format_exc()}')
            return wire.service_error(f'{type(error).__name__}: {error}').answer(request_id)

    def pool(self, spec):
        with self._pools_lock:
            pool = self._pools.get(spec.deployed_name)
            if pool is None or pool.spec is not spec:
                if pool is not None:  # the app was read again: new settings
                    threading.Thread(target=pool.close, kwargs={'busy_too': False},
                                     daemon=True).start()
                pool = FunctionPool(spec, self.sandbox_environment(spec), self.pool_size,
                                    self.max_waiting)
                self._pools[spec.deployed_name] = pool
            return pool

    def prewarm(self, deployed_names=None):
        """Start one worker per function in the background (first calls skip
        the cold start); returns the threads."""
        threads = []
        for spec in self.functions():
            if deployed_names is None or spec.deployed_name in deployed_names:
                thread = threading.Thread(target=self.pool(spec).prewarm, daemon=True)
                thread.start()
                threads.append(thread)
        return threads

    def _queue_event(self, spec, request_id, request):
        with self._events_lock:
            if self._events_pending >= EVENT_BACKLOG or self._closed:
                raise Throttled(spec.deployed_name)
            self._events_pending += 1
        self._events.submit(self._run_event, spec, request_id, request)

    def _run_event(self, spec, request_id, request):
        try:
            for attempt in range(EVENT_RETRIES + 1):
                try:
                    outcome = self.pool(spec).invoke(request_id, request.payload,
                                                     request.client_context)
                except Throttled:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                if not outcome.function_error:
                    self._log(f'event {spec.deployed_name} {request_id}: done')
                    return
                self._log(f'event {spec.deployed_name} {request_id}: '
                          f'{_error_type(outcome.payload)} (attempt {attempt + 1})')
                if self._closed:
                    return
        finally:
            with self._events_lock:
                self._events_pending -= 1

    # -- sandboxes --------------------------------------------------------

    def sandbox_environment(self, spec):
        """Only what a Lambda sandbox of this function would see, plus the
        local endpoint; the function's configured variables win."""
        deployed = spec.deployed_name
        return {
            **base_environment(self.endpoint_url),
            'AWS_LAMBDA_FUNCTION_NAME': deployed,
            'AWS_LAMBDA_FUNCTION_VERSION': wire.VERSION,
            'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': str(spec.memory_mb),
            'AWS_LAMBDA_FUNCTION_TIMEOUT': f'{spec.timeout:g}',
            'AWS_LAMBDA_LOG_GROUP_NAME': f'/aws/lambda/{deployed}',
            'AWS_LAMBDA_LOG_STREAM_NAME': f'{time.strftime("%Y/%m/%d")}/[$LATEST]local',
            'LAMBDA_TASK_ROOT': str(spec.app.app_dir),
            'LOCAL_STACK_FUNCTION_ARN': spec.arn,
            **spec.environment,
        }

    def _discover(self, app):
        env = {**base_environment(self.endpoint_url), **app.stage_environment()}
        worker = Worker(app.app_dir, None, env)
        try:
            hello = worker.hello()
        finally:
            worker.kill()
        if not hello.get('ready'):
            self._log(f'cannot read the functions of {app.app_dir}: '
                      f'{hello.get("errorType")}: {hello.get("errorMessage")}')
            return []
        return hello['functions']

    def close(self):
        self._closed = True
        self._events.shutdown(wait=False, cancel_futures=True)
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def base_environment(endpoint_url):
    """What every local process gets: the endpoint, dummy credentials, the
    region, and no AWS profile or config file of the person running it."""
    return {
        'PATH': os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin'),
        'LANG': 'C.UTF-8',
        'TZ': ':UTC',
        'PYTHONUNBUFFERED': '1',
        # no new .pyc files in the apps' folders: Chalice's reloader would
        # take each one for an edit and restart `chalice local`
        'PYTHONDONTWRITEBYTECODE': '1',
        'AWS_ENDPOINT_URL': endpoint_url,
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'AWS_REGION': REGION,
        'AWS_DEFAULT_REGION': REGION,
        'AWS_CONFIG_FILE': os.devnull,
        'AWS_SHARED_CREDENTIALS_FILE': os.devnull,
        'AWS_EXECUTION_ENV': 'AWS_Lambda_python3.11',
    }


def _error_type(payload):
    try:
        return json.loads(payload).get('errorType', 'error')
    except (ValueError, AttributeError):
        return 'error'
