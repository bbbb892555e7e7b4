"""Whatever a caller sends, it gets 2xx or 4xx: a 4xx in Chalice's JSON
error shape `{"Code", "Message"}` whose message names what is wrong; never a
5xx, an unhandled exception or a stack trace. Direct-invoke handlers answer a
bad payload by raising a domain error with a 4xx status (what a caller sees
as FunctionError with that errorType)."""
import json
import urllib.parse
import uuid

from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared.domain.errors import WildRydesError, refusal_in
from shared.domain.parsing import MAX_BODY_BYTES
from tests.fuzz import strategies as s
from tests.fuzz.conftest import CASES, FUZZ
from tests.support.riders import RIDER, as_rider

# Words a 4xx message uses to say what is wrong.
NAMED = ('PickupLocation', 'request body', 'RideId', 'RiderId', 'RequestTime', 'Action',
         'payload', 'LoadTable', 'Unsupported media type', 'Content-Type', 'no ride with')


def assert_answered_well(response):
    """2xx, or 4xx with Chalice's error shape naming the problem."""
    text = response.body.decode('utf-8') if isinstance(response.body, bytes) else response.body
    assert response.status_code < 500, text
    assert 'Traceback' not in text and 'File "' not in text
    body = json.loads(text)
    event(f'HTTP {response.status_code}')
    if response.status_code >= 400:
        assert set(body) == {'Code', 'Message'}, body
        assert isinstance(body['Code'], str) and body['Code']
        assert any(word in body['Message'] for word in NAMED), body
    return body


def assert_refused_well(error):
    assert isinstance(error, WildRydesError)
    assert 400 <= error.status_code < 500, (error.status_code, error.message)
    assert set(error.to_body()) == {'Code', 'Message'}
    assert any(word in error.message for word in NAMED), error.message


def lambda_invoke(client, function, payload):
    """As Lambda would: a JSON payload in, a JSON result out; None when the
    handler refused the payload with a 4xx domain error."""
    sent = json.loads(json.dumps(payload, allow_nan=False))
    try:
        result = client.lambda_.invoke(function, sent).payload
    except WildRydesError as error:
        assert_refused_well(error)
        event(f'refused: {error.code}')
        return None
    refusal = refusal_in(result)  # an expected answer comes as a result
    if refusal is not None and refusal.status_code < 500:
        assert_refused_well(refusal)
        event(f'refused: {refusal.code}')
        return None
    event('answered')
    return json.loads(json.dumps(result, allow_nan=False))


def complete(rides_client, ride, rider=RIDER):
    response = rides_client.http.post(f"/ride/{ride['RideId']}/complete", headers=as_rider(rider))
    assert response.status_code == 200, response.body


def assert_is_ride_for(ride, body):
    pickup = body['PickupLocation']
    assert ride['PickupLocation'] == {'Latitude': float(pickup['Latitude']),
                                      'Longitude': float(pickup['Longitude'])}
    assert ride['UnicornName'] == ride['Unicorn']['Name']
    assert str(uuid.UUID(ride['RideId'])) == ride['RideId']


# -- POST /ride ------------------------------------------------------------

@settings(FUZZ, max_examples=500)
@given(body=s.raw_bodies(),
       content_type=st.sampled_from(['application/json', 'application/json; charset=utf-8',
                                     None, 'text/plain', 'application/x-www-form-urlencoded']))
def test_post_ride_with_any_bytes_answers_2xx_or_4xx(rides_client, body, content_type):
    CASES['POST /ride bytes'] += 1
    headers = as_rider(content_type=content_type)

    response = rides_client.http.post('/ride', headers=headers, body=body)

    answer = assert_answered_well(response)
    if response.status_code == 201:
        complete(rides_client, answer)


@settings(FUZZ, max_examples=600)
@given(body=s.ride_bodies)
def test_post_ride_with_any_json_answers_2xx_or_4xx(rides_client, body):
    CASES['POST /ride JSON'] += 1

    response = rides_client.http.post('/ride', headers=as_rider(), body=json.dumps(body))

    answer = assert_answered_well(response)
    if response.status_code == 201:
        assert_is_ride_for(answer, body)
        complete(rides_client, answer)
    else:
        assert response.status_code == 400


@settings(FUZZ, max_examples=60)
@given(size=st.integers(MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES),
       pattern=st.binary(min_size=1, max_size=16))
def test_a_body_over_64_kb_is_413_before_any_work(
        rides_client, fleet_lambda, rides_topic, size, pattern):
    CASES['POST /ride oversized'] += 1
    calls_before = len(fleet_lambda.calls)
    body = (pattern * (size // len(pattern) + 1))[:size]

    response = rides_client.http.post('/ride', headers=as_rider(), body=body)

    assert response.status_code == 413
    assert response.json_body == {
        'Code': 'RequestTooLarge',
        'Message': f'request body is {size} bytes; the limit is {MAX_BODY_BYTES}'}
    assert len(fleet_lambda.calls) == calls_before
    assert rides_topic.published_rides() == []


# -- POST /ride/{id}/complete ----------------------------------------------

@settings(FUZZ, max_examples=300)
@given(ride_id=s.path_ids, quoted=st.booleans())
def test_completing_any_ride_id_answers_404_or_400(rides_client, ride_id, quoted):
    CASES['POST /ride/{id}/complete'] += 1
    segment = urllib.parse.quote(ride_id, safe='') if quoted else ride_id

    response = rides_client.http.post(f'/ride/{segment}/complete', headers=as_rider())

    assert_answered_well(response)
    assert response.status_code in (400, 404)


# -- direct invokes ----------------------------------------------------------

@settings(FUZZ, max_examples=300)
@given(payload=s.ride_bodies)
def test_request_ride_invoke_with_any_payload_rides_or_refuses(rides_client, payload):
    CASES['RequestRideInvoke'] += 1

    if isinstance(payload, dict):  # the caller names the rider
        payload = dict(payload, RiderId=RIDER)
    ride = lambda_invoke(rides_client, 'RequestRideInvoke', payload)

    if ride is not None:
        assert_is_ride_for(ride, payload)
        complete(rides_client, ride)


@settings(FUZZ, max_examples=400)
@given(payload=s.unicorn_payloads)
def test_request_unicorn_invoke_with_any_payload_answers_or_refuses(
        fleet_client, fleet_table, payload):
    CASES['RequestUnicornInvoke'] += 1

    answer = lambda_invoke(fleet_client, 'RequestUnicornInvoke', payload)

    if answer is None:
        return
    if isinstance(payload, dict) and payload.get('Action') in ('Release', 'GetRide'):
        assert answer['RiderId'] == payload['RiderId']
        return
    if answer.get('Code') == 'RideInProgress':  # a rider some example left riding
        return
    assert isinstance(answer['Name'], str) and isinstance(answer['Color'], str)
    if isinstance(payload, dict) and payload.get('RideId') is not None:
        # dispatched: give it back so the fleet never fills up
        released = lambda_invoke(fleet_client, 'RequestUnicornInvoke',
                                 {'Action': 'Release', 'RideId': payload['RideId'],
                                  'RiderId': payload['RiderId']})
        assert released['Unicorn']['Name'] == answer['Name']


@settings(FUZZ, max_examples=150)
@given(payload=s.json_values)
def test_load_table_with_any_payload_loads_or_refuses(fleet_client, fleet_table, payload):
    CASES['LoadTable'] += 1

    answer = lambda_invoke(fleet_client, 'LoadTable', payload)

    if answer is not None:
        assert payload in (None, {})
        assert answer == {'Loaded': 16, 'Removed': []}
