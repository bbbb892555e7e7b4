"""Through the local Lambda runtime: the fleet's expected answers ("no
unicorn available", "ride not found", "ride in progress") are results, so
Lambda reports no `FunctionError` and the function's `Errors` metric counts
only faults (AWS: a function error is an exception the handler raised or a
runtime failure; anything returned is a result)."""
import json
import uuid

import pytest

from local_stack import testing

pytestmark = pytest.mark.stack

CATALOG = json.loads((testing.PROJECT_ROOT / 'ride_fleet' / 'chalicelib' / 'unicorns.json')
                     .read_text())
FLEET_FUNCTION = 'wild-rydes-ride-fleet-dev-RequestUnicornInvoke'


@pytest.fixture(scope='module')
def endpoint():
    with testing.local_endpoint() as running:
        yield running


def invoke(endpoint, payload):
    response = endpoint.lambda_client().invoke(
        FunctionName=FLEET_FUNCTION, Payload=json.dumps(payload).encode())
    return response, json.loads(response['Payload'].read())


def new_ride():
    return {'RideId': str(uuid.uuid4()), 'RiderId': f'rider-{uuid.uuid4()}'}


def test_a_full_fleet_answers_every_extra_ride_without_a_function_error(endpoint):
    answers = [invoke(endpoint, new_ride()) for _ in range(len(CATALOG) + 3)]

    assert all('FunctionError' not in response for response, _ in answers)
    unicorns = [body for _, body in answers if 'Name' in body]
    refusals = [body for _, body in answers if 'Name' not in body]
    assert len({unicorn['Name'] for unicorn in unicorns}) == len(CATALOG)
    assert len(refusals) == 3
    assert {body['Code'] for body in refusals} == {'NoUnicornAvailable'}
    assert all(set(body) == {'Code', 'Message'} for body in refusals)


def test_an_unknown_ride_is_answered_not_found_without_a_function_error(endpoint):
    response, body = invoke(endpoint, {'Action': 'GetRide', **new_ride()})

    assert 'FunctionError' not in response
    assert body['Code'] == 'NotFoundError' and 'RideId' in body['Message']


def test_a_malformed_payload_is_still_a_function_error(endpoint):
    """The caller's bug, not a business answer: it must show in `Errors`."""
    response, body = invoke(endpoint, {'RideId': 'not-a-uuid'})

    assert response['FunctionError'] == 'Unhandled'
    assert body['errorType'] == 'InvalidRequest'
