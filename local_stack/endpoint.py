"""One local AWS endpoint: Lambda Invoke requests go to the local runtime,
every other AWS request to moto, in this process.

boto3 finds it through `AWS_ENDPOINT_URL`, so every service shares one URL
as with LocalStack. Cognito's verification codes, which AWS e-mails,
are printed (`verification_codes`; `notices`, shown even with `--quiet`).
moto's `DomainDispatcherApplication` picks the service
from the request's SigV4 credential scope, which botocore always sends, so a
signed request for any service lands on the right moto backend. One line is
logged per request.
"""
import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from werkzeug.serving import ThreadedWSGIServer, make_server

from local_stack import console, moto_memory, wire
from local_stack.guard import Guard
from local_stack.invoke_lane import InvokeLane
from local_stack.keep_alive import ConnectionRegistry, KeepAliveHandler
from local_stack.verification_codes import VerificationCodes

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from local_stack.runtime import LambdaRuntime


class Endpoint:
    """The WSGI application behind the endpoint."""

    def __init__(self, runtime: 'LambdaRuntime', log: Callable[[str], None] | None = None,
                 notices: Callable[[str], None] | None = None) -> None:
        self.runtime = runtime
        self._log = console.escaped(log) if log else (lambda line: None)
        self._logging = log is not None  # no line to build when none is printed
        self.verification_codes = VerificationCodes(
            console.escaped(notices) if notices else (lambda line: None))
        self._moto: Any = None  # moto's DomainDispatcherApplication, once imported
        self._moto_lock = threading.Lock()
        # moto's backends are not thread-safe: its TransactWriteItems checks
        # conditions and then writes without isolation, so two overlapping
        # claims could both pass. Real DynamoDB serializes conflicting
        # writes; taking moto's requests one at a time does the same here.
        self._one_aws_request_at_a_time = threading.Lock()

    def moto(self) -> Any:
        """moto's server application, imported on first use (it is slow to import)."""
        with self._moto_lock:
            if self._moto is None:
                moto_memory.install()
                from moto.server import DomainDispatcherApplication, create_backend_app
                self._moto = DomainDispatcherApplication(create_backend_app)
            return self._moto

    def warm_up(self, services: Iterable[str] = ('dynamodb', 'ssm', 'sns')) -> None:
        """Build moto's per-service apps ahead of the first request (SSM's
        takes about a second, holding moto's dispatch lock); run it in a
        thread while other things start."""
        dispatcher = self.moto()
        for service in services:
            if service in dispatcher.app_instances:
                continue
            app = dispatcher.create_app(service)  # outside the lock: requests go on
            with dispatcher.lock:
                dispatcher.app_instances.setdefault(service, app)

    def __call__(self, environ: 'WSGIEnvironment',
                 start_response: 'StartResponse') -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get('PATH_INFO', '')
        name = wire.function_name_from_path(path)
        if name is not None and environ['REQUEST_METHOD'] == 'POST':
            return self._invoke(environ, start_response, name, started)
        return self._aws(environ, start_response, started)

    def _invoke(self, environ, start_response, name, started):
        headers = [(key[5:].replace('_', '-'), value) for key, value in environ.items()
                   if key.startswith('HTTP_')]
        limit = wire.payload_limit(wire.invocation_type_of(headers))
        body, length = _read_body(environ, limit)
        answer = self.invoke(name, environ.get('QUERY_STRING', ''), headers, body, length,
                             started)
        start_response(f'{answer.status} {_REASONS.get(answer.status, "")}'.strip(),
                       answer.headers)
        return [answer.body]

    def invoke(self, name: str, query_string: str, headers: list[tuple[str, str]],
               body: bytes | None, length: int, started: float) -> wire.Answer:
        """The answer to one Invoke whose body was read (None: it was over
        its limit, `length` bytes), logged; the WSGI route and
        `invoke_lane` both end here."""
        if body is None:
            answer = wire.request_too_large(length, wire.invocation_type_of(headers)).answer()
        else:
            answer = self.runtime.handle(name, query_string, headers, body)
        self._log_invoke(name, headers, answer, started)
        return answer

    def _aws(self, environ, start_response, started):
        length = _content_length(environ)
        body = environ['wsgi.input'].read(length) if length else b''
        environ['wsgi.input'] = io.BytesIO(body)
        operation = _operation(environ, body)
        status_seen = {}
        cognito = self.verification_codes.operation(environ.get('HTTP_X_AMZ_TARGET'))
        here = cognito and self.verification_codes.answer_here(cognito, body)
        if here:
            status, headers, answer = here
            start_response(f'{status} {_REASONS.get(status, "")}'.strip(), headers)
            self._log(f'aws    {status} {operation} (verification codes) '
                      f'{(time.perf_counter() - started) * 1000:.1f} ms')
            return [answer]

        def recording_start_response(status, headers, exc_info=None):
            status_seen['status'] = status.split(' ', 1)[0]
            return start_response(status, headers, exc_info)

        moto = self.moto()
        with self._one_aws_request_at_a_time:
            result = moto(environ, recording_start_response)
            try:
                chunks = list(result)  # moto answers small bodies; read them to time the call
            finally:
                if hasattr(result, 'close'):
                    result.close()
        if cognito:
            self.verification_codes.answered(cognito, body, status_seen.get('status', ''))
        self._log(f'aws    {status_seen.get("status", "?")} {operation} '
                  f'{(time.perf_counter() - started) * 1000:.1f} ms')
        return chunks

    def _log_invoke(self, name, headers, answer, started):
        if not self._logging:
            return
        invocation = wire.invocation_type_of(headers)
        detail = ''
        if answer.header('X-Amz-Function-Error'):
            try:
                detail = f' {answer.header("X-Amz-Function-Error")}: ' \
                         f'{json.loads(answer.body).get("errorType")}'
            except ValueError:
                detail = ' Unhandled'
        elif answer.header('x-amzn-ErrorType'):
            detail = f' {answer.header("x-amzn-ErrorType")}'
        self._log(f'lambda {answer.status} {name.rsplit(":function:", 1)[-1]} ({invocation})'
                  f'{detail} {(time.perf_counter() - started) * 1000:.1f} ms')


def _read_body(environ, limit):
    """The request body and its length; the body is None when it is over
    `limit` (then it is read away, no memory spent on it). A chunked body
    (no Content-Length) is read to its end."""
    stream = environ['wsgi.input']
    length = _content_length(environ)
    if length > limit:
        _discard(stream, length)
        return None, length
    if length:
        body = stream.read(length)
    elif environ.get('wsgi.input_terminated') or \
            environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
        body = stream.read(limit + 1)
        if len(body) > limit:
            extra = len(body)
            while chunk := stream.read(1024 * 1024):
                extra += len(chunk)
            return None, extra
    else:
        body = b''
    return (None, len(body)) if len(body) > limit else (body, len(body))


def _discard(stream, length, chunk=1024 * 1024):
    while length > 0:
        data = stream.read(min(chunk, length))
        if not data:
            return
        length -= len(data)


def _content_length(environ):
    try:
        return int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return 0


def _operation(environ, body):
    """`service.Operation` for the request log, from the SigV4 scope and the
    JSON target header or the query-protocol `Action`."""
    service = '?'
    authorization = environ.get('HTTP_AUTHORIZATION', '')
    if 'Credential=' in authorization:
        scope = authorization.split('Credential=', 1)[1].split(',', 1)[0].split('/')
        if len(scope) >= 4:
            service = scope[3]
    target = environ.get('HTTP_X_AMZ_TARGET')
    if target:
        return f'{service}.{target.rsplit(".", 1)[-1]}'
    action = parse_qs(environ.get('QUERY_STRING', '')).get('Action')
    if not action and body and b'Action=' in body:
        action = parse_qs(body.decode('utf-8', 'replace')).get('Action')
    if action:
        return f'{service}.{action[0]}'
    return f'{service} {environ.get("REQUEST_METHOD")} {environ.get("PATH_INFO")}'


_REASONS = {200: 'OK', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request',
            404: 'Not Found', 413: 'Request Entity Too Large', 429: 'Too Many Requests',
            500: 'Internal Server Error'}


class _QuietHandler(KeepAliveHandler):
    """The endpoint logs its own line per request; a plain invoke takes
    the server's `invoke_lane`."""

    def run_wsgi(self) -> None:
        lane = getattr(self.server, 'invoke_lane', None)
        if lane is None or not lane.serve(self):
            super().run_wsgi()

    def log_request(self, *args, **kwargs):
        pass

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        if type == 'error':
            super().log(type, message, *args)


class EndpointServer:
    """The endpoint served on a loopback port, in a background thread, behind
    `guard.Guard` (Host, Origin, body bounds, moto's admin routes)."""

    def __init__(self, app: 'WSGIApplication', host: str = '127.0.0.1', port: int = 4566,
                 listener: socket.socket | None = None, *, page_ports: Iterable[int] = (),
                 moto_admin: bool = False, log: Callable[[str], None] | None = None) -> None:
        """`listener`: a socket already bound to `host` (its port wins)."""
        guard = Guard(app, page_ports=page_ports, moto_admin=moto_admin, log=log)
        if listener is not None:
            port = listener.getsockname()[1]
        try:
            # threaded=True: werkzeug makes a ThreadedWSGIServer
            self._server = cast(ThreadedWSGIServer, make_server(
                host, port, guard, threaded=True, request_handler=_QuietHandler,
                fd=None if listener is None else listener.fileno()))
        except SystemExit:  # werkzeug's answer to a busy port, after printing why
            raise OSError(f'port {port} on {host} is in use; stop what uses it or choose '
                          'another port') from None
        self._server.daemon_threads = True
        self._connections = ConnectionRegistry()
        # where `KeepAliveHandler` finds it (werkzeug's server has no such attribute)
        self._server.connections = self._connections  # type: ignore[attr-defined]
        self._server.invoke_lane = (  # type: ignore[attr-defined]
            InvokeLane(guard, app) if isinstance(app, Endpoint) else None)
        self.host, self.port = host, self._server.socket.getsockname()[1]
        self.url = f'http://{host}:{self.port}'
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1},
                                        name='aws-endpoint', daemon=True)

    def start(self) -> 'EndpointServer':
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self._connections.close_all()  # keep-alive connections end too
