"""`chalice local` serves every request on its own thread through one
cached client per service, so a burst of riders is a burst of concurrent
calls on one client. botocore's default pool (10 connections) is smaller
than such a burst: urllib3 then warns "Connection pool is full, discarding
connection" and every call beyond ten opens a new connection to the
endpoint, which under load was the first thing to fail."""
import concurrent.futures
import logging
import threading

import pytest

from shared.adapters import aws_clients
from tests.support.fake_lambda_server import FakeLambdaServer, slow_answer, unicorn_answer

BURST = 48  # the burst of tests/local_stack/test_burst_scales_out.py


class KeepAliveLambdaServer(FakeLambdaServer):
    """Keeps connections open between calls, as Lambda's endpoint does
    (HTTP/1.1), so the client's pool is what decides how many stay open."""

    def _handler_class(self):
        handler = super()._handler_class()
        handler.protocol_version = 'HTTP/1.1'
        return handler


@pytest.fixture
def fake_lambda(monkeypatch):
    with KeepAliveLambdaServer(slow_answer(0.2, unicorn_answer({'Name': 'Bucephalus'}))) as server:
        monkeypatch.setenv('AWS_ENDPOINT_URL', server.url)
        monkeypatch.setenv('AWS_DEFAULT_REGION', 'us-east-1')
        monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'testing')
        monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'testing')
        aws_clients.reset()
        yield server
    aws_clients.reset()


def test_a_burst_of_concurrent_invokes_on_one_client_keeps_every_connection(fake_lambda, caplog):
    client = aws_clients.lambda_client()
    together = threading.Barrier(BURST, timeout=60)

    def invoke(_):
        together.wait()
        answer = client.invoke(FunctionName='wild-rydes-ride-fleet-dev-RequestUnicornInvoke',
                               Payload=b'{}')
        answer['Payload'].read()  # gives the connection back to the pool
        return answer['StatusCode']

    with caplog.at_level(logging.WARNING, logger='urllib3.connectionpool'):
        with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
            statuses = list(pool.map(invoke, range(BURST)))

    assert statuses == [200] * BURST
    assert not [record.getMessage() for record in caplog.records
                if 'Connection pool is full' in record.getMessage()]
