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
import queue
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local_stack import wire

PREFIX = '/2018-06-01/runtime'
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
    """The server one sandbox's runtime client talks to."""

    def __init__(self) -> None:
        self._pending: queue.Queue[Invocation | None] = queue.Queue()
        self.current: Invocation | None = None
        self.ready = threading.Event()       # the runtime asked for its first invocation
        self.init_error: bytes | None = None
        self.init_failed = threading.Event()
        self._server = _Server(('127.0.0.1', 0), _Handler)
        self._server.api = self  # type: ignore[attr-defined]
        self.address = f'127.0.0.1:{self._server.server_port}'
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.2},
                                        name=f'runtime-api-{self._server.server_port}',
                                        daemon=True)
        self._thread.start()

    def offer(self, invocation: Invocation) -> None:
        """Hand `invocation` to the sandbox's next `GET .../next`."""
        self.current = invocation
        self._pending.put(invocation)

    def next_invocation(self) -> Invocation | None:
        self.ready.set()
        return self._pending.get()

    def close(self) -> None:
        self._pending.put(None)  # ends a waiting `next`
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sandbox killed mid-request (timeout, stop): nothing to report


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the runtime client expects
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart

    @property
    def api(self) -> RuntimeApi:
        return self.server.api  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != f'{PREFIX}/invocation/next':
            return self._answer(HTTPStatus.NOT_FOUND, {'errorMessage': 'unknown path'})
        invocation = self.api.next_invocation()
        if invocation is None:  # the sandbox is being stopped
            self.close_connection = True
            return self._answer(HTTPStatus.GONE, {'errorMessage': 'sandbox stopped'})
        invocation.deadline_ms = max(invocation.deadline_ms, int(time.time() * 1000))
        self.send_response(HTTPStatus.OK)
        for key, value in invocation.next_headers():
            self.send_header(key, value)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(invocation.payload)))
        self.end_headers()
        self.wfile.write(invocation.payload)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self._body()
        path = self.path
        if path == f'{PREFIX}/init/error':
            self.api.init_error = body
            self.api.init_failed.set()
            return self._answer(HTTPStatus.ACCEPTED, {'status': 'OK'})
        parts = path[len(PREFIX):].strip('/').split('/')
        if len(parts) != 3 or parts[0] != 'invocation' or parts[2] not in ('response', 'error'):
            return self._answer(HTTPStatus.NOT_FOUND, {'errorMessage': 'unknown path'})
        invocation = self.api.current
        if invocation is None or invocation.request_id != parts[1]:
            return self._answer(HTTPStatus.BAD_REQUEST,
                                {'errorMessage': 'Invalid request ID',
                                 'errorType': 'InvalidRequestID'})
        if parts[2] == 'error':
            invocation.complete(body, self.headers.get(ERROR_TYPE_HEADER) or 'Unhandled')
        elif len(body) > wire.RESPONSE_PAYLOAD_LIMIT:
            invocation.complete(wire.response_too_large_payload(),
                                'Function.ResponseSizeTooLarge')
        else:
            invocation.complete(body, None)
        self._answer(HTTPStatus.ACCEPTED, {'status': 'OK'})

    def _body(self) -> bytes:
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass  # trailers
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _answer(self, status: HTTPStatus, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
