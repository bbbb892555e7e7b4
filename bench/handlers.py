"""Section 3: each handler's own cost per request, in process, AWS answered
by botocore's Stubber, next to the bare handler doing the same AWS calls.

The project's handlers run as on Lambda with active tracing: Powertools'
Tracer on (botocore wrapped with the X-Ray SDK's patch, which traces the
AWS calls of a sampled request; `shared.tracing`), a new trace per request from
Lambda, sampled as X-Ray's default rule samples a busy function (one request
in SAMPLED_ONE_IN; the rule's one-a-second reservoir is nothing at this
rate), documents sent over UDP to 127.0.0.1 as to Lambda's daemon. The bare
handlers, shaped like the workshop's, use no X-Ray SDK: botocore is
unpatched while they run."""
import os
from contextlib import contextmanager, redirect_stdout

from bench import stubs, targets
from bench.environment import bench_environment
from bench.interleave import Path, alternate
from bench.stats import Summary, ratio
from testkit import xray


@contextmanager
def patched_environ(values):
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def quiet_json_logs():
    """The project's JSON log lines are formatted (that is part of the cost)
    but written to /dev/null instead of the terminal."""
    from shared import logs

    logs.configure()
    handlers = logs.handlers()
    with open(os.devnull, 'w') as devnull:
        # not setStream: it flushes the stream it replaces, which may be
        # closed (a test's captured stdout)
        previous = [h.stream for h in handlers]
        for handler in handlers:
            handler.stream = devnull
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.stream = stream


@contextmanager
def quiet_metrics():
    """Powertools prints each EMF metric line to stdout: formatted (part of
    the cost), written to /dev/null."""
    with open(os.devnull, 'w') as devnull, redirect_stdout(devnull):
        yield


# X-Ray's default sampling rule: the first request each second, then 5%.
SAMPLED_ONE_IN = 20


def _path(target, botocore_patch):
    module = targets.load_module(target)
    for service in ('fleet', 'rides'):  # services built on earlier clients
        cached = getattr(module, service, None)
        if hasattr(cached, 'cache_clear'):
            cached.cache_clear()
    handler = targets.handler_of(target)
    stubbers = [targets.STUBBERS[id(client)][1] for client in targets.clients_of(target)]
    state = {'requests': 0}

    def prepare():
        for stubber, service in zip(stubbers, target.services, strict=True):
            stubs.queue(stubber, service)
        botocore_patch.use(not target.bare)
        state['requests'] += 1
        os.environ[xray.XRAY_TRACE_ID_ENV] = xray.trace_header(
            xray.new_trace_root(state['requests']),
            sampled=state['requests'] % SAMPLED_ONE_IN == 0)
        state['event'] = target.make_event()
        state['context'] = stubs.Context()

    def run():
        return handler(state['event'], state['context'])

    path = Path(target.key, run, prepare)
    path.stubbers = stubbers
    return path


def measure(pairs, rounds, warmup, tick):
    """For each (project, bare) pair of target keys: summaries and the
    ratio of medians. Paths of a pair alternate within one loop."""
    results = {}
    with patched_environ(bench_environment()), quiet_json_logs(), quiet_metrics():
        uninstall = targets.install_auto_stub(prequeue=False)
        from shared.adapters import aws_clients
        aws_clients.reset()
        try:
            with xray.lambda_tracing() as botocore_patch:
                results = _measure_pairs(pairs, rounds, warmup, tick, botocore_patch)
        finally:
            uninstall()
            aws_clients.reset()
    return results


def _measure_pairs(pairs, rounds, warmup, tick, botocore_patch):
    results = {}
    for project_key, bare_key in pairs:
        project, bare = targets.TARGETS[project_key], targets.TARGETS[bare_key]
        paths = [_path(project, botocore_patch), _path(bare, botocore_patch)]
        by_name = {path.name: path for path in paths}

        def check(name, result, by_name=by_name):
            if not targets.answered_ok(targets.TARGETS[name], result):
                raise RuntimeError(f'{name} answered {result!r}')
            for stubber in by_name[name].stubbers:
                stubber.assert_no_pending_responses()

        samples = alternate(paths, rounds, warmup=warmup, tick=tick, check=check)
        summaries = {key: Summary.of(values) for key, values in samples.items()}
        results[project_key] = {
            'project': project_key, 'bare': bare_key,
            'labels': {project_key: project.label, bare_key: bare.label},
            'samples': samples, 'summaries': summaries,
            'ratio_median': ratio(summaries[project_key].median,
                                  summaries[bare_key].median),
            'ratio_p95': ratio(summaries[project_key].p95, summaries[bare_key].p95),
        }
    return results


PAIRS = tuple(targets.BASELINE_OF.items())
