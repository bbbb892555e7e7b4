"""The front door of a running local stack, tried with real tokens from its
user pool: only a valid ID token of the page's app client gets through, as
with API Gateway's Cognito authorizer; riders own their rides; one active
ride per rider even under concurrent requests; the stage throttle holds.

Forged and expired tokens are made from a real token's claims: the
expired one is signed with the pool's own key (moto signs every pool's
tokens with the key it ships, served in the pool's JWKS), so only its
`exp` is wrong; the forged one with a key of its own.
"""
import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from local_stack import testing

pytestmark = pytest.mark.stack

PICKUP = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}
UNAUTHORIZED = {'message': 'Unauthorized'}
TIMEOUT = 30
FLEET_SIZE = 16  # the catalog make run loads
UNKNOWN_RIDE = '00000000-0000-4000-8000-000000000000'


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack(transport='invoke') as running:
        yield running


@pytest.fixture(scope='module')
def riders(stack):
    return stack.riders()


@pytest.fixture(scope='module')
def rider(riders):
    return riders.new()


def post_ride(stack, headers, body=PICKUP):
    return requests.post(f'{stack.rides_url}/ride', json=body, headers=headers,
                         timeout=TIMEOUT)


def complete(stack, rider, ride_id):
    return requests.post(f'{stack.rides_url}/ride/{ride_id}/complete', json={},
                         headers=rider.headers, timeout=TIMEOUT)


def claims_of(token):
    payload = token.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))


def signed(claims, key, kid='dummy'):
    return jwt.encode({'alg': 'RS256', 'kid': kid}, claims, key)


def pool_signing_key():
    """The private key moto signs every pool's tokens with."""
    from moto.utilities.utils import load_resource
    return RSAKey.import_key(load_resource('cognitoidp/resources/jwks-private.json'))


def assert_unauthorized(answer):
    assert answer.status_code == 401, answer.text
    assert answer.json() == UNAUTHORIZED
    assert answer.headers['x-amzn-ErrorType'] == 'UnauthorizedException'


# -- who gets in --------------------------------------------------------------

def test_an_anonymous_request_gets_401_unauthorized_on_every_rider_route(stack):
    assert_unauthorized(requests.post(f'{stack.rides_url}/ride', json=PICKUP, timeout=TIMEOUT))
    assert_unauthorized(requests.get(f'{stack.rides_url}/ride/some-ride', timeout=TIMEOUT))
    assert_unauthorized(requests.post(f'{stack.rides_url}/ride/some-ride/complete', json={},
                                      timeout=TIMEOUT))


def test_the_page_and_its_configuration_stay_public(stack):
    assert requests.get(f'{stack.rides_url}/', timeout=TIMEOUT).status_code == 200
    config = requests.get(f'{stack.rides_url}/config', timeout=TIMEOUT).json()
    assert config['UserPoolId'] == stack.user_pool_id
    assert config['UserPoolClientId'] == stack.user_pool_client_id
    assert config['CognitoEndpoint'] == f'{stack.aws_url}/'


@pytest.mark.parametrize('token', ['', 'not-a-token', 'a.b.c', 'Bearer'])
def test_a_malformed_token_gets_401(stack, token):
    assert_unauthorized(post_ride(stack, {'Authorization': token}))


def test_a_token_signed_with_another_key_gets_401(stack, rider):
    other_key = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537,
                                                           key_size=2048))
    assert_unauthorized(post_ride(stack, {
        'Authorization': signed(claims_of(rider.id_token), other_key)}))


def test_a_token_whose_claims_were_changed_after_signing_gets_401(stack, rider, riders):
    other = riders.new()
    header, _, signature = rider.id_token.split('.')
    payload = base64.urlsafe_b64encode(json.dumps(claims_of(other.id_token)).encode())
    assert_unauthorized(post_ride(stack, {
        'Authorization': f'{header}.{payload.decode().rstrip("=")}.{signature}'}))


def test_an_unsigned_token_gets_401(stack, rider):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip('=')
    payload = rider.id_token.split('.')[1]
    assert_unauthorized(post_ride(stack, {'Authorization': f'{header}.{payload}.'}))


def test_an_expired_token_gets_401(stack, rider):
    claims = claims_of(rider.id_token)
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    expired = signed(claims, pool_signing_key())
    assert_unauthorized(post_ride(stack, {'Authorization': expired}))


def test_the_pool_key_itself_is_accepted_so_the_expiry_is_what_refused_the_expired_token(
        stack, rider):
    claims = claims_of(rider.id_token)
    answer = requests.get(f'{stack.rides_url}/ride/{UNKNOWN_RIDE}', timeout=TIMEOUT,
                          headers={'Authorization': signed(claims, pool_signing_key())})
    assert answer.status_code == 404, answer.text


def test_a_token_for_another_app_client_of_the_same_pool_gets_401(stack, rider):
    cognito = stack.client('cognito-idp')
    other_client = cognito.create_user_pool_client(
        UserPoolId=stack.user_pool_id, ClientName='another-app',
        ExplicitAuthFlows=['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    )['UserPoolClient']['ClientId']
    tokens = cognito.initiate_auth(
        ClientId=other_client, AuthFlow='USER_PASSWORD_AUTH',
        AuthParameters={'USERNAME': rider.email, 'PASSWORD': rider.password},
    )['AuthenticationResult']
    assert claims_of(tokens['IdToken'])['aud'] == other_client
    assert_unauthorized(post_ride(stack, {'Authorization': tokens['IdToken']}))


def test_an_access_token_gets_401(stack, rider):
    assert_unauthorized(post_ride(stack, {'Authorization': rider.access_token}))


def test_a_refresh_token_gets_401(stack, rider):
    assert_unauthorized(post_ride(stack, {'Authorization': rider.refresh_token}))


# -- riders own their rides ----------------------------------------------------

def test_a_valid_id_token_reaches_rides_with_the_rider_as_its_sub(stack, riders):
    rider = riders.new()
    answer = post_ride(stack, rider.headers)
    assert answer.status_code == 201, answer.text
    ride = answer.json()
    assert ride['RiderId'] == claims_of(rider.id_token)['sub']
    read = requests.get(f'{stack.rides_url}/ride/{ride["RideId"]}', headers=rider.headers,
                        timeout=TIMEOUT)
    assert read.status_code == 200 and read.json()['RideId'] == ride['RideId']
    assert complete(stack, rider, ride['RideId']).status_code == 200


def test_rider_a_can_neither_read_nor_complete_rider_bs_ride(stack, riders):
    rider_a, rider_b = riders.new(), riders.new()
    ride = post_ride(stack, rider_b.headers).json()
    for answer in (requests.get(f'{stack.rides_url}/ride/{ride["RideId"]}',
                                headers=rider_a.headers, timeout=TIMEOUT),
                   complete(stack, rider_a, ride['RideId'])):
        assert answer.status_code == 404, answer.text
    unknown = requests.get(f'{stack.rides_url}/ride/{UNKNOWN_RIDE}', headers=rider_a.headers,
                           timeout=TIMEOUT)
    assert unknown.status_code == 404
    # the same answer as for an unknown id, but for the id it names
    assert answer.json() == {**unknown.json(), 'Message': unknown.json()['Message'].replace(
        UNKNOWN_RIDE, ride['RideId'])}
    assert complete(stack, rider_b, ride['RideId']).status_code == 200


def test_a_text_plain_post_gets_415_even_with_a_valid_token(stack, rider):
    answer = requests.post(f'{stack.rides_url}/ride', data=json.dumps(PICKUP),
                           headers={**rider.headers, 'Content-Type': 'text/plain'},
                           timeout=TIMEOUT)
    assert answer.status_code == 415, answer.text


def test_ten_concurrent_requests_from_one_rider_hold_exactly_one_unicorn(stack, riders):
    rider = riders.new()
    start = threading.Barrier(10, timeout=TIMEOUT)

    def one(_):
        start.wait()
        return post_ride(stack, rider.headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(one, range(10)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 9, [answer.text for answer in answers]
    ride = next(answer.json() for answer in answers if answer.status_code == 201)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()['Code'] == 'RideInProgress'
            assert answer.json()['RideId'] == ride['RideId']
    # one unicorn held: the fleet still has fifteen for others
    others = [riders.new() for _ in range(FLEET_SIZE)]
    taken = [post_ride(stack, other.headers) for other in others]
    assert [answer.status_code for answer in taken].count(201) == FLEET_SIZE - 1
    for other, answer in zip(others, taken, strict=True):
        if answer.status_code == 201:
            complete(stack, other, answer.json()['RideId'])
    assert complete(stack, rider, ride['RideId']).status_code == 200


def test_sixteen_riders_take_the_sixteen_unicorns_and_the_seventeenth_gets_503(
        stack, riders):
    everyone = [riders.new() for _ in range(FLEET_SIZE + 1)]
    start = threading.Barrier(FLEET_SIZE, timeout=TIMEOUT)

    def one(rider):
        start.wait()
        return post_ride(stack, rider.headers)

    with ThreadPoolExecutor(max_workers=FLEET_SIZE) as pool:
        answers = list(pool.map(one, everyone[:FLEET_SIZE]))
    assert [answer.status_code for answer in answers] == [201] * FLEET_SIZE, \
        [answer.text for answer in answers]
    assert len({answer.json()['Unicorn']['Name'] for answer in answers}) == FLEET_SIZE
    last = post_ride(stack, everyone[-1].headers)
    assert last.status_code == 503, last.text
    assert last.json()['Code'] == 'NoUnicornAvailable'
    for rider, answer in zip(everyone, answers, strict=False):
        assert complete(stack, rider, answer.json()['RideId']).status_code == 200


# -- throttling (last: it empties the stage's bucket) --------------------------

def test_past_the_stage_throttle_requests_get_429_too_many_requests(stack):
    def one(_):
        return requests.get(f'{stack.rides_url}/', timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=4) as pool:  # bounded: 600 requests at most
        answers = list(pool.map(one, range(600)))
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) >= 100  # the burst went through
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json() == {'message': 'Too Many Requests'}
    # each method has its own bucket, as with API Gateway's method settings
    assert requests.get(f'{stack.rides_url}/config', timeout=TIMEOUT).status_code == 200
