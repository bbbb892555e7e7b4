"""A loopback endpoint speaking the Lambda Invoke wire protocol, in front of
the fleet app running in process. By default every invoke reaches the fleet
(through `tests.support.lambda_bridge.InProcessLambda`, so payloads and
errors take Lambda's JSON round trip); a test scripts faults, one per
invoke, in the order they should happen.

rides reaches it with a real boto3 Lambda client (`endpoint_url`), so what
rides sees of a fault is what botocore really parses: status codes,
`x-amzn-ErrorType`, `X-Amz-Function-Error`, a read timeout.
"""
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

from tests.support.fake_lambda_server import service_error_answer

INVOKE_PREFIX = '/2015-03-31/functions/'


# -- faults: each takes the endpoint and the invoke, and gives an answer ----

def reach_fleet(endpoint, function, payload):
    """No fault: the fleet runs and its answer goes back as Lambda sends it."""
    response = endpoint.fleet.invoke(FunctionName=function, Payload=json.dumps(payload))
    headers = {}
    if response.get('FunctionError'):
        headers['X-Amz-Function-Error'] = response['FunctionError']
    return {'status': 200, 'body': response['Payload'].read().decode(), 'headers': headers}


def throttled(endpoint, function, payload):
    """Lambda refuses the invoke (concurrency limit); the fleet never runs."""
    return service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.')


def function_not_found(endpoint, function, payload):
    return service_error_answer(404, 'ResourceNotFoundException',
                                f'Function not found: {function}')


def late(seconds):
    """The fleet runs (and dispatches), but its answer comes `seconds` late."""
    def fault(endpoint, function, payload):
        answer = reach_fleet(endpoint, function, payload)
        return dict(answer, delay=seconds)
    return fault


def answers_with(value):
    """The fleet runs (and dispatches), then its answer is replaced by
    `value`: a fleet bug that garbles what it returns."""
    def fault(endpoint, function, payload):
        reach_fleet(endpoint, function, payload)
        return {'status': 200, 'body': json.dumps(value)}
    return fault


class LambdaEndpoint:
    def __init__(self, fleet):
        self.fleet = fleet
        self.invokes = []  # (function, payload, fault name) per request
        self._faults = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05}, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self._server.server_address[1]}'

    def script(self, *faults):
        """The next invokes meet these faults, one each; later ones reach the fleet."""
        with self._lock:
            self._faults.extend(faults)

    def client(self, read_timeout):
        """A real boto3 Lambda client for rides: one attempt per call, as
        `shared.aws_clients` configures it, with a short read timeout."""
        return boto3.session.Session().client(
            'lambda', endpoint_url=self.url, region_name='us-east-1',
            aws_access_key_id='testing', aws_secret_access_key='testing',
            config=Config(connect_timeout=1, read_timeout=read_timeout,
                          retries={'total_max_attempts': 1, 'mode': 'standard'}))

    def payloads(self):
        return [payload for _, payload, _ in self.invokes]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _next_fault(self):
        with self._lock:
            return self._faults.pop(0) if self._faults else reach_fleet

    def _handler_class(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                path = urllib.parse.urlsplit(self.path).path
                assert path.startswith(INVOKE_PREFIX) and path.endswith('/invocations')
                function = urllib.parse.unquote(path[len(INVOKE_PREFIX):-len('/invocations')])
                length = int(self.headers.get('Content-Length') or 0)
                payload = json.loads(self.rfile.read(length) or b'null')
                fault = endpoint._next_fault()
                endpoint.invokes.append((function, payload, getattr(fault, '__name__', '?')))
                answer = fault(endpoint, function, payload)
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
                    pass  # rides gave up waiting (the read-timeout fault)

            def log_message(self, *args):
                pass

        return Handler
