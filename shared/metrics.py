"""Business and hop metrics as CloudWatch embedded metric format (EMF) lines,
written by Powertools for AWS Lambda: CloudWatch Logs turns each line into
metrics, with no API call on the request path and nothing leaving the
sandbox (locally the lines simply appear in the log).

Namespace `WildRydes`, dimension `stage` on every metric, plus:
    RideRequested, RideDispatched        (Count)   a rider asked / got a unicorn
    RideRejected     + reason            (Count)   NoUnicornAvailable, RideInProgress, BadRequest
    FleetCallLatency + transport         (ms)      one call to the fleet, answered or not
    FleetError, FleetTimeout, FleetBusy  (Count)   + transport: the fleet call failed
    ColdStart        + function          (Count)   the first invocation of a sandbox

Powertools is imported on the first metric, not at import time, so a
handler that emits nothing does not pay for it. Metrics are written when the
invocation ends (`flush`, from the middleware in `shared.logs`).
"""
import functools
import os
import threading
from collections.abc import Callable
from typing import Any

NAMESPACE = 'WildRydes'

# Why a ride was refused, by the domain error's code.
REJECTION_REASONS = {
    'NoUnicornAvailable': 'NoUnicornAvailable',
    'RideInProgress': 'RideInProgress',
    'BadRequestError': 'BadRequest',
    'UnsupportedMediaType': 'BadRequest',
    'RequestTooLarge': 'BadRequest',
}
# Fleet call failures counted, by the domain error's code.
FLEET_FAILURES = {'FleetError': 'FleetError', 'FleetTimeout': 'FleetTimeout',
                  'FleetBusy': 'FleetBusy'}

_cold = True


def stage(env: Any = None) -> str:
    """The stage: `STAGE` if the deploy sets it, else read from Lambda's
    function name (`<app>-<stage>[-<function>]`, app names without a
    stage word), else `local` (chalice local, tests)."""
    env = os.environ if env is None else env
    if env.get('STAGE'):
        return env['STAGE']
    name = env.get('AWS_LAMBDA_FUNCTION_NAME') or ''
    for app in ('wild-rydes-ride-fleet', 'wild-rydes-ride-record', 'wild-rydes'):
        if name.startswith(app + '-'):
            return name[len(app) + 1:].split('-', 1)[0]
    return 'local'


def count(name: str, **dimensions: str) -> None:
    emit(name, 'Count', 1, **dimensions)


def emit(name: str, unit: str, value: float, **dimensions: str) -> None:
    """One metric, kept with the others of its dimension set until the
    invocation ends (`flush`): one EMF line per dimension set, not per metric."""
    from aws_lambda_powertools.metrics import MetricUnit

    with _lock:
        _batch(tuple(sorted(dimensions.items()))).add_metric(
            name=name, unit=MetricUnit[unit], value=value)


def flush() -> None:
    """Write what this invocation measured, one EMF line per dimension set."""
    with _lock:
        for batch in _batches.values():
            if batch.metric_set:
                batch.flush_metrics()


# A threaded server (chalice local) runs invocations side by side in one
# process: a flush must not serialize a batch another thread is adding to.
_lock = threading.Lock()
_batches: dict[tuple[tuple[str, str], ...], Any] = {}


def _batch(dimensions: tuple[tuple[str, str], ...]) -> Any:
    """Powertools' EMF provider for one dimension set, made once per sandbox
    (making one is most of the cost of a metric)."""
    batch = _batches.get(dimensions)
    if batch is None:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
        batch = AmazonCloudWatchEMFProvider(namespace=NAMESPACE)
        batch.set_default_dimensions(stage=stage(), **dict(dimensions))
        _batches[dimensions] = batch
    return batch


def cold_start(function: str | None) -> bool:
    """Count the sandbox's first invocation once; whether this one is it."""
    global _cold
    if not _cold:
        return False
    _cold = False
    count('ColdStart', function=function or 'unknown')
    return True


def ride_rejected(code: str) -> None:
    """A refused ride, if the code is one of the business reasons."""
    reason = REJECTION_REASONS.get(code)
    if reason is not None:
        count('RideRejected', reason=reason)


def fleet_call(transport: str, milliseconds: float, failure_code: str | None) -> None:
    """One fleet call: its latency, and its failure if it failed."""
    emit('FleetCallLatency', 'Milliseconds', milliseconds, transport=transport)
    failure = FLEET_FAILURES.get(failure_code or '')
    if failure is not None:
        count(failure, transport=transport)


def counted_ride_request(handler: Callable[..., Any]) -> Callable[..., Any]:
    """For a handler that asks for a ride: RideRequested on entry, then
    RideDispatched, or RideRejected by reason (the error is raised as it is,
    for the entrypoint to answer)."""
    from shared.domain.errors import WildRydesError

    @functools.wraps(handler)
    def counted(*args: Any, **kwargs: Any) -> Any:
        count('RideRequested')
        try:
            answer = handler(*args, **kwargs)
        except WildRydesError as refused:
            ride_rejected(refused.code)
            raise
        if getattr(answer, 'status_code', 201) < 300:
            count('RideDispatched')
        return answer
    return counted
