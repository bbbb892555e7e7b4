"""Asynchronous (`Event`) invocations: accepted into a queue, and every one
runs, as on Lambda.

Lambda's asynchronous invocation keeps an accepted event until a sandbox can
take it: a throttled attempt is tried again later, and an attempt that ends
in a function error is retried twice, about one and then two minutes later
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
Here the same happens with the delays scaled down to seconds
(`RETRY_DELAYS_SECONDS`), so a developer sees the retries while watching. An
event that still fails goes to the `on_failure` step (the function's
dead-letter queue, `local_stack.dead_letters`), or is dropped when it has
none; either way it is logged. An event that keeps being throttled is tried
again until the stack stops.
"""
from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from local_stack.pool import Throttled
from local_stack.sandbox import Outcome

# Lambda waits ~1 min, then ~2 min, between the attempts of a failed event.
RETRY_DELAYS_SECONDS = (1.0, 2.0)
THROTTLED_DELAY_SECONDS = 0.2
WORKERS = 8  # events run at once, at most

# (the failed event, its last outcome) -> where it went, or None: dropped
OnFailure = Callable[['Event', Outcome], 'str | None']


@dataclass
class Event:
    """One accepted asynchronous invocation."""

    function_name: str     # deployed name
    request_id: str
    payload: bytes
    trace_id: str
    client_context: str | None = None
    attempt: int = 1


class EventQueue:
    """Runs accepted events with `run(event) -> Outcome` on worker threads."""

    def __init__(self, run: Callable[[Event], Outcome], log: Callable[[str], None],
                 workers: int = WORKERS,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS,
                 on_failure: OnFailure | None = None) -> None:
        self._run, self._log, self._retry_delays = run, log, retry_delays
        self._on_failure = on_failure
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._unfinished = 0
        self._idle = threading.Condition()
        self._closed = False
        self._workers = [threading.Thread(target=self._work, daemon=True,
                                          name=f'lambda-event-{index}')
                         for index in range(workers)]
        for worker in self._workers:
            worker.start()

    def put(self, event: Event) -> None:
        with self._idle:
            self._unfinished += 1
        self._queue.put(event)

    def pending(self) -> int:
        """Accepted events not finished yet (waiting, running or to retry)."""
        with self._idle:
            return self._unfinished

    def wait_until_done(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def _later(self, delay: float, event: Event) -> None:
        timer = threading.Timer(delay, self._queue.put, args=(event,))
        timer.daemon = True
        timer.start()

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            if event is None or self._closed:
                return
            try:
                outcome = self._run(event)
            except Throttled:
                self._later(THROTTLED_DELAY_SECONDS, event)
                continue
            except Exception as error:  # noqa: BLE001 - a runtime fault: the event is lost
                self._log(f'event  {event.function_name} {event.request_id}: not run ({error})')
                self._finished()
                continue
            if outcome.function_error and event.attempt <= len(self._retry_delays):
                self._log(f'event  {event.function_name} {event.request_id}: '
                          f'{_error_type(outcome.payload)} (attempt {event.attempt}); '
                          f'retried in {self._retry_delays[event.attempt - 1]:g} s')
                delay = self._retry_delays[event.attempt - 1]
                event.attempt += 1
                self._later(delay, event)
                continue
            if outcome.function_error:
                self._failed(event, outcome)
            self._finished()

    def _failed(self, event: Event, outcome: Outcome) -> None:
        """The last attempt failed: the on-failure step, else dropped."""
        failed = (f'event  {event.function_name} {event.request_id}: failed after '
                  f'{event.attempt} attempts: {_error_type(outcome.payload)}')
        try:
            where = self._on_failure(event, outcome) if self._on_failure else None
        except Exception as error:  # noqa: BLE001 - Lambda too drops what its DLQ refuses
            self._log(f'{failed}; not sent to its dead-letter queue ({error}); dropped')
            return
        self._log(f'{failed}; sent to dead-letter queue {where}' if where else
                  f'{failed}; dropped')

    def _finished(self) -> None:
        with self._idle:
            self._unfinished -= 1
            self._idle.notify_all()

    def close(self) -> None:
        self._closed = True
        for _ in self._workers:
            self._queue.put(None)


def _error_type(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get('errorType', 'error'))
    except (ValueError, AttributeError):
        return 'error'
