"""Tracing on as in a Lambda sandbox with active tracing, for the tests and
the bench: `LAMBDA_TASK_ROOT` set (Powertools' Tracer turns on and patches
botocore), Lambda's trace header left to the caller (`trace_header`), the
X-Ray SDK's documents going to the emitter given. Afterwards botocore is
unpatched and the recorder as it was, so nothing else in the process sees
X-Ray."""
import contextlib
import os
from collections.abc import Iterator

# The SDK's documents go out over UDP to a daemon (on Lambda, Lambda's own).
XRAY_TRACE_ID_ENV = '_X_AMZN_TRACE_ID'


def trace_header(root: str, parent: str = '53995c3f42cd8ad8', sampled: bool = True) -> str:
    """The header Lambda hands a function with active tracing."""
    return f'Root={root};Parent={parent};Sampled={int(sampled)}'


def new_trace_root(serial: int) -> str:
    """A well-formed X-Ray trace id, different for each `serial`."""
    return f'1-5759e988-{serial:024x}'


class BotocorePatch:
    """The X-Ray SDK's patch of botocore, switched per call path: a bare
    handler, in its own sandbox, would run botocore unpatched."""

    def __init__(self) -> None:
        import botocore.client
        import botocore.endpoint

        self._targets = ((botocore.client.BaseClient, '_make_api_call'),
                         (botocore.endpoint.Endpoint, 'prepare_request'))
        self.patched = [vars(owner)[name] for owner, name in self._targets]
        self.original = [getattr(function, '__wrapped__', function) for function in self.patched]

    def use(self, patched: bool) -> None:
        for (owner, name), function in zip(
                self._targets, self.patched if patched else self.original, strict=True):
            setattr(owner, name, function)


@contextlib.contextmanager
def lambda_tracing(emitter: object = None) -> Iterator[BotocorePatch]:
    """Tracing on; yields the botocore patch once Powertools' Tracer made it."""
    import botocore.client
    from aws_xray_sdk.core import patcher, xray_recorder

    from shared import tracing

    saved_env = {name: os.environ.get(name)
                 for name in ('LAMBDA_TASK_ROOT', 'POWERTOOLS_TRACE_DISABLED')}
    saved_recorder = (xray_recorder.context, xray_recorder.emitter)
    os.environ['LAMBDA_TASK_ROOT'] = os.environ.get('LAMBDA_TASK_ROOT') or '/var/task'
    os.environ.pop('POWERTOOLS_TRACE_DISABLED', None)
    if emitter is not None:
        xray_recorder.configure(emitter=emitter)
    tracing.tracer.cache_clear()
    tracing.tracer()
    patch = BotocorePatch()
    try:
        yield patch
    finally:
        tracing.tracer.cache_clear()
        patch.use(False)
        if hasattr(botocore.client, '_xray_enabled'):
            delattr(botocore.client, '_xray_enabled')
        patcher._PATCHED_MODULES.discard('botocore')
        xray_recorder.configure(context=saved_recorder[0], emitter=saved_recorder[1])
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
