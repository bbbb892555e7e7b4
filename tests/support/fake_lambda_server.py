"""A loopback HTTP server that answers like the Lambda Invoke API, so the
invoke transport is tested against what botocore really parses: status
codes, `X-Amz-Function-Error`, `x-amzn-ErrorType` and error bodies.

Each test scripts the answers: `server.answer(...)` queues one response;
when the queue is empty, the default answer is repeated.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config


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


class FakeLambdaServer:
    def __init__(self, default):
        self.default = default
        self.queued = []
        self.requests = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self._server.server_address[1]}'

    def answer(self, *answers):
        with self._lock:
            self.queued.extend(answers)

    def client(self, read_timeout=2.0):
        """A real boto3 Lambda client pointed here, one attempt per call."""
        return boto3.session.Session().client(
            'lambda', endpoint_url=self.url, region_name='us-east-1',
            aws_access_key_id='testing', aws_secret_access_key='testing',
            config=Config(connect_timeout=1, read_timeout=read_timeout,
                          retries={'total_max_attempts': 1}))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _next_answer(self):
        with self._lock:
            return self.queued.pop(0) if self.queued else self.default

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                fake.requests.append({'path': self.path,
                                      'body': json.loads(self.rfile.read(length) or b'null')})
                answer = fake._next_answer()
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

            def log_message(self, *args):
                pass

        return Handler
