"""Section 3: each handler's own cost per request, in process, AWS answered
by botocore's Stubber, next to the bare handler doing the same AWS calls."""
import os
from contextlib import contextmanager, redirect_stdout

from bench import stubs, targets
from bench.environment import bench_environment
from bench.interleave import Path, alternate
from bench.stats import Summary, ratio


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
        previous = [h.setStream(devnull) for h in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)


@contextmanager
def quiet_metrics():
    """Powertools prints each EMF metric line to stdout: formatted (part of
    the cost), written to /dev/null."""
    with open(os.devnull, 'w') as devnull, redirect_stdout(devnull):
        yield


def _path(target):
    module = targets.load_module(target)
    for service in ('fleet', 'rides'):  # services built on earlier clients
        cached = getattr(module, service, None)
        if hasattr(cached, 'cache_clear'):
            cached.cache_clear()
    handler = targets.handler_of(target)
    stubbers = [targets.STUBBERS[id(client)][1] for client in targets.clients_of(target)]
    state = {}

    def prepare():
        for stubber, service in zip(stubbers, target.services, strict=True):
            stubs.queue(stubber, service)
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
            results = _measure_pairs(pairs, rounds, warmup, tick)
        finally:
            uninstall()
            aws_clients.reset()
    return results


def _measure_pairs(pairs, rounds, warmup, tick):
    results = {}
    for project_key, bare_key in pairs:
        project, bare = targets.TARGETS[project_key], targets.TARGETS[bare_key]
        paths = [_path(project), _path(bare)]
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
