"""The endpoint's hot path: a plain Lambda Invoke served without WSGI.

Through werkzeug a warm invoke spent about 60 µs before and after the
runtime itself: building the WSGI environ (every header renamed), the
`Guard` middleware copying the body, `start_response` and the gathered
answer. Measured against a bare server answering like Lambda, that was a
fifth of the local runtime's whole overhead. The lane serves the common
request straight from what http.server parsed:

- only a POST to an invoke path with a `Content-Length` within Lambda's
  limit for its invocation type, and no Origin, Sec-Fetch-Site,
  Transfer-Encoding, Expect or repeated header; any other request (chunked,
  oversized, from a browser, ...) takes the WSGI route as before;
- the `Guard`'s own checks run first, on the few environ keys they read;
  a request they would refuse takes the WSGI route too, so every refusal
  is answered (and logged) in one place;
- the body is read once, handed to `Endpoint.invoke` (the WSGI route ends
  there as well), and the answer leaves with one `sendall`; the runtime
  client's 202 and the sandbox's return to its pool follow it
  (`after_answer`).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from local_stack import after_answer, http_answer, wire

if TYPE_CHECKING:
    from local_stack.endpoint import Endpoint
    from local_stack.guard import Guard
    from local_stack.keep_alive import KeepAliveHandler

# A browser's request, or one whose body is not simply Content-Length bytes.
_WSGI_ONLY_HEADERS = frozenset({'origin', 'sec-fetch-site', 'transfer-encoding', 'expect'})


class InvokeLane:
    def __init__(self, guard: Guard, endpoint: Endpoint) -> None:
        self.guard, self.endpoint = guard, endpoint

    def serve(self, handler: KeepAliveHandler) -> bool:
        """Answer `handler`'s request if it is a plain invoke; False (nothing
        read, nothing written) when it must take the WSGI route."""
        started = time.perf_counter()
        if handler.command != 'POST':
            return False
        url = urlsplit(handler.path)
        if url.scheme or url.netloc:
            return False
        # PATH_INFO exactly as werkzeug's environ has it (decoded, WSGI's latin-1)
        path = unquote(url.path).encode().decode('latin-1')
        name = wire.function_name_from_path(path)
        if name is None:
            return False
        headers = handler.headers.items()
        fields = {key.lower(): value for key, value in headers}
        if len(fields) != len(headers) or not _WSGI_ONLY_HEADERS.isdisjoint(fields):
            return False
        length_text = fields.get('content-length', '0')
        if not length_text.isdigit():
            return False
        length = int(length_text)
        if length > wire.payload_limit(fields.get('x-amz-invocation-type', '')):
            return False  # read away and answered 413 by the WSGI route
        environ = {'REQUEST_METHOD': 'POST', 'PATH_INFO': path,
                   'SERVER_PORT': str(handler.server.server_address[1])}
        if 'host' in fields:
            environ['HTTP_HOST'] = fields['host']
        if self.guard.refusal(environ) is not None:
            return False
        body = handler.rfile.read(length) if length else b''
        if len(body) < length:  # the client went away mid-body
            handler.close_connection = True
            return True
        with after_answer.deferred():  # the runtime's 202 and the pool's release wait
            try:
                answer = self.endpoint.invoke(name, url.query, headers, body, length, started)
                status, answer_headers, answer_body = answer.status, answer.headers, answer.body
            except Exception as error:  # noqa: BLE001 - the Guard's 500, as on the WSGI route
                status, answer_headers, answer_body = self.guard.failed(environ, error)
            try:
                handler.connection.sendall(http_answer.encode(
                    status, answer_headers, answer_body, server=handler.version_string(),
                    close=handler.close_connection))
            except (ConnectionError, TimeoutError):
                handler.close_connection = True
        return True
