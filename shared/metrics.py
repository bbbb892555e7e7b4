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
invocation ends (`flush`, from the middleware in `shared.logs`), in one EMF
line: the line holds one metric directive per dimension set (EMF's
`CloudWatchMetrics` is a list of them, sharing the line's root members).
Powertools' EMF provider serializes each dimension set the first time an
invocation has that shape (the same metrics, units and dimension values);
later ones reuse that serialization and fill in only the timestamp and the
values. Serializing every time was a fifth of rides' own cost per request
(`make bench`); tests/logging checks both give the same line.
"""
import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

NAMESPACE = 'WildRydes'

Dimensions = tuple[tuple[str, str], ...]
# An invocation's metrics: {dimensions: {name: {Unit, StorageResolution, Value}}}
Pending = dict[Dimensions, dict[str, dict[str, Any]]]
Shape = tuple[tuple[Dimensions, tuple[tuple[str, str, int], ...]], ...]

# Why a ride was refused, by the domain error's code.
REJECTION_REASONS = {
    'NoUnicornAvailable': 'NoUnicornAvailable',
    'RideInProgress': 'RideInProgress',
    'BadRequestError': 'BadRequest',
    'UnsupportedMediaType': 'BadRequest',
    'RequestTooLarge': 'BadRequest',
}
# Fleet call failures counted, by the domain error's code.
FLEET_FAILURES = frozenset({'FleetError', 'FleetTimeout', 'FleetBusy'})

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
    invocation ends (`flush`). The unit is checked against Powertools'
    `MetricUnit`; names are this module's constants."""
    metric = {'Unit': _unit(unit), 'StorageResolution': 60, 'Value': [float(value)]}
    key = tuple(sorted(dimensions.items())) if dimensions else ()
    with _lock:
        measured = _pending.setdefault(key, {})
        if name in measured:
            measured[name]['Value'].extend(metric['Value'])
        else:
            measured[name] = metric


def flush() -> None:
    """Write what this invocation measured: one EMF line, unless two of its
    dimension sets give one root member two values (then one more line)."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    if not pending:
        return
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled
    if is_metrics_disabled():
        return
    timestamp = time.time_ns() // 1_000_000
    sys.stdout.write(''.join(line.render(pending, timestamp) for line in _templates(_shape(pending))))


def powertools_lines(pending: Pending, timestamp: int) -> list[dict[str, Any]]:
    """The EMF documents of `pending` as Powertools' EMF provider writes each
    dimension set, merged into the fewest lines EMF allows."""
    return [document for document, _ in _merged_lines(pending, timestamp)]


def _merged_lines(pending: Pending, timestamp: int) -> list[tuple[dict[str, Any], list[Dimensions]]]:
    """Each line's document and the dimension sets merged into it (the
    metrics with the most dimensions first: what sets each apart)."""
    lines: list[tuple[set[str], dict[str, Any], list[Dimensions]]] = []
    for key in sorted(pending, key=len, reverse=True):
        serializer = _serializer(key)
        serializer.timestamp = timestamp  # 0: Powertools reads the clock
        document = serializer.serialize_metric_set(
            metrics=pending[key], dimensions=serializer.dimension_set, metadata={})
        _add_to_lines(lines, set(serializer.dimension_set), document, key)
    return [(document, keys) for _, document, keys in lines]


class _LineTemplate:
    """One EMF line of an invocation shaped like an earlier one (the same
    metrics, units and dimension values): Powertools' document for that shape,
    with its metric directives and dimension values already serialized; only
    the timestamp and the metrics' values change. Serializing the directives
    every time was most of a flush's cost (`make bench`)."""

    def __init__(self, document: dict[str, Any], metric_keys: dict[str, Dimensions]) -> None:
        root = {key: value for key, value in document.items()
                if key != '_aws' and key not in metric_keys}
        self._head = '{"_aws":{"Timestamp":'
        self._directives = (',"CloudWatchMetrics":' + _dumps(document['_aws']['CloudWatchMetrics'])
                            + '},' + _dumps(root)[1:-1])
        self._metric_keys = metric_keys  # each metric's name: its dimension set's key

    def render(self, pending: Pending, timestamp: int) -> str:
        values = {name: pending[key][name]['Value'] for name, key in self._metric_keys.items()}
        return f'{self._head}{timestamp}{self._directives},{_dumps(values)[1:]}\n'


def _shape(pending: Pending) -> Shape:
    """What makes two invocations' lines alike but for their values."""
    return tuple((key, tuple((name, metric['Unit'], metric['StorageResolution'])
                             for name, metric in measured.items()))
                 for key, measured in pending.items())


@functools.lru_cache(maxsize=64)
def _templates(shape: Shape) -> tuple[_LineTemplate, ...]:
    """The lines of one shape, made once by Powertools (placeholder values)."""
    pending = {key: {name: {'Unit': unit, 'StorageResolution': resolution, 'Value': [0.0]}
                     for name, unit, resolution in measured}
               for key, measured in shape}
    templates = []
    for document, keys in _merged_lines(pending, 0):
        key_of = {name: key for key in keys for name in pending[key]}
        templates.append(_LineTemplate(document, {name: key_of[name] for name in document
                                                  if name in key_of}))
    return tuple(templates)


_dumps = json.JSONEncoder(separators=(',', ':')).encode


def _add_to_lines(lines: list[tuple[set[str], dict[str, Any], list[Dimensions]]],
                  dimensions: set[str], document: dict[str, Any], key: Dimensions) -> None:
    """Merge Powertools' EMF document into the first line EMF allows: one
    where every root member both hold is a dimension of both, with the same
    value (a metric's values are never shared); else it is a line of its own."""
    for line_dimensions, line, keys in lines:
        shared = (line.keys() & document.keys()) - {'_aws'}
        if shared <= (line_dimensions & dimensions) and all(
                line[name] == document[name] for name in shared):
            line['_aws']['CloudWatchMetrics'].extend(document['_aws']['CloudWatchMetrics'])
            line.update((name, value) for name, value in document.items() if name != '_aws')
            line_dimensions |= dimensions
            keys.append(key)
            return
    lines.append((dimensions, document, [key]))


# A threaded server (chalice local) runs invocations side by side in one
# process: a flush must not take a dimension set another thread is adding to.
_lock = threading.Lock()
# This invocation's metrics so far: {dimensions: {name: {Unit, StorageResolution, Value}}}
_pending: Pending = {}


def forget_sandbox() -> None:
    """Forget what is kept for the sandbox's life (its stage is in every
    serializer and line template): for tests that play several sandboxes."""
    _serializer.cache_clear()
    _templates.cache_clear()


@functools.cache
def _unit(name: str) -> str:
    """Powertools' value of a CloudWatch unit name (KeyError if none)."""
    from aws_lambda_powertools.metrics import MetricUnit
    return str(MetricUnit[name].value)


@functools.cache
def _serializer(dimensions: tuple[tuple[str, str], ...]) -> Any:
    """Powertools' EMF provider for one dimension set (its namespace and
    dimensions), made once per sandbox: making one costs more than a metric."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
    serializer = AmazonCloudWatchEMFProvider(namespace=NAMESPACE)
    serializer.set_default_dimensions(stage=stage(), **dict(dimensions))
    return serializer


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
    if failure_code in FLEET_FAILURES:
        count(failure_code, transport=transport)


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
