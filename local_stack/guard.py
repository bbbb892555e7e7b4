"""What keeps the local endpoint safe on a developer's laptop.

The endpoint answers for every AWS service with no credentials checked, so
anything that can reach it owns the local data. Only processes of this
machine should, and no web page the developer happens to visit:

- Host: only `127.0.0.1:<port>` or `localhost:<port>`; anything else is a
  403. A page on another site that rebinds its DNS name to 127.0.0.1 sends
  its own name as Host (DNS rebinding), so it is turned away here.
- Origin: browsers send it on every cross-origin request but a plain GET; a
  request from any origin but the rides page's own
  (`http://127.0.0.1:<rides port>`, `http://localhost:<rides port>`) is a
  403, preflight or not, and gets no `Access-Control-*` header; so is any
  request a browser marks `Sec-Fetch-Site: cross-site` (such a GET too).
  moto's own CORS (which reflects any origin) is stripped from every
  answer. The page's origin gets CORS for Cognito calls only (what the page
  needs); other services stay unreadable to it.
- moto's admin routes (`/moto-api/...`: data.json, reset, ...) answer 404
  unless the stack was started with `--moto-admin`.
- Bodies are bounded before they are read: a declared Content-Length over
  16 MB is a 413 at once (nothing is read; a connection whose body was not
  read to its end is closed after the answer, `keep_alive`); a chunked body
  is counted as it is read and stops at the bound. An Invoke gets Lambda's
  own limits and errors from `wire` (a declared length past 8 MB is read
  away unbuffered by the endpoint).
- Paths with control characters are a 400 `InvalidParameterValueException`
  (a function name cannot hold them; the log could be forged with them).
- An invoke payload is handed on byte for byte, as Lambda does: what a
  payload in another encoding (UTF-16, UTF-32) gets is AWS's runtime client's
  own answer (`Runtime.UnmarshalError`), and its sandbox is free again.
"""
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from local_stack import console, wire

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

# The largest request any AWS service used here documents: "A single call to
# BatchWriteItem can transmit up to 16MB of data over the network" (DynamoDB
# API Reference, BatchWriteItem).
MAX_AWS_REQUEST_BYTES = 16 * 1024 * 1024
# An invoke body is read up to this, so that Lambda's own limits (6 MB
# RequestResponse, 1 MB Event) are answered by `wire` with Lambda's errors.
MAX_INVOKE_READ_BYTES = 8 * 1024 * 1024
READ_CHUNK = 64 * 1024
MOTO_ADMIN_PREFIX = '/moto-api'
COGNITO_TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'
EXPOSED_HEADERS = 'x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date'
_CONTROL = re.compile(r'[\x00-\x1f\x7f-\x9f]')


class Guard:
    """WSGI middleware in front of the endpoint application."""

    def __init__(self, app: Callable, *, page_ports: Iterable[int] = (),
                 moto_admin: bool = False, log: Callable[[str], None] | None = None) -> None:
        self.app = app
        self._log = console.escaped(log) if log else (lambda line: None)
        self.page_origins = {f'http://{host}:{port}' for port in page_ports
                             for host in ('127.0.0.1', 'localhost')}
        self.moto_admin = moto_admin

    def __call__(self, environ: 'WSGIEnvironment',
                 start_response: 'StartResponse') -> Iterable[bytes]:
        refusal = self.refusal(environ)
        if refusal is not None:  # its body is never read (`keep_alive` then ends
            self._log_refusal(environ, refusal[0])  # the connection after the answer)
            return _answer(start_response, *refusal)
        origin = environ.get('HTTP_ORIGIN')
        if origin is not None and _is_preflight(environ):  # only the page's origin is here
            return _answer(start_response, *_preflight_answer(origin, environ))
        try:
            _bounded_body(environ)
        except _TooLarge as too_large:  # the rest of the body is not read
            self._log_refusal(environ, too_large.answer[0])
            return _answer(start_response, *too_large.answer)
        cors = _cors_headers(origin, environ)

        def start_response_without_foreign_cors(status, headers, exc_info=None):
            kept = [(key, value) for key, value in headers
                    if not key.lower().startswith('access-control-')]
            return start_response(status, kept + cors, exc_info)

        try:
            return self.app(environ, start_response_without_foreign_cors)
        except Exception as error:  # noqa: BLE001 - werkzeug would print it raw, then 500
            return _answer(start_response, *self.failed(environ, error))

    def failed(self, environ: 'WSGIEnvironment',
               error: Exception) -> tuple[int, list[tuple[str, str]], bytes]:
        """Logs a request the endpoint failed on; the 500 it answers."""
        self._log(f'error  500 {environ.get("REQUEST_METHOD")} {environ.get("PATH_INFO")}: '
                  f'{type(error).__name__}: {error}')
        return 500, [('Content-Type', 'application/json'),
                     ('x-amzn-ErrorType', 'InternalFailure')], \
            b'{"__type": "InternalFailure", "message": "The local endpoint failed on ' \
            b'this request; see its console."}'

    def _log_refusal(self, environ, status):
        self._log(f'refused {status} {environ.get("REQUEST_METHOD")} '
                  f'{environ.get("PATH_INFO")} (Host {environ.get("HTTP_HOST")!r}, '
                  f'Origin {environ.get("HTTP_ORIGIN")!r})')

    def refusal(self, environ: 'WSGIEnvironment') -> tuple[int, list[tuple[str, str]],
                                                           bytes] | None:
        """(status, headers, body) for a request refused before anything
        runs, or None. Reads only SERVER_PORT, HTTP_HOST, HTTP_ORIGIN,
        HTTP_SEC_FETCH_SITE and PATH_INFO (`invoke_lane` gives just these)."""
        port = environ.get('SERVER_PORT', '')
        allowed_hosts = {f'127.0.0.1:{port}', f'localhost:{port}'}
        if port == '80':
            allowed_hosts |= {'127.0.0.1', 'localhost'}
        if environ.get('HTTP_HOST', '').lower() not in allowed_hosts:
            return _plain(403, 'Forbidden: this endpoint answers only to '
                               f'127.0.0.1:{port} or localhost:{port} as Host')
        origin = environ.get('HTTP_ORIGIN')
        if origin is not None and origin not in self.page_origins:
            return _plain(403, 'Forbidden: cross-origin requests are refused')
        if environ.get('HTTP_SEC_FETCH_SITE') == 'cross-site':  # a GET sends no Origin
            return _plain(403, 'Forbidden: cross-site requests are refused')
        path = environ.get('PATH_INFO', '')
        if _CONTROL.search(path):
            return _wire(wire.WireError(400, 'InvalidParameterValueException',
                                        'The request path contains control characters.'))
        if not self.moto_admin and (path == MOTO_ADMIN_PREFIX or
                                    path.startswith(MOTO_ADMIN_PREFIX + '/')):
            return _plain(404, 'Not Found: moto admin routes are off (start the stack '
                               'with --moto-admin to turn them on)')
        return None


class _TooLarge(Exception):
    def __init__(self, answer):
        super().__init__('request body too large')
        self.answer = answer


def _bounded_body(environ):
    """Checks the body's size before any of it is read; a chunked body is
    read here, at most up to the bound, and handed on with its length."""
    invoke = environ.get('REQUEST_METHOD') == 'POST' and \
        wire.function_name_from_path(environ.get('PATH_INFO', '')) is not None
    limit = MAX_INVOKE_READ_BYTES if invoke else MAX_AWS_REQUEST_BYTES
    chunked = bool(environ.get('wsgi.input_terminated'))  # werkzeug: Transfer-Encoding chunked
    if chunked:
        body = _read_at_most(environ['wsgi.input'], limit)
        if body is None:
            raise _TooLarge(_too_large(invoke, limit))
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        environ['wsgi.input_terminated'] = False
    else:
        length = _content_length(environ)
        if length is None:
            raise _TooLarge(_plain(400, 'Bad Request: Content-Length is not a number'))
        if length > limit:
            if invoke:
                return  # the endpoint reads it away and answers as Lambda does
            raise _TooLarge(_too_large(invoke, limit))
        if not invoke:
            return
        body = environ['wsgi.input'].read(length) if length else b''
    environ['wsgi.input'] = io.BytesIO(body)
    environ['CONTENT_LENGTH'] = str(len(body))


def _read_at_most(stream, limit):
    """The whole stream, or None as soon as it holds more than `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        data = stream.read(READ_CHUNK)
        if not data:
            return b''.join(parts)
        size += len(data)
        if size > limit:
            return None
        parts.append(data)


def _content_length(environ):
    value = environ.get('CONTENT_LENGTH') or '0'
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _too_large(invoke, limit):
    if invoke:
        return _wire(wire.WireError(
            413, 'RequestEntityTooLargeException',
            f'Request must be smaller than {wire.SYNC_PAYLOAD_LIMIT} bytes for the '
            'InvokeFunction operation'))
    return (413, [('Content-Type', 'application/json'),
                  ('x-amzn-ErrorType', 'RequestEntityTooLargeException')],
            json.dumps({'__type': 'RequestEntityTooLargeException',
                        'message': f'Request must be at most {limit} bytes'}).encode())


def _preflight_answer(origin, environ):
    return 204, [('Access-Control-Allow-Origin', origin), ('Vary', 'Origin'),
                 ('Access-Control-Allow-Methods', 'POST'),
                 ('Access-Control-Allow-Headers',
                  environ.get('HTTP_ACCESS_CONTROL_REQUEST_HEADERS', 'content-type')),
                 ('Access-Control-Max-Age', '600')], b''


def _cors_headers(origin, environ):
    """CORS for the page's Cognito calls (unsigned, X-Amz-Target
    `AWSCognitoIdentityProviderService.*`); none for anything else."""
    if origin is None or not environ.get('HTTP_X_AMZ_TARGET', '').startswith(
            COGNITO_TARGET_PREFIX):
        return []
    return [('Access-Control-Allow-Origin', origin), ('Vary', 'Origin'),
            ('Access-Control-Expose-Headers', EXPOSED_HEADERS)]


def _is_preflight(environ):
    return environ.get('REQUEST_METHOD') == 'OPTIONS' and \
        'HTTP_ACCESS_CONTROL_REQUEST_METHOD' in environ


def _plain(status, text):
    return status, [('Content-Type', 'text/plain; charset=utf-8')], text.encode() + b'\n'


def _wire(error):
    answer = error.answer()
    return answer.status, list(answer.headers), answer.body


_REASONS = {204: 'No Content', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
            413: 'Request Entity Too Large', 500: 'Internal Server Error'}


def _answer(start_response, status, headers, body):
    headers = [(k, v) for k, v in headers if k.lower() != 'content-length']
    start_response(f'{status} {_REASONS.get(status, "")}'.strip(),
                   headers + [('Content-Length', str(len(body)))])
    return [body]
