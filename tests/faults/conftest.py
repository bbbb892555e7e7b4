"""rides wired to the fleet through a loopback Lambda endpoint that injects
faults, with the retry backoffs recorded instead of slept."""
import functools
import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from shared.adapters import aws_clients, sns_publisher
from shared.adapters.sns_publisher import RidePublisher
from shared.domain import fleet_client
from shared.domain.fleet_client import FleetClient
from tests.faults.lambda_endpoint import LambdaEndpoint
from tests.support.riders import as_rider, new_rider

# rides' read timeout on the fleet invoke. A test of a late fleet uses the
# short one (quick, yet well above what the in-process fleet needs on a loaded
# machine); every other test the long one, so no retry ever runs beside a
# still-running first attempt (moto does not serialize concurrent writes).
READ_TIMEOUT = 2.0
RELAXED_READ_TIMEOUT = 20.0
JSON = {'Content-Type': 'application/json'}
SEATTLE = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


def post_ride(client, body=SEATTLE, rider=None):
    """A ride for `rider`, by default a new rider each time."""
    return client.http.post('/ride', headers=as_rider(rider or new_rider()),
                            body=json.dumps(body))


def complete_ride(client, ride_id, rider):
    return client.http.post(f'/ride/{ride_id}/complete', headers=as_rider(rider))


@pytest.fixture
def sleeps(monkeypatch):
    """Every backoff rides takes, recorded instead of slept."""
    slept = []
    # where shared.wiring imports them from when it builds the service
    monkeypatch.setattr(fleet_client, 'FleetClient',
                        functools.partial(FleetClient, sleep=slept.append))
    monkeypatch.setattr(sns_publisher, 'RidePublisher',
                        functools.partial(RidePublisher, sleep=slept.append))
    return slept


@pytest.fixture
def endpoint(fleet_lambda, monkeypatch):
    with LambdaEndpoint(fleet_lambda) as server:
        client = server.client(read_timeout=RELAXED_READ_TIMEOUT)
        monkeypatch.setattr(aws_clients, 'lambda_client', lambda: client)
        yield server


@pytest.fixture
def impatient(endpoint, monkeypatch):
    """rides waits only READ_TIMEOUT for the fleet (before its first request)."""
    client = endpoint.client(read_timeout=READ_TIMEOUT)
    monkeypatch.setattr(aws_clients, 'lambda_client', lambda: client)


@pytest.fixture
def rides(rides_client, endpoint, sleeps):
    """rides' test client; its first request builds the service on the endpoint."""
    return rides_client


NO_ANSWER_IN_TIME = object()
ANSWER_LOST = object()


class SnsFaults:
    """Fails rides' SNS publishes with real Query-protocol error answers,
    parsed by botocore; unscripted publishes reach moto."""

    def __init__(self, client):
        self.codes = []
        self.attempts = 0
        self._lose_answer = False
        client.meta.events.register_first('before-send.sns.Publish', self._send)
        client.meta.events.register_first('after-call.sns.Publish', self._answered)

    def fail(self, *codes):
        self.codes.extend(codes)

    def time_out(self):
        """The next publish gets no answer in time: botocore's ReadTimeoutError,
        as when SNS took the message but its answer was lost."""
        self.codes.append(NO_ANSWER_IN_TIME)

    def lose_the_answer(self):
        """The next publish reaches SNS (moto publishes it), but its answer
        never comes back: botocore's ReadTimeoutError after the fact."""
        self.codes.append(ANSWER_LOST)

    def _send(self, request, **kwargs):
        self.attempts += 1
        if not self.codes:
            return None
        if self.codes[0] is NO_ANSWER_IN_TIME:
            self.codes.pop(0)
            raise ReadTimeoutError(endpoint_url=request.url)
        if self.codes[0] is ANSWER_LOST:
            self.codes.pop(0)
            self._lose_answer = True
            return None  # moto answers and publishes
        code, status = self.codes.pop(0)
        # botocore runs every before-send handler and takes the first answer;
        # moto's comes after this one, so point the request where moto does
        # not answer and it publishes nothing.
        url, request.url = request.url, 'http://127.0.0.1:9/injected-fault'
        body = ('<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                f'<Error><Type>Receiver</Type><Code>{code}</Code>'
                f'<Message>injected {code}</Message></Error>'
                '<RequestId>6b2c1e7e-0000-4000-8000-000000000000</RequestId></ErrorResponse>')
        return AWSResponse(url, status, {'Content-Type': 'text/xml'}, _Raw(body.encode()))

    def _answered(self, http_response, **kwargs):
        if self._lose_answer:
            self._lose_answer = False
            raise ReadTimeoutError(endpoint_url=http_response.url)


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


@pytest.fixture
def sns_faults(rides_topic):
    return SnsFaults(aws_clients.sns_client())


@pytest.fixture
def cancel_faults(rides_topic):
    """Faults on the client that publishes RideCancelled (its own budget)."""
    return SnsFaults(aws_clients.sns_cancel_client())
