"""Werkzeug's WSGI request handler with HTTP/1.1 keep-alive.

boto3 keeps a pool of connections and reuses one for the next call, as it
does with AWS. Werkzeug's development server answers `Connection: close` to
every request, so each call through the local endpoint paid a new TCP
connection, a new server thread and urllib3's connection set-up, besides
werkzeug waiting to drain the socket after the answer. This handler keeps
werkzeug's WSGI environ (`make_environ`: paths, headers, chunked input) and
answers on the same connection as long as that is safe:

- a request whose body the application did not read to its end, or whose
  body was chunked, ends its connection after the answer (`Connection:
  close`): the rest of the body is never read, and never taken for the next
  request;
- every answer has a `Content-Length` (the body is gathered first; the
  endpoint's bodies are small), so the client knows where it ends.

The server keeps the open connections (`ConnectionRegistry`), so stopping it
ends idle keep-alive connections too, not only the listening socket.
"""
from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

from local_stack import http_answer, request_head

_DROPPED = (ConnectionError, socket.timeout)


class ConnectionRegistry:
    """The server's open client connections, so that they can be ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def close_all(self) -> None:
        """End every open connection (its thread then sees the end of the stream)."""
        with self._lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class KeepAliveHandler(WSGIRequestHandler):
    """Serves many requests per connection; see the module's docstring."""

    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True  # the answer leaves at once, not 40 ms later
    wbufsize = 64 * 1024            # status, headers and a small body leave in one write

    def parse_request(self) -> bool:
        """http.server's, for an HTTP/1.0 or 1.1 request line, with the
        headers read by `request_head` (no e-mail parser); anything else
        (HTTP/0.9, a malformed line) is left to http.server."""
        line = str(self.raw_requestline, 'iso-8859-1').rstrip('\r\n')
        words = line.split()
        if len(words) != 3 or words[2] not in ('HTTP/1.1', 'HTTP/1.0'):
            return bool(super().parse_request())
        self.requestline = line
        self.command, self.path, self.request_version = words
        self.close_connection = self.request_version == 'HTTP/1.0'
        if self.path.startswith('//'):
            self.path = '/' + self.path.lstrip('/')  # as http.server does
        try:
            self.headers = request_head.read_headers(self.rfile)  # type: ignore[arg-type]
        except http.client.LineTooLong as error:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, 'Line too long',
                            str(error))
            return False
        except http.client.HTTPException as error:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, 'Too many headers',
                            str(error))
            return False
        connection = self.headers.get('Connection', '').lower()
        if connection == 'close':
            self.close_connection = True
        elif connection == 'keep-alive':
            self.close_connection = False
        if self.headers.get('Expect', '').lower() == '100-continue' and \
                self.request_version == 'HTTP/1.1':
            return bool(self.handle_expect_100())
        return True

    def setup(self) -> None:
        super().setup()
        registry = getattr(self.server, 'connections', None)
        if registry is not None:
            registry.add(self.connection)

    def finish(self) -> None:
        registry = getattr(self.server, 'connections', None)
        if registry is not None:
            registry.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the connection was ended under us (the server stopped)

    def run_wsgi(self) -> None:
        if self.headers.get('Expect'):
            self.wfile.flush()  # the `100 Continue` http.server wrote (`handle_expect_100`)
        self.environ = environ = self.make_environ()
        body_stream = environ['wsgi.input']
        chunked = bool(environ.get('wsgi.input_terminated'))
        if not chunked:
            length = _declared_length(environ)
            if length is None:  # where this body ends is unknown: nothing after it is read
                self.close_connection, length = True, 0
            body_stream = environ['wsgi.input'] = LimitedStream(
                self.rfile, length)  # type: ignore[arg-type]
        try:
            status, headers, body = _call(self.server.app, environ)
        except _DROPPED:
            self.close_connection = True
            return
        except Exception:  # noqa: BLE001 - as werkzeug: a 500, and the connection ends
            self.close_connection = True
            self.log_error('error on %s %s', self.command, self.path)
            status, headers, body = '500 Internal Server Error', [
                ('Content-Type', 'text/plain; charset=utf-8')], b'Internal Server Error\n'
        if chunked or not body_stream.is_exhausted:
            self.close_connection = True
        try:
            self._send(status, headers, body)
        except _DROPPED:
            self.close_connection = True

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code_text, _, reason = status.partition(' ')
        code = int(code_text)
        self.log_request(code)
        self.wfile.write(http_answer.encode(
            code, headers, body, reason=reason, server=self.version_string(),
            close=self.close_connection, head=self.command == 'HEAD'))
        self.wfile.flush()


def _call(app: Callable[..., Iterable[bytes]],
          environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run the WSGI application to its end: (status, headers, whole body)."""
    seen: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info and seen:
            raise exc_info[1].with_traceback(exc_info[2])
        seen['status'], seen['headers'] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, 'close'):
            result.close()
    if 'status' not in seen:
        raise RuntimeError('the application did not call start_response')
    return seen['status'], seen['headers'], b''.join(chunks)


def _declared_length(environ: dict[str, Any]) -> int | None:
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return None
    return length if length >= 0 else None
