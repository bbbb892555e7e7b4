"""X-Ray traces with Powertools' Tracer: one trace per ride, across the hop.

On Lambda with active tracing, Lambda starts the function's segment and
hands its trace header to the sandbox (`_X_AMZN_TRACE_ID`). The X-Ray SDK's
botocore patch records every AWS call of a sampled invocation as a
subsegment and sends `X-Amzn-Trace-Id` (this trace, this call's subsegment
as parent) with it: so the fleet's `lambda.invoke` continues in the fleet's
own segment, as Lambda takes the header of an Invoke request. The http
transport sends the header itself (`trace_header`), since urllib is not
patched.

An unsampled invocation (X-Ray samples a busy function at 5%) sends nothing
to X-Ray, yet the SDK's patch built a throw-away subsegment for each of its
AWS calls: about 26 µs a call, a fifth of a ride's own cost. Here the SDK's
patch runs only when the invocation is sampled; an unsampled call still
carries the header (`Sampled=0`, so the fleet does not sample on its own
and its log lines name the same trace), built from Lambda's segment.

Each invocation is a subsegment `## <function>` annotated `Service` and
`ColdStart`; each fleet call a subsegment `## fleet <operation>` annotated
`RideId` and `Transport`; the ride id is annotated `RideId` where it becomes
known (both sides), so X-Ray finds a ride by `annotation.RideId = "..."`.

Tracing is off wherever Powertools' Tracer turns itself off: outside Lambda,
under `chalice local` or SAM local, or with `POWERTOOLS_TRACE_DISABLED`. Then
the X-Ray SDK is not even imported: outside Lambda its recorder builds two
botocore clients for its sampling poller when imported (about 180 ms).
"""
import contextlib
import functools
import os
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

# The header a traced call carries (AWS's name for it), and where Lambda
# hands a function its own.
TRACE_HEADER = 'X-Amzn-Trace-Id'
XRAY_TRACE_ID_ENV = constants.XRAY_TRACE_ID_ENV


def enabled(env: Any = None) -> bool:
    """Powertools' own rule for when its Tracer is on."""
    env = os.environ if env is None else env
    if resolve_truthy_env_var_choice(env=env.get(constants.TRACER_DISABLED_ENV, 'false')):
        return False
    return bool(env.get(constants.LAMBDA_TASK_ROOT_ENV)) and not (
        env.get(constants.SAM_LOCAL_ENV) or env.get(constants.CHALICE_LOCAL_ENV))


@functools.cache
def tracer() -> Any:
    """Powertools' Tracer, made on first use (it patches botocore, which
    existing clients pick up too), or None when tracing is off."""
    if not enabled():
        return None
    from aws_lambda_powertools.tracing.tracer import Tracer

    active = Tracer(auto_patch=False)
    active.provider.configure(context=_lambda_context())  # type: ignore[attr-defined]
    _patch_botocore_when_sampled()
    return active


def _patch_botocore_when_sampled() -> None:
    """The X-Ray SDK's own botocore patch (`aws_xray_sdk.core.patch`), its
    two wrappers called only in a sampled invocation. Marked patched as the
    SDK marks it, so nothing patches botocore twice; existing clients pick
    it up too (the wrappers sit on botocore's classes)."""
    import botocore.client
    import wrapt
    from aws_xray_sdk.core import patcher

    if hasattr(botocore.client, '_xray_enabled'):
        return
    botocore.client._xray_enabled = True
    patcher._PATCHED_MODULES.add('botocore')
    wrapt.wrap_function_wrapper('botocore.client', 'BaseClient._make_api_call', _api_call)
    wrapt.wrap_function_wrapper('botocore.endpoint', 'Endpoint.prepare_request',
                                _prepare_request)


def _api_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """An AWS call: the SDK's subsegment around it if sampled, else just the call."""
    if _sampled_entity() is None:
        return wrapped(*args, **kwargs)
    from aws_xray_sdk.ext.botocore.patch import _xray_traced_botocore
    return _xray_traced_botocore(wrapped, instance, args, kwargs)


def _prepare_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """The request about to be sent: the SDK adds the header of the call's
    subsegment if sampled; else the header of Lambda's segment, unsampled."""
    if _sampled_entity() is not None:
        from aws_xray_sdk.ext.boto_utils import inject_header
        return inject_header(wrapped, instance, args, kwargs)
    header = trace_header()
    if header is not None:
        args[0].headers[TRACE_HEADER] = header
    return wrapped(*args, **kwargs)


def _lambda_context() -> Any:
    """The X-Ray SDK's Lambda context, reading Lambda's trace header once
    per invocation (`new_invocation`, from the middleware). The SDK's own
    re-reads and re-parses `_X_AMZN_TRACE_ID` each time it is asked for what
    is open (about 25 times in a ride); within one invocation the header
    does not change, and the SDK keeps what it has anyway. Outside an
    invocation it reads the header every time, as the SDK does."""
    from aws_xray_sdk.core.lambda_launcher import LambdaContext

    class ParsedOncePerInvocation(LambdaContext):
        def new_invocation(self) -> None:
            self._local.read = False

        def _refresh_context(self) -> None:
            if getattr(self._local, 'read', None):
                return
            super()._refresh_context()
            if getattr(self._local, 'read', None) is False:
                self._local.read = True

    return ParsedOncePerInvocation()


@contextlib.contextmanager
def _subsegment(name: str, annotations: dict[str, Any]) -> Iterator[None]:
    with tracer().provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            if value is not None:
                subsegment.put_annotation(key, value)
        yield


def _sampled_entity() -> Any:
    """What is open now, if this invocation is sampled; else None. Most
    invocations are not (X-Ray samples a busy function at 5%): building
    their subsegments only to drop them is the SDK's main cost."""
    active = tracer()
    if active is None or not _lambda_sampled():
        return None
    entity = active.provider.get_trace_entity()
    return entity if getattr(entity, 'sampled', False) else None


def _lambda_sampled() -> bool:
    """Whether Lambda's trace header samples this invocation, read without
    the SDK: for an unsampled one, the SDK would parse the header and make
    a segment for it only to find out (about 10 µs an invocation). Read once
    per invocation (`invocation`): each AWS call asks twice, and reading the
    environment costs a microsecond each time."""
    if _invocation_sampled is not None:
        return _invocation_sampled
    return _header_sampled()


def _header_sampled() -> bool:
    return 'Sampled=1' in os.environ.get(XRAY_TRACE_ID_ENV, '')


# Whether the invocation in progress is sampled; None between invocations.
# Tracing is on only in a Lambda sandbox, which runs one invocation at a time.
_invocation_sampled: bool | None = None


def subsegment(name: str, **annotations: Any) -> contextlib.AbstractContextManager[None]:
    """A subsegment around a block, with annotations (None ones left out);
    records the block's exception, if any. Nothing when tracing is off or
    the invocation is not sampled."""
    if _sampled_entity() is None:
        return contextlib.nullcontext()
    return _subsegment(name, annotations)


def invocation(service: str, function: str, cold_start: bool) -> contextlib.AbstractContextManager[None]:
    """An invocation's subsegment, as Powertools' `capture_lambda_handler`
    shapes it (Lambda's own segment takes no annotations). `end_invocation`
    must follow when the invocation ends."""
    global _invocation_sampled
    active = tracer()
    if active is not None:
        _invocation_sampled = _header_sampled()
        if _invocation_sampled:
            active.provider.context.new_invocation()
    return subsegment(f'## {function}', Service=service, ColdStart=cold_start)


def end_invocation() -> None:
    """The invocation is over: the next one reads its own trace header."""
    global _invocation_sampled
    _invocation_sampled = None


def annotate(**annotations: Any) -> None:
    """Annotate the subsegment open now (Lambda's own segment takes none)."""
    entity = _sampled_entity()
    if entity is None or getattr(entity, 'type', None) != 'subsegment':
        return
    for key, value in annotations.items():
        if value is not None:
            entity.put_annotation(key, value)


def trace_header() -> str | None:
    """`X-Amzn-Trace-Id` for an outgoing call from what is open now (this
    trace, that subsegment as the parent), as the X-Ray SDK's own patches
    make it; None when tracing is off."""
    active = tracer()
    if active is None:
        return None
    if not _lambda_sampled():  # Lambda's own: this trace, its segment as parent, unsampled
        return os.environ.get(XRAY_TRACE_ID_ENV) or None
    from aws_xray_sdk.ext.util import inject_trace_header

    headers: dict[str, str] = {}
    inject_trace_header(headers, active.provider.get_trace_entity())
    return headers.get(TRACE_HEADER)
