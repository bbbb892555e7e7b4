"""Worker processes for one function: started on demand, reused, bounded.

Like Lambda's execution environments: an invocation gets an idle worker, or
a new one while fewer than `size` exist (a cold start), or waits for one.
Past `max_waiting` waiting callers, or after `wait_seconds`, the caller is
throttled (429). A worker that died or ran past its timeout is killed and
forgotten; the next invocation starts a fresh one. A worker started before
the app's source last changed is retired instead of reused, so an edit takes
effect on the next invocation.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from local_stack import wire

PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
# Lambda gives a function's init (the import of app.py) 10 s; a busy laptop
# starting several servers at once gets more.
INIT_TIMEOUT_SECONDS = 30


class Throttled(Exception):
    """Every worker is busy and too many callers already wait."""


@dataclass
class Outcome:
    """What one invocation produced, in wire terms."""

    payload: bytes
    function_error: str | None  # 'Unhandled' or None
    logs: str
    duration_ms: float = 0.0


class Worker:
    """One sandbox process (`local_stack.worker`) and the pipes to it."""

    def __init__(self, app_dir, function_name, env, fingerprint=None):
        self.fingerprint = fingerprint
        self.function_name = function_name
        from_child, to_parent = os.pipe()
        from_parent, to_child = os.pipe()
        command = [sys.executable, '-u', '-m', 'local_stack.worker', '--app-dir', str(app_dir),
                   '--read-fd', str(from_parent), '--write-fd', str(to_parent)]
        if function_name:
            command += ['--function', function_name]
        try:
            self.process = subprocess.Popen(
                command, env={**env, 'PYTHONPATH': PROJECT_ROOT}, cwd=str(app_dir),
                pass_fds=(from_parent, to_parent), stdin=subprocess.DEVNULL)
        finally:
            os.close(from_parent)
            os.close(to_parent)
        self._inbox = Connection(from_child, writable=False)
        self._outbox = Connection(to_child, readable=False)

    def hello(self, timeout=INIT_TIMEOUT_SECONDS):
        """The worker's first message: `{"ready": true, "functions": [...]}`,
        or the init error Lambda would report."""
        try:
            if self._inbox.poll(timeout):
                return json.loads(self._inbox.recv_bytes())
        except (EOFError, OSError):
            return {'ready': False, 'errorType': 'Runtime.ExitError',
                    'errorMessage': f'Runtime exited with error: {self._exit_status()}'}
        self.kill()
        return {'ready': False, 'errorType': 'Runtime.InitTimeout',
                'errorMessage': f'Init did not complete within {timeout:.0f} seconds'}

    def invoke(self, request_id, payload, timeout, client_context=None):
        """Run one invocation; returns an `Outcome` and whether the worker
        can be used again."""
        message = {'request_id': request_id, 'payload': payload.decode('utf-8'),
                   'timeout': timeout, 'client_context': client_context}
        started = time.perf_counter()
        try:
            self._outbox.send_bytes(json.dumps(message).encode())
            if self._inbox.poll(timeout):
                answer = json.loads(self._inbox.recv_bytes())
                return Outcome(answer['payload'].encode(), answer['error'], answer['logs'],
                               answer['duration_ms']), True
        except (EOFError, OSError, BrokenPipeError):
            status = self._exit_status()
            logs = (f'START RequestId: {request_id} Version: $LATEST\n'
                    f'RequestId: {request_id} Error: Runtime exited with error: {status}\n'
                    f'Runtime.ExitError\nEND RequestId: {request_id}\n')
            payload = wire.function_error_payload(
                'Runtime.ExitError', f'RequestId: {request_id} Error: Runtime exited with error: '
                                     f'{status}')
            return Outcome(payload, 'Unhandled', logs, _ms_since(started)), False
        self.kill()
        logs = (f'START RequestId: {request_id} Version: $LATEST\n'
                f'{time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())}Z {request_id} '
                f'Task timed out after {timeout:.2f} seconds\n\nEND RequestId: {request_id}\n')
        return Outcome(wire.timed_out_payload(request_id, timeout), 'Unhandled', logs,
                       _ms_since(started)), False

    def _exit_status(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        if code is not None and code < 0:
            return f'signal: {signal.Signals(-code).name.lower().removeprefix("sig")}'
        return f'exit status {code}'

    def alive(self):
        return self.process.poll() is None

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for connection in (self._inbox, self._outbox):
            try:
                connection.close()
            except OSError:
                pass


def _ms_since(started):
    return (time.perf_counter() - started) * 1000


class FunctionPool:
    """The workers of one function."""

    def __init__(self, spec, env, size=2, max_waiting=8, wait_seconds=None):
        self.spec, self.env = spec, env
        self.size, self.max_waiting = max(1, size), max(0, max_waiting)
        self.wait_seconds = spec.timeout + 5 if wait_seconds is None else wait_seconds
        self._idle = []
        self._all = set()  # every worker alive, busy or idle, to end them on close
        self._live = 0
        self._waiting = 0
        self._closed = False
        self._lock = threading.Condition()

    def invoke(self, request_id, payload, client_context=None):
        """Run one invocation on a worker; raises `Throttled`."""
        worker, init_error = self._acquire()
        if init_error is not None:
            return Outcome(wire.function_error_payload(
                init_error['errorType'], init_error['errorMessage'],
                init_error.get('stackTrace')), 'Unhandled',
                f'INIT_REPORT Status: error\t{init_error["errorType"]}: '
                f'{init_error["errorMessage"]}\n')
        outcome, reusable = worker.invoke(request_id, payload, self.spec.timeout, client_context)
        self._release(worker, reusable)
        return outcome

    def prewarm(self):
        """Start one worker ahead of the first invocation (no-op if any exists)."""
        with self._lock:
            if self._live or self._closed:
                return
            self._live += 1
        worker, error = self._start()
        if error is None:
            self._release(worker, True)

    def _acquire(self):
        deadline = time.monotonic() + self.wait_seconds
        current = self.spec.app.source_fingerprint()
        with self._lock:
            while True:
                if self._closed:
                    raise Throttled(self.spec.deployed_name)
                self._retire_stale(current)
                if self._idle:
                    return self._idle.pop(), None
                if self._live < self.size:
                    self._live += 1
                    break
                remaining = deadline - time.monotonic()
                if self._waiting >= self.max_waiting or remaining <= 0:
                    raise Throttled(self.spec.deployed_name)
                self._waiting += 1
                try:
                    self._lock.wait(remaining)
                finally:
                    self._waiting -= 1
        return self._start(current)

    def _start(self, fingerprint=None):
        """A new worker, or its init error (the slot is given back then)."""
        fingerprint = fingerprint or self.spec.app.source_fingerprint()
        try:
            worker = Worker(self.spec.app.app_dir, self.spec.name, self.env, fingerprint)
        except OSError as error:
            self._give_back_slot()
            return None, {'errorType': 'Runtime.Unknown', 'errorMessage': str(error)}
        with self._lock:
            self._all.add(worker)
        hello = worker.hello()
        if not hello.get('ready'):
            worker.kill()
            with self._lock:
                self._all.discard(worker)
            self._give_back_slot()
            return None, hello
        return worker, None

    def _give_back_slot(self):
        with self._lock:
            self._live -= 1
            self._lock.notify()

    def _retire_stale(self, current):
        keep = []
        for worker in self._idle:
            if worker.fingerprint == current and worker.alive():
                keep.append(worker)
            else:
                worker.kill()
                self._all.discard(worker)
                self._live -= 1
        self._idle = keep

    def _release(self, worker, reusable):
        with self._lock:
            if reusable and not self._closed and worker.alive():
                self._idle.append(worker)
            else:
                worker.kill()
                self._all.discard(worker)
                self._live -= 1
            self._lock.notify()

    def stats(self):
        """Workers alive, idle, and callers waiting, right now."""
        with self._lock:
            return {'live': self._live, 'idle': len(self._idle), 'waiting': self._waiting}

    def close(self, busy_too=True):
        """End the pool's workers: all of them, or (`busy_too=False`, when
        the pool is replaced) the idle ones now and busy ones when done."""
        with self._lock:
            self._closed = True
            workers = list(self._all) if busy_too else list(self._idle)
            self._idle = []
            self._lock.notify_all()
        for worker in workers:
            worker.kill()
