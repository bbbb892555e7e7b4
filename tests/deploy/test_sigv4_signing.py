"""rides' `http` transport signs its calls to the fleet's AWS_IAM route with
SigV4. A loopback server checks each signature the way API Gateway does:
it recomputes it from the request it received and the caller's secret."""
import datetime
import hashlib
import hmac
import json
import os
import re
import urllib.parse

import botocore.credentials
import pytest

from shared import budget, wiring
from shared.adapters.transports.http import HttpTransport, SigV4Signer
from shared.domain.errors import FleetError
from tests.support.loopback import LoopbackServer, QuietHandler

SECRET = 'testing'  # the credentials below use it
UNICORN = {'Name': 'Shadowfax', 'Color': 'White', 'Gender': 'Male'}
AUTH = re.compile(r'AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), '
                  r'SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})$')


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(method, path, headers, body, secret, scope):
    """SigV4, from the AWS documentation, independent of botocore."""
    url = urllib.parse.urlsplit(path)
    query = sorted(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    canonical_query = '&'.join(f'{urllib.parse.quote(k, safe="-_.~")}='
                               f'{urllib.parse.quote(v, safe="-_.~")}' for k, v in query)
    match = AUTH.match(headers['authorization'])
    signed = match['signed'].split(';')
    canonical_headers = ''.join(f'{name}:{" ".join(headers[name].split())}\n' for name in signed)
    canonical_request = '\n'.join([
        method, urllib.parse.quote(url.path, safe='/~'), canonical_query, canonical_headers,
        match['signed'], hashlib.sha256(body).hexdigest()])
    string_to_sign = '\n'.join(['AWS4-HMAC-SHA256', headers['x-amz-date'], scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    date, region, service, terminal = scope.split('/')
    key = _hmac(('AWS4' + secret).encode(), date)
    for part in (region, service, terminal):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class VerifyingServer(LoopbackServer):
    """Answers a unicorn to correctly signed requests, 403 otherwise."""

    def __init__(self, secret=SECRET):
        self.secret = secret
        self.checked = []
        super().__init__(self._handler())

    @property
    def unicorn_url(self):
        return f'{self.url}/api/unicorn'

    def _handler(self):
        server = self

        class Handler(QuietHandler):
            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                match = AUTH.match(headers.get('authorization', ''))
                valid = bool(match) and 'x-amz-date' in headers and match['signature'] == (
                    expected_signature(self.command, self.path, headers, body, server.secret,
                                       match['scope']))
                server.checked.append({'valid': valid, 'path': self.path,
                                       'scope': match['scope'] if match else None,
                                       'signed': match['signed'] if match else None})
                answer = json.dumps(UNICORN if valid else {
                    'Code': 'AccessDenied', 'Message': 'bad signature'}).encode()
                self.send_response(200 if valid else 403)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _answer

        return Handler


@pytest.fixture
def fleet_api():
    with VerifyingServer() as server:
        yield server


def signer(secret=SECRET):
    return SigV4Signer(botocore.credentials.Credentials('AKIDEXAMPLE', secret), 'us-east-1')


def test_the_signer_adds_a_sigv4_authorization_header_for_execute_api():
    headers = signer().sign('GET', 'https://abc.execute-api.us-east-1.amazonaws.com/api/unicorn'
                                   '?RideId=r-1', {'Accept': 'application/json'})

    match = AUTH.match(headers['Authorization'])
    today = datetime.datetime.now(datetime.UTC).strftime('%Y%m%d')
    assert match['key'] == 'AKIDEXAMPLE'
    assert match['scope'] in {f'{today}/us-east-1/execute-api/aws4_request'} | {
        f'{(datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)).strftime("%Y%m%d")}'
        '/us-east-1/execute-api/aws4_request'}
    assert 'host' in match['signed'].split(';') and 'x-amz-date' in match['signed'].split(';')
    assert re.fullmatch(r'\d{8}T\d{6}Z', headers['X-Amz-Date'])


def test_a_dispatch_and_a_release_carry_signatures_the_api_accepts(fleet_api):
    transport = HttpTransport(fleet_api.unicorn_url, budget.FLEET_CALL, signer=signer())

    assert transport.dispatch({'RideId': 'r-1'}) == UNICORN
    assert transport.release('r-1') == UNICORN

    assert [check['valid'] for check in fleet_api.checked] == [True, True]


def test_a_wrong_secret_is_refused_so_the_check_is_real(fleet_api):
    transport = HttpTransport(fleet_api.unicorn_url, budget.FLEET_CALL, signer=signer('not-the-secret'))

    with pytest.raises(FleetError):
        transport.dispatch({'RideId': 'r-1'})
    assert [check['valid'] for check in fleet_api.checked] == [False]


def test_rides_built_for_the_http_transport_signs_with_its_own_credentials(
        aws, rides_env, rides_topic, fleet_api):
    # moto swaps in its own fake credentials; the function signs with whatever it has.
    fleet_api.secret = os.environ['AWS_SECRET_ACCESS_KEY']
    env = dict(rides_env, UNICORN_TRANSPORT='http', REQUEST_UNICORN_URL=fleet_api.unicorn_url,
               RIDES_SNS_TOPIC_ARN=rides_topic.arn)

    ride = wiring.ride_service_from_environment(env).request_ride(
        {'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}}, 'rider-1')

    assert ride['Unicorn']['Name'] == 'Shadowfax'
    [check] = fleet_api.checked
    assert check['valid'] and check['scope'].endswith('/us-east-1/execute-api/aws4_request')
    assert check['path'].startswith('/api/unicorn?RideId=')
