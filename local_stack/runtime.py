"""The local Lambda runtime: one invoke request in, one wire answer out.

It ties the pieces together — `wire` parses and answers, `apps.Registry`
says which function a name means, `pool.FunctionPool` runs it in a sandbox,
`events.EventQueue` runs `Event` invocations — and owns what belongs to no
single piece: the environment a sandbox gets (the app's stage environment,
Lambda's own variables, the local endpoint and dummy credentials, nothing of
this process) and `DryRun`.

Other local code invokes a function asynchronously with `invoke_async`, or
through the endpoint with boto3 (`InvocationType='Event'`).
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable

from local_stack import ACCOUNT_ID, REGION, discovery, function_arn, lambda_logs, wire
from local_stack.apps import AppDirectory, FunctionSpec, Registry
from local_stack.dead_letters import DeadLetterQueues
from local_stack.events import Event, EventQueue
from local_stack.options import Options, pool_settings
from local_stack.pool import AccountConcurrency, FunctionPool, Throttled
from local_stack.runtime_api import Invocation
from local_stack.sandbox import Outcome
from project.model import STAGES, Project


class LambdaRuntime:
    def __init__(self, apps: Iterable[AppDirectory], endpoint_url: str,
                 options: Options | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.options = options or Options()
        self.registry = Registry(apps, self._discover)
        self._log = log or (lambda line: None)
        self._account = AccountConcurrency(self.options.account_concurrency)
        self._pools: dict[str, FunctionPool] = {}
        self._pools_lock = threading.Lock()
        dead_letter_queues = (Project(self.options.stage).dead_letter_queues
                              if self.options.stage in STAGES else {})
        self.events = EventQueue(self._run_event, self._log,
                                 on_failure=DeadLetterQueues(endpoint_url, dead_letter_queues))
        self._closed = False

    def start(self) -> LambdaRuntime:
        """Learn every app's functions (imports each app in a process)."""
        self.registry.load()
        return self

    def functions(self) -> list[FunctionSpec]:
        return self.registry.functions()

    # -- invoking -------------------------------------------------------

    def handle(self, path_name: str, query_string: str, headers: list[tuple[str, str]],
               body: bytes) -> wire.Answer:
        """Answer one `POST /2015-03-31/functions/{name}/invocations`."""
        request_id = wire.new_request_id()
        try:
            request = wire.parse_invoke(path_name, query_string, headers, body, REGION,
                                        ACCOUNT_ID)
            spec = self._lookup(request.function_name, request.qualifier)
            if request.invocation_type == 'DryRun':
                return wire.dry_run(request_id)
            if request.invocation_type == 'Event':
                self.events.put(Event(spec.deployed_name, request_id, request.payload,
                                      request.trace_id, request.client_context))
                return wire.accepted(request_id)
            outcome = self.invoke(spec, request_id, request.payload, request.trace_id,
                                  request.client_context)
            return wire.invoked(request_id, outcome.payload, outcome.function_error,
                                lambda_logs.tail(outcome.log) if request.log_tail else None)
        except wire.WireError as error:
            return error.answer(request_id)
        except Throttled as throttled:
            return wire.too_many_requests(throttled.reason).answer(request_id)
        except Exception as error:  # noqa: BLE001 - a runtime bug; Lambda's answer to it
            self._log(f'runtime error on {path_name}:\n{traceback.format_exc()}')
            return wire.service_error(f'{type(error).__name__}: {error}').answer(request_id)

    def _lookup(self, name: str, qualifier: str) -> FunctionSpec:
        spec = self.registry.lookup(name)
        if spec is None or qualifier != wire.VERSION:
            raise wire.not_found(f'{function_arn(name)}:{qualifier}')
        return spec

    def invoke(self, spec: FunctionSpec, request_id: str, payload: bytes,
               trace_id: str | None = None, client_context: str | None = None) -> Outcome:
        """Run one invocation synchronously; raises `pool.Throttled`."""
        invocation = Invocation(
            request_id=request_id, payload=payload, function_arn=spec.arn,
            deadline_ms=int((time.time() + spec.timeout) * 1000),
            trace_id=trace_id or wire.new_trace_id(), client_context=client_context)
        return self.pool(spec).invoke(invocation)

    def invoke_async(self, function_name: str, payload: bytes,
                     trace_id: str | None = None) -> str:
        """Queue an `Event` invocation of `function_name` (deployed name or
        ARN) as the Invoke API does; returns its request id. Raises
        `wire.WireError` (404) for an unknown function."""
        request = wire.parse_invoke(function_name, '', [('X-Amz-Invocation-Type', 'Event')],
                                    payload, REGION, ACCOUNT_ID)
        spec = self._lookup(request.function_name, request.qualifier)
        request_id = wire.new_request_id()
        self.events.put(Event(spec.deployed_name, request_id, request.payload,
                              trace_id or request.trace_id))
        return request_id

    def _run_event(self, event: Event) -> Outcome:
        spec = self.registry.lookup(event.function_name)
        if spec is None:
            raise LookupError(f'{event.function_name} no longer exists')
        outcome = self.invoke(spec, event.request_id, event.payload, event.trace_id,
                              event.client_context)
        if not outcome.function_error:
            self._log(f'event  {spec.deployed_name} {event.request_id}: done')
        return outcome

    def pool(self, spec: FunctionSpec) -> FunctionPool:
        with self._pools_lock:
            pool = self._pools.get(spec.deployed_name)
            if pool is None or pool.spec is not spec:
                if pool is not None:  # the app was read again: new settings
                    threading.Thread(target=pool.close, kwargs={'busy_too': False},
                                     daemon=True).start()
                pool = FunctionPool(spec, self.sandbox_environment(spec),
                                    pool_settings(self.options, spec.name, spec.deployed_name),
                                    self._account,
                                    echo=self._log)
                self._pools[spec.deployed_name] = pool
            return pool

    def prewarm(self, deployed_names: Iterable[str] | None = None) -> list[threading.Thread]:
        """Start one sandbox per function in the background (first calls skip
        the cold start); returns the threads."""
        wanted = None if deployed_names is None else set(deployed_names)
        threads = []
        for spec in self.functions():
            if wanted is None or spec.deployed_name in wanted:
                thread = threading.Thread(target=self.pool(spec).prewarm, daemon=True)
                thread.start()
                threads.append(thread)
        return threads

    # -- sandboxes --------------------------------------------------------

    def sandbox_environment(self, spec: FunctionSpec) -> dict[str, str]:
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
            'AWS_LAMBDA_INITIALIZATION_TYPE': 'on-demand',
            **spec.environment,
        }

    def _discover(self, app: AppDirectory) -> dict[str, str]:
        env = {**base_environment(self.endpoint_url), **app.stage_environment()}
        functions, error = discovery.discover(app.app_dir, env)
        if error:
            self._log(f'{app.app_dir}/app.py does not import ({error}); its functions, read '
                      f'from the source, answer with the init error: {", ".join(functions)}')
        return functions

    def close(self) -> None:
        self._closed = True
        self.events.close()
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def base_environment(endpoint_url: str) -> dict[str, str]:
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
