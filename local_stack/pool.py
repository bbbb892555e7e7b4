"""The sandboxes of one function: started on demand, reused, and bounded
the way Lambda bounds concurrency.

Admission is Lambda's: a function with reserved concurrency N answers a
synchronous invocation beyond N in flight with 429 (Reason
`ReservedFunctionConcurrentInvocationLimitExceeded`); every function counts
against the local account limit (Reason `ConcurrentInvocationLimitExceeded`).
Nothing else throttles.

Scaling out is Lambda's too, paced for a small machine: an admitted
invocation takes an idle (warm) sandbox; if there is none it waits up to
`warm_wait_seconds` for one to come free, and only then asks for a new
sandbox. New sandboxes start in the background, at most `parallel_starts`
at a time, and join the pool when ready: a waiting invocation takes
whichever sandbox is free first, warm or new. A cold start costs a second of
CPU, a warm invocation milliseconds, so on two cores a burst is served
sooner by the warm sandboxes plus a few new ones than by one new sandbox per
caller. A sandbox that died or ran past its timeout is killed and forgotten;
one started before the app's source last changed is retired instead of
reused, so an edit takes effect on the next invocation.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from local_stack import after_answer, wire
from local_stack.apps import FunctionSpec
from local_stack.runtime_api import Invocation
from local_stack.sandbox import InitFailed, Outcome, Sandbox

# An admitted invocation that finds no sandbox in this long is answered 429.
MAX_WAIT_FOR_SANDBOX_SECONDS = 120


class Throttled(Exception):
    """Over a concurrency limit; `reason` is the 429's Reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PoolSettings:
    warm_wait_seconds: float = 0.2
    parallel_starts: int = max(1, (os.cpu_count() or 2) // 2)
    max_sandboxes: int = 0       # per function; 0: as many as invocations in flight
    debug: bool = False          # run the sandbox under debugpy (one sandbox, no timeout)


class AccountConcurrency:
    """Invocations in flight across every function, bounded like an
    account's concurrency limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self._in_flight >= self.limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


class FunctionPool:
    """The sandboxes of one function (a `FunctionSpec`)."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], settings: PoolSettings,
                 account: AccountConcurrency, echo: Callable[[str], None] | None = None) -> None:
        self.spec, self.env, self.settings, self.account = spec, env, settings, account
        self.reserved = spec.reserved_concurrency
        self._echo = echo
        self._max = 1 if settings.debug else settings.max_sandboxes
        self._in_flight = 0
        self._idle: list[Sandbox] = []
        self._ready: set[Sandbox] = set()     # idle or busy
        self._booting: set[Sandbox] = set()
        self._starting = 0
        self._wanting = 0                      # waiting invocations past their warm wait
        self._init_errors: list[Outcome] = []
        self._closed = False
        self._lock = threading.Condition()

    # -- one invocation ---------------------------------------------------

    def invoke(self, invocation: Invocation) -> Outcome:
        """Run `invocation` in a sandbox; raises `Throttled`."""
        self._admit()
        try:
            sandbox = self._acquire()
            if isinstance(sandbox, Outcome):
                return sandbox  # the init error, as Lambda answers it
            outcome, reusable = sandbox.invoke(invocation)
            # after the runtime client's 202, which may wait for the caller's answer
            after_answer.later(lambda: self._release(sandbox, reusable))
            after_answer.later(self.spec.app.refresh_fingerprint_ahead)
            return outcome
        finally:
            with self._lock:
                self._in_flight -= 1
            self.account.leave()

    def _admit(self) -> None:
        with self._lock:
            if self.reserved is not None and self._in_flight >= self.reserved:
                raise Throttled(wire.RESERVED_LIMIT)
            if not self.account.enter():
                raise Throttled(wire.ACCOUNT_LIMIT)
            self._in_flight += 1

    def _acquire(self) -> Sandbox | Outcome:
        current = self.spec.app.source_fingerprint()
        now = time.monotonic()
        warm_until, give_up = now + self.settings.warm_wait_seconds, \
            now + MAX_WAIT_FOR_SANDBOX_SECONDS
        wanting = False
        stale: list[Sandbox] = []
        with self._lock:
            try:
                while True:
                    if self._closed:
                        raise Throttled(wire.ACCOUNT_LIMIT)
                    stale += self._retire_stale(current)
                    if self._idle:
                        return self._idle.pop()
                    if self._init_errors:
                        return self._init_errors.pop()
                    now = time.monotonic()
                    if now > give_up:
                        raise Throttled(wire.ACCOUNT_LIMIT)
                    if not wanting and (now >= warm_until or not self._ready):
                        wanting = True
                        self._wanting += 1
                    self._start_wanted(current)
                    self._lock.wait(max(0.0, warm_until - now) if not wanting else 1.0)
            finally:
                if wanting:
                    self._wanting -= 1
                for sandbox in stale:
                    threading.Thread(target=sandbox.kill, daemon=True).start()

    def _start_wanted(self, fingerprint: str) -> None:
        """Under the lock: one new sandbox per invocation that wants one,
        `parallel_starts` at a time, `max_sandboxes` in all."""
        while (self._wanting > self._starting
               and self._starting < self.settings.parallel_starts
               and (not self._max or len(self._ready) + self._starting < self._max)):
            self._starting += 1
            threading.Thread(target=self._start_one, args=(fingerprint,), daemon=True,
                             name=f'start-{self.spec.deployed_name}').start()

    def _start_one(self, fingerprint: str | None = None) -> None:
        fingerprint = fingerprint or self.spec.app.source_fingerprint()
        sandbox = None
        try:
            sandbox = Sandbox(self.spec.deployed_name, self.spec.handler, str(self.spec.app.app_dir),
                              self.env, self.spec.timeout, self.spec.memory_mb, fingerprint,
                              self._echo, self.settings.debug)
            with self._lock:
                self._booting.add(sandbox)
            sandbox.start()
        except (InitFailed, OSError) as error:
            outcome = error.outcome if isinstance(error, InitFailed) else Outcome(
                wire.function_error_payload('Runtime.Unknown', str(error)), 'Unhandled', b'')
            with self._lock:
                if sandbox is not None:
                    self._booting.discard(sandbox)
                self._starting -= 1
                self._init_errors.append(outcome)
                if self._wanting < len(self._init_errors):
                    self._init_errors.pop(0)  # nobody waits for it any more
                self._lock.notify_all()
            return
        with self._lock:
            self._booting.discard(sandbox)
            self._starting -= 1
            if not self._closed:
                self._ready.add(sandbox)
                self._idle.append(sandbox)
                self._lock.notify_all()
                return
        sandbox.kill()

    def _retire_stale(self, current: str) -> list[Sandbox]:
        """Under the lock: idle sandboxes of older code or dead ones leave."""
        keep: list[Sandbox] = []
        stale: list[Sandbox] = []
        for sandbox in self._idle:
            (keep if sandbox.fingerprint == current and sandbox.alive() else stale).append(sandbox)
        for sandbox in stale:
            self._ready.discard(sandbox)
        self._idle = keep
        return stale

    def _release(self, sandbox: Sandbox, reusable: bool) -> None:
        with self._lock:
            if reusable and not self._closed:
                self._idle.append(sandbox)
                self._lock.notify_all()
                return
            self._ready.discard(sandbox)
            self._lock.notify_all()
        sandbox.kill()

    # -- the pool as a whole ----------------------------------------------

    def prewarm(self) -> None:
        """Start one sandbox ahead of the first invocation (none if any exists)."""
        with self._lock:
            if self._ready or self._starting or self._closed:
                return
            self._starting += 1
        self._start_one()

    def stats(self) -> dict[str, int]:
        """Sandboxes ready, idle, starting, and invocations in flight, right now."""
        with self._lock:
            return {'ready': len(self._ready), 'idle': len(self._idle),
                    'starting': self._starting, 'in_flight': self._in_flight}

    def close(self, busy_too: bool = True) -> None:
        """End the pool's sandboxes: all of them, or (`busy_too=False`, when
        the pool is replaced) the idle ones now and busy ones when done."""
        with self._lock:
            self._closed = True
            sandboxes = list(self._ready | self._booting) if busy_too else list(self._idle)
            self._idle = []
            self._lock.notify_all()
        for sandbox in sandboxes:
            sandbox.kill()
