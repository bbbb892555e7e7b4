"""One execution environment: a process running AWS's own Python runtime
client (`python -m awslambdaric app.<handler>`) for one function of one app,
the Runtime API it talks to, and what it writes.

The process gets the function's environment only (nothing of the stack's),
the app's folder as working directory and on `sys.path` (as /var/task), and
`AWS_LAMBDA_RUNTIME_API` pointing at its own `runtime_api.RuntimeApi`. So
unmarshalling, marshalling (Decimal, bytes), error payloads, stack traces,
the `[ERROR]` log lines, `logging`'s format and init errors are AWS's code.
What Lambda's platform does around it is done here: the deadline, killing a
sandbox past its timeout, the exit message when the process ends mid-call,
and START/END/REPORT around what the invocation printed (`lambda_logs`).
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from local_stack import REGION, lambda_logs, wire
from local_stack.runtime_api import Invocation, RuntimeApi

# Lambda gives a function's init (the import of app.py) 10 s; a busy laptop
# starting several servers at once gets more.
INIT_TIMEOUT_SECONDS = 30
DEBUG_PORT = 5678


class Outcome:
    """What one invocation produced, in wire terms. Its log (START ...
    REPORT, for LogType=Tail) is built only when asked for."""

    def __init__(self, payload: bytes, function_error: str | None,
                 log: bytes | Callable[[], bytes], duration_ms: float = 0.0) -> None:
        self.payload = payload
        self.function_error = function_error  # 'Unhandled' or None
        self.duration_ms = duration_ms
        self._log = log

    @property
    def log(self) -> bytes:
        if callable(self._log):
            self._log = self._log()
        return self._log


class InitFailed(Exception):
    """The sandbox did not get ready; `outcome` is what the invocation answers."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.payload.decode('utf-8', 'replace'))
        self.outcome = outcome


class _Output:
    """The sandbox's stdout and stderr (one pipe): echoed line by line to the
    console, and kept per invocation. `collect` reads what is still in the
    pipe first, so it holds everything written before the runtime client
    posted its answer."""

    def __init__(self, fd: int, echo: Callable[[str], None], prefix: str) -> None:
        os.set_blocking(fd, False)
        self._fd, self._echo, self._prefix = fd, echo, prefix
        self._lock = threading.Lock()
        self._kept = bytearray()
        self._partial = b''
        self._open = True
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)
        threading.Thread(target=self._pump, daemon=True, name=f'output-{fd}').start()

    def _pump(self) -> None:
        while self._open:
            try:
                select.select([self._fd], [], [], 0.5)
            except (OSError, ValueError):
                return
            with self._lock:
                self._read_available()

    def _read_available(self) -> None:
        while self._open:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b''
            if not data:
                self._open = False
                self._echo_lines(b'\n' if self._partial else b'')
                return
            self._kept += data
            if len(self._kept) > 2 * lambda_logs.KEEP_BYTES:
                del self._kept[:-lambda_logs.KEEP_BYTES]
            self._echo_lines(data)

    def _echo_lines(self, data: bytes) -> None:
        text = self._partial + data.replace(b'\r', b'\n')
        *lines, self._partial = text.split(b'\n')
        for line in lines:
            self._echo(self._prefix + line.decode('utf-8', 'replace'))

    def begin(self) -> None:
        with self._lock:
            if self._pending():
                self._read_available()
            self._kept.clear()

    def collect(self) -> bytes:
        with self._lock:
            if self._pending():
                self._read_available()
            return bytes(self._kept)

    def _pending(self) -> bool:
        """Something (or the end) to read: a poll, cheaper than a read that
        fails (twice per invocation)."""
        try:
            return bool(self._poll.poll(0))
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        """Close the pipe once. A sandbox can be killed twice (its pool
        closing while its start gives up): a second `os.close` of the same
        number would close whatever descriptor the process opened since,
        such as a pipe another thread's `Popen` is using."""
        with self._lock:
            self._open = False
            fd, self._fd = self._fd, -1
            if fd < 0:
                return
            try:
                os.close(fd)
            except OSError:
                pass


class Sandbox:
    """One sandbox process; `start` waits for its init, `invoke` runs one
    invocation at a time."""

    def __init__(self, function_name: str, handler: str, app_dir: str, env: dict[str, str],
                 timeout: float, memory_mb: int, fingerprint: str | None = None,
                 echo: Callable[[str], None] | None = None, debug: bool = False) -> None:
        self.function_name, self.timeout, self.memory_mb = function_name, timeout, memory_mb
        self.fingerprint, self.debug = fingerprint, debug
        self.api = RuntimeApi()
        self.init_ms: float | None = None
        self._first_invocation = True
        command = [sys.executable, '-m', 'awslambdaric', handler]
        if debug:
            command = [sys.executable, '-m', 'debugpy', '--listen', f'127.0.0.1:{DEBUG_PORT}',
                       '--wait-for-client', *command[1:]]
            (echo or print)(f'[{function_name}] debugpy waits for an IDE to attach on '
                            f'127.0.0.1:{DEBUG_PORT} (no timeout while debugging)')
        vendor = os.path.join(app_dir, 'vendor')
        self._init_start = lambda_logs.init_start_line(REGION)
        self._init_log = b''  # INIT_START and what the init wrote: the first log's head
        if echo is not None:
            echo(f'[{function_name}] {self._init_start.rstrip()}')
        self._started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=app_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**env, 'AWS_LAMBDA_RUNTIME_API': self.api.address, '_HANDLER': handler,
                 'LAMBDA_TASK_ROOT': app_dir, 'PYTHONPATH': f'{app_dir}{os.pathsep}{vendor}'})
        assert self.process.stdout is not None
        self._output = _Output(os.dup(self.process.stdout.fileno()), echo or (lambda line: None),
                               f'[{function_name}] ')
        self.process.stdout.close()
        self._exited = threading.Event()
        threading.Thread(target=self._watch, daemon=True,
                         name=f'sandbox-{self.process.pid}').start()

    def _watch(self) -> None:
        code = self.process.wait()
        self._exited.set()
        invocation = self.api.current
        if invocation is not None:
            invocation.complete(wire.exited_payload(invocation.request_id, wire.exit_reason(code)),
                                'Runtime.ExitError')
        self.api.init_failed.set()
        self.api.settled.set()

    def start(self, request_id: str | None = None) -> None:
        """Wait until the runtime client asks for its first invocation;
        raises `InitFailed` with the answer Lambda gives to an init error."""
        limit = None if self.debug else INIT_TIMEOUT_SECONDS
        self.api.settled.wait(limit)
        if self.api.ready.is_set():
            self.init_ms = (time.perf_counter() - self._started) * 1000
            self._init_log = self._init_start.encode() + self._output.collect()
            return
        request_id = request_id or wire.new_request_id()
        output = self._output.collect()
        if self.api.init_error is not None:
            payload = self.api.init_error
        elif self._exited.is_set():
            payload = wire.exited_payload(request_id, wire.exit_reason(self.process.returncode))
        else:
            payload = wire.function_error_payload(
                'Runtime.InitTimeout', f'Init did not complete within {limit} seconds')
        self.kill()
        raise InitFailed(Outcome(payload, 'Unhandled', lambda_logs.invocation_log(
            request_id, b'', '', lambda_logs.report_line(request_id, 0.0, self.memory_mb, 0),
            init=self._init_start.encode() + output)))

    def invoke(self, invocation: Invocation) -> tuple[Outcome, bool]:
        """Run one invocation; returns its outcome and whether this sandbox
        can take another."""
        self._output.begin()
        started = time.perf_counter()
        if self._exited.is_set():  # ended while idle: answer as Lambda would
            invocation.complete(wire.exited_payload(invocation.request_id, wire.exit_reason(
                self.process.returncode)), 'Runtime.ExitError')
        finished = self.api.run(invocation, None if self.debug else self.timeout)
        if not finished and self._exited.is_set():  # its connection ended with the process
            invocation.complete(wire.exited_payload(invocation.request_id, wire.exit_reason(
                self.process.returncode)), 'Runtime.ExitError')
            finished = True
        duration_ms = (time.perf_counter() - started) * 1000
        output = self._output.collect()
        init_ms = self.init_ms if self._first_invocation else None
        init_log = self._init_log if self._first_invocation else b''
        self._first_invocation = False
        request_id = invocation.request_id
        closing, reusable = '', True
        if not finished:
            peak_mb = self._max_memory_mb()
            invocation.complete(wire.timed_out_payload(request_id, self.timeout),
                                'Sandbox.Timedout')
            self.kill()
            closing, reusable = lambda_logs.timed_out_line(request_id, self.timeout), False
        elif invocation.error_type == 'Runtime.ExitError':
            peak_mb = 0
            closing = lambda_logs.exited_line(request_id, wire.exit_reason(self.process.returncode))
            reusable = False
        else:
            peak_mb = -1  # read when the log is asked for
        self.api.current = None

        def log() -> bytes:
            report = lambda_logs.report_line(
                request_id, duration_ms, self.memory_mb,
                self._max_memory_mb() if peak_mb < 0 else peak_mb, init_ms)
            return lambda_logs.invocation_log(request_id, output, closing, report, init_log)

        error = 'Unhandled' if invocation.error_type else None
        return Outcome(invocation.result, error, log, duration_ms), reusable and self.alive()

    def _max_memory_mb(self) -> int:
        try:
            with open(f'/proc/{self.process.pid}/status') as status:
                for line in status:
                    if line.startswith('VmHWM:'):
                        return int(line.split()[1]) // 1024
        except (OSError, ValueError):
            pass
        return 0

    def alive(self) -> bool:
        return not self._exited.is_set() and self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.api.close()
        self._output.close()
