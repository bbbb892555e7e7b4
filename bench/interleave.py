"""Running compared paths alternately (A, B, A, B, ...) in one loop, so
a noisy neighbour or a CPU frequency change hits every path alike."""
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Path:
    """One measured path: `run()` is timed, `prepare()` (optional) runs
    just before it, untimed (queueing stubbed answers, fresh ids)."""

    name: str
    run: Callable[[], object]
    prepare: Callable[[], None] = lambda: None


class TooManyFailures(RuntimeError):
    pass


def alternate(paths, rounds, warmup=0, tick=lambda: None, check=None, failures=None,
              max_failures=0, time_budget_s=None):
    """Samples in ms per path name. Each round runs every path once, in
    the same order; `warmup` rounds run first and are dropped. `check(name,
    result)` (untimed) may raise when a path answered wrongly. `tick()` is
    called after every round (for the progress bar).

    With a `failures` dict, a request that raises (in `run` or `check`) is
    recorded there (`{name: [message, ...]}`) and its sample dropped, up to
    `max_failures` in all; one more raises TooManyFailures.

    With `time_budget_s`, measuring stops after the round during which the
    budget ran out (warm-up not counted), so a loaded machine yields fewer
    samples instead of a run that never ends."""
    samples = {path.name: [] for path in paths}
    failed = 0
    measuring_since = None
    for round_index in range(warmup + rounds):
        if round_index == warmup:
            measuring_since = time.monotonic()
        elif (time_budget_s is not None and measuring_since is not None
              and time.monotonic() - measuring_since > time_budget_s):
            break
        for path in paths:
            path.prepare()
            try:
                start = time.perf_counter()
                result = path.run()
                elapsed = time.perf_counter() - start
                if check is not None:
                    check(path.name, result)
            except Exception as error:
                if failures is None:
                    raise
                failed += 1
                failures.setdefault(path.name, []).append(f'{type(error).__name__}: {error}')
                if failed > max_failures:
                    raise TooManyFailures(
                        f'{failed} requests failed, more than the {max_failures} allowed; '
                        f'last: {path.name}: {type(error).__name__}: {error}') from error
                continue
            if round_index >= warmup:
                samples[path.name].append(elapsed * 1000)
        if round_index >= warmup:
            tick()
    return samples
