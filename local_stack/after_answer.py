"""Work that may wait until the caller has its answer.

After a warm invocation's outcome, two things are left that the caller
does not wait for on AWS: acknowledging the runtime client's POST (202)
and returning the sandbox to its pool. Done before the answer, they cost
the caller about 25 µs of every invoke. The endpoint's invoke lane runs the
invocation inside `deferred()`; `later(action)` inside it queues `action`
for the end of that block, which comes after the answer is written.
Anywhere else (Event invocations, tests, start-up), `later` runs the action
at once. Actions run in the order they were queued, each even if one
before it failed.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def deferred() -> Iterator[None]:
    """Actions queued by `later` in this thread inside the block run when it ends."""
    actions: list[Callable[[], None]] = []
    outer = getattr(_local, 'actions', None)
    _local.actions = actions
    try:
        yield
    finally:
        _local.actions = outer
        _run_all(actions)


def later(action: Callable[[], None]) -> None:
    """Run `action` at the end of the surrounding `deferred()` block, or now."""
    actions = getattr(_local, 'actions', None)
    if actions is None:
        action()
    else:
        actions.append(action)


def _run_all(actions: list[Callable[[], None]]) -> None:
    for index, action in enumerate(actions):
        try:
            action()
        except BaseException:
            _run_all(actions[index + 1:])
            raise
