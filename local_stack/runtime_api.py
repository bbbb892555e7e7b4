"""The Lambda Runtime API for one sandbox, as AWS's Runtime Interface
Emulator serves it to a runtime client.

AWS's own runtime client (`awslambdaric`) in the sandbox process long-polls
`GET /2018-06-01/runtime/invocation/next`, runs the handler, and posts the
outcome to `.../invocation/{id}/response` or `.../invocation/{id}/error`; an
app that fails to import posts `.../runtime/init/error` and exits. Each
sandbox has its own server on a loopback port (on AWS each sandbox has its
own endpoint at 127.0.0.1:9001), so a request always means that sandbox.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""
from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase, BufferedReader
from typing import cast

from local_stack import after_answer, http_answer, wire

PREFIX = '/2018-06-01/runtime'
HEAD_LIMIT = 65536  # bytes of one request line or header line, as http.server reads them
ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type'


@dataclass
class Invocation:
    """One invocation as the Runtime API hands it to a sandbox, and its outcome."""

    request_id: str
    payload: bytes
    function_arn: str
    deadline_ms: int               # epoch milliseconds
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None
    # the outcome, once `done` is set
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes = b''
    error_type: str | None = None  # None: success; else the function error's type

    def complete(self, result: bytes, error_type: str | None) -> None:
        if not self.done.is_set():
            self.result, self.error_type = result, error_type
            self.done.set()

    def next_headers(self) -> list[tuple[str, str]]:
        headers = [('Lambda-Runtime-Aws-Request-Id', self.request_id),
                   ('Lambda-Runtime-Deadline-Ms', str(self.deadline_ms)),
                   ('Lambda-Runtime-Invoked-Function-Arn', self.function_arn),
                   ('Lambda-Runtime-Trace-Id', self.trace_id)]
        if self.client_context:
            headers.append(('Lambda-Runtime-Client-Context', self.client_context))
        if self.cognito_identity:
            headers.append(('Lambda-Runtime-Cognito-Identity', self.cognito_identity))
        return headers


class RuntimeApi:
    """The server one sandbox's runtime client talks to.

    The runtime client asks for its next invocation ahead of time, so a warm
    sandbox's `GET .../next` is already waiting when an invocation comes:
    the invoking thread then answers it and reads the client's outcome on
    that same keep-alive connection itself (`run`), with no hand-over to the
    server's thread and back. After the outcome the runtime client asks for
    its next invocation at once, on that connection; the connection stays
    with the invokers (`_Handler.next_unread`), and the next invoker reads
    that `GET .../next` itself: a warm invocation takes no thread hand-over
    at all. An invocation that comes while no `next` waits is queued for
    the server's thread, which answers the next one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: _Handler | None = None   # a waiting `next`, its connection free
        self._queued: Invocation | None = None
        self._closed = False
        self.current: Invocation | None = None
        self.ready = threading.Event()       # the runtime asked for its first invocation
        self.init_error: bytes | None = None
        self.init_failed = threading.Event()
        self.settled = threading.Event()     # ready, or init failed (set by the sandbox too)
        self._server = _Server(('127.0.0.1', 0), _Handler)
        self._server.api = self
        self.address = f'127.0.0.1:{self._server.server_port}'
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.2},
                                        name=f'runtime-api-{self._server.server_port}',
                                        daemon=True)
        self._thread.start()

    def run(self, invocation: Invocation, timeout: float | None) -> bool:
        """Hand `invocation` to the runtime client and wait for its outcome;
        False when `timeout` (seconds, None: no limit) passed first."""
        self.current = invocation
        with self._lock:
            handler, self._parked = self._parked, None
            if handler is None:
                self._queued = invocation
        if handler is None:
            return invocation.done.wait(timeout)
        kept = False
        try:
            handler.serve(invocation, timeout)
            kept = self._keep(handler, invocation)
        finally:
            if not kept:
                handler.release()
        if not invocation.done.is_set() and handler.saw_end_of_stream:
            invocation.done.wait(EXIT_GRACE_SECONDS)  # the process ended: its exit status
        return invocation.done.is_set()

    def _keep(self, handler: _Handler, invocation: Invocation) -> bool:
        """After a clean outcome, park the connection for the next invoker,
        which reads the runtime's coming `GET .../next` itself."""
        if not invocation.done.is_set() or handler.saw_end_of_stream or \
                handler.close_connection:
            return False
        with self._lock:
            if self._closed or self._parked is not None:
                return False
            handler.next_unread = True
            self._parked = handler
            return True

    def park(self, handler: _Handler) -> Invocation | None:
        """A `GET .../next` arrived: a queued invocation to answer now, or
        None (the handler waits until an invoker used its connection)."""
        self.ready.set()
        self.settled.set()
        with self._lock:
            if self._closed:
                return None
            invocation, self._queued = self._queued, None
            if invocation is None:
                self._parked = handler
            return invocation

    def posted(self, path: str, error_type: str | None,
               body: bytes) -> tuple[HTTPStatus, dict[str, str]]:
        """The runtime client's POST: an outcome or an init error."""
        if path == f'{PREFIX}/init/error':
            self.init_error = body
            self.init_failed.set()
            self.settled.set()
            return HTTPStatus.ACCEPTED, {'status': 'OK'}
        parts = path[len(PREFIX):].strip('/').split('/')
        if len(parts) != 3 or parts[0] != 'invocation' or parts[2] not in ('response', 'error'):
            return HTTPStatus.NOT_FOUND, {'errorMessage': 'unknown path'}
        invocation = self.current
        if invocation is None or invocation.request_id != parts[1]:
            return HTTPStatus.BAD_REQUEST, {'errorMessage': 'Invalid request ID',
                                            'errorType': 'InvalidRequestID'}
        if parts[2] == 'error':
            invocation.complete(body, error_type or 'Unhandled')
        elif len(body) > wire.RESPONSE_PAYLOAD_LIMIT:
            invocation.complete(wire.response_too_large_payload(),
                                'Function.ResponseSizeTooLarge')
        else:
            invocation.complete(body, None)
        return HTTPStatus.ACCEPTED, {'status': 'OK'}

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            handler, self._parked = self._parked, None
        if handler is not None:
            handler.close_connection = True
            handler.release()
        self._server.shutdown()
        self._server.server_close()


# After the runtime's connection ends mid-invocation, how long to wait for
# the process's exit status (the sandbox's watcher completes the invocation).
EXIT_GRACE_SECONDS = 5


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: RuntimeApi  # set once made, before it serves

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sandbox killed mid-request (timeout, stop): nothing to report


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the runtime client expects
    disable_nagle_algorithm = True  # an answer leaves at once, not 40 ms later
    saw_end_of_stream = False
    next_unread = False  # the runtime's `GET .../next` is on the connection, not read yet
    server: _Server

    @property
    def api(self) -> RuntimeApi:
        return self.server.api

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != f'{PREFIX}/invocation/next':
            return self._answer(HTTPStatus.NOT_FOUND, {'errorMessage': 'unknown path'})
        self._released = threading.Event()
        self.next_unread = False
        invocation = self.api.park(self)
        if invocation is not None:
            return self._send_invocation(invocation)
        if not self.api.closed:
            self._released.wait()  # an invoker answers this `next` on our connection
        if self.api.closed:
            self.close_connection = True

    def release(self) -> None:
        self._released.set()

    def serve(self, invocation: Invocation, timeout: float | None) -> None:
        """On the invoker's thread: answer this waiting `next` with
        `invocation`, then read the runtime's POSTs on the same connection
        until the invocation has its outcome or `timeout` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        sock = self.connection
        try:
            while self.next_unread and not invocation.done.is_set():
                if not self._read_when_ready(sock, deadline, self._take_next):
                    return
            self._send_invocation(invocation)
            while not invocation.done.is_set():
                if not self._read_when_ready(sock, deadline, self._serve_one_post):
                    return
        except (OSError, ValueError):
            self.saw_end_of_stream = True
            self.close_connection = True
        finally:
            try:
                sock.settimeout(None)
            except OSError:
                pass

    def _read_when_ready(self, sock: socket.socket, deadline: float | None,
                         serve_one: Callable[[], bool]) -> bool:
        """Wait (up to `deadline`) for the runtime's next request and serve
        it with `serve_one`; False when the deadline passed or the stream
        ended (then `saw_end_of_stream`)."""
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        readable, _, _ = select.select([sock], [], [], 0.05 if remaining is None
                                       else min(remaining, 0.05))
        if not readable:
            return True
        self.connection.settimeout(None if remaining is None else max(remaining, 0.001))
        if not serve_one():
            self.saw_end_of_stream = True
            return False
        return True

    def _take_next(self) -> bool:
        """Read the runtime's `GET .../next` (answered by `_send_invocation`);
        anything else gets its answer and the next request is awaited."""
        request = self._read_request()
        if request is None:
            return False
        method, path, _, _ = request
        if method == 'GET' and path == f'{PREFIX}/invocation/next':
            self.next_unread = False
        elif method == 'GET':
            self._answer(HTTPStatus.NOT_FOUND, {'errorMessage': 'unknown path'})
        else:
            self._answer(HTTPStatus.BAD_REQUEST, {'errorMessage': 'no invocation is running'})
        return True

    def _serve_one_post(self) -> bool:
        """Read one request from the runtime and answer it; False at the end
        of the stream (the process is gone)."""
        request = self._read_request()
        if request is None:
            return False
        method, path, headers, body = request
        if method != 'POST':
            self._answer(HTTPStatus.BAD_REQUEST, {'errorMessage': 'one invocation at a time'})
            return True
        status, answer = self.api.posted(path, headers.get(ERROR_TYPE_HEADER.lower()), body)
        if status == HTTPStatus.ACCEPTED:  # the outcome: its 202 can follow the caller's answer
            after_answer.later(lambda: self._acknowledge(status, answer))
        else:
            self._answer(status, answer)
        return True

    def _acknowledge(self, status: HTTPStatus, body: dict[str, str]) -> None:
        try:
            self._answer(status, body)
        except OSError:  # the process ended meanwhile: the next invoker sees it
            self.saw_end_of_stream = True

    def _read_request(self) -> tuple[str, str, dict[str, str], bytes] | None:
        """(method, path, lower-cased headers, body), or None at the end of
        the stream. The runtime client's request head usually has arrived
        whole: then it is taken from the buffer in one piece, not line by line."""
        buffered = cast(BufferedReader, self.rfile).peek(HEAD_LIMIT)
        if not buffered:
            return None
        end = buffered.find(b'\r\n\r\n')
        if end < 0:
            lines = self._read_head_lines()
        else:
            lines = self.rfile.read(end + 4)[:-4].decode('latin-1').split('\r\n')
        method, path = (lines[0].split() + ['', ''])[:2]
        headers: dict[str, str] = {}
        for header in lines[1:]:
            key, _, value = header.partition(':')
            headers[key.strip().lower()] = value.strip()
        return method, path, headers, _read_body(self.rfile, headers)

    def _read_head_lines(self) -> list[str]:
        """The request line and header lines, read line by line up to the blank one."""
        lines: list[str] = []
        while True:
            line = self.rfile.readline(HEAD_LIMIT + 1)
            if line in (b'\r\n', b'\n', b''):
                return lines or ['']
            lines.append(line.decode('latin-1').rstrip('\r\n'))

    def _send_invocation(self, invocation: Invocation) -> None:
        invocation.deadline_ms = max(invocation.deadline_ms, int(time.time() * 1000))
        self.connection.sendall(http_answer.encode(
            HTTPStatus.OK, [*invocation.next_headers(), ('Content-Type', 'application/json')],
            invocation.payload))

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        headers = {key.lower(): value for key, value in self.headers.items()}
        body = _read_body(self.rfile, headers)
        status, answer = self.api.posted(self.path, headers.get(ERROR_TYPE_HEADER.lower()), body)
        self._answer(status, answer)

    def _answer(self, status: HTTPStatus, body: dict[str, str]) -> None:
        self.connection.sendall(http_answer.encode(
            status, [('Content-Type', 'application/json')], json.dumps(body).encode()))


def _read_body(stream: BufferedIOBase, headers: dict[str, str]) -> bytes:
    """A request body by Content-Length, or chunked; `headers` lower-cased."""
    if headers.get('transfer-encoding', '').lower() == 'chunked':
        chunks: list[bytes] = []
        while True:
            size = int(stream.readline().split(b';', 1)[0].strip() or b'0', 16)
            if size == 0:
                while stream.readline() not in (b'\r\n', b'\n', b''):
                    pass  # trailers
                return b''.join(chunks)
            chunks.append(stream.read(size))
            stream.readline()
    length = int(headers.get('content-length') or 0)
    return stream.read(length) if length else b''
