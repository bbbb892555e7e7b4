"""A loopback HTTP server that answers like the Lambda Invoke API, so the
invoke transport is tested against what botocore really parses: status
codes, `X-Amz-Function-Error`, `x-amzn-ErrorType` and error bodies.

Each test scripts the answers: `server.answer(...)` queues one answer per
coming invoke; when the queue is empty, the default answer is given. An
answer is a dict (`status`, `body`, optional `headers` and `delay`) or a
function `(server, function_name, payload) -> dict` that makes one.
"""
import json
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config

from tests.support.loopback import LoopbackServer, QuietHandler

INVOKE_PREFIX = '/2015-03-31/functions/'


def unicorn_answer(unicorn):
    return {'status': 200, 'body': json.dumps(unicorn)}


def function_error_answer(error_type, message):
    body = {'errorMessage': message, 'errorType': error_type,
            'stackTrace': ['  File "/var/task/app.py", line 1, in handler\n']}
    return {'status': 200, 'body': json.dumps(body),
            'headers': {'X-Amz-Function-Error': 'Unhandled'}}


def service_error_answer(status, error_type, message):
    return {'status': status, 'body': json.dumps({'Type': 'User', 'message': message}),
            'headers': {'x-amzn-ErrorType': error_type}}


def raw_answer(body, status=200):
    return {'status': status, 'body': body}


def slow_answer(seconds, answer):
    return dict(answer, delay=seconds)


def lambda_client(url, read_timeout):
    """A real boto3 Lambda client for `url`: one attempt per call, as
    `shared.adapters.aws_clients` configures them."""
    return boto3.session.Session().client(
        'lambda', endpoint_url=url, region_name='us-east-1',
        aws_access_key_id='testing', aws_secret_access_key='testing',
        config=Config(connect_timeout=1, read_timeout=read_timeout,
                      retries={'total_max_attempts': 1, 'mode': 'standard'}))


class FakeLambdaServer(LoopbackServer):
    def __init__(self, default):
        self.default = default
        self.queued = []
        self.requests = []  # {'path', 'function', 'body', 'answer'} per invoke
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    def answer(self, *answers):
        with self._lock:
            self.queued.extend(answers)

    def client(self, read_timeout=2.0):
        return lambda_client(self.url, read_timeout)

    def _next_answer(self):
        with self._lock:
            return self.queued.pop(0) if self.queued else self.default

    def _respond(self, path, function, payload):
        answer = self._next_answer()
        self.requests.append({'path': path, 'function': function,
                              'body': payload, 'answer': getattr(answer, '__name__', None)})
        return answer(self, function, payload) if callable(answer) else answer

    def _handler_class(self):
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):
                path = urllib.parse.urlsplit(self.path).path
                function = urllib.parse.unquote(
                    path[len(INVOKE_PREFIX):-len('/invocations')])
                length = int(self.headers.get('Content-Length') or 0)
                payload = json.loads(self.rfile.read(length) or b'null')
                answer = fake._respond(self.path, function, payload)
                time.sleep(answer.get('delay', 0))
                body = answer['body'].encode()
                try:
                    self.send_response(answer['status'])
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('Content-Length', str(len(body)))
                    self.send_header('X-Amz-Executed-Version', '$LATEST')
                    for name, value in answer.get('headers', {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout test)

        return Handler
