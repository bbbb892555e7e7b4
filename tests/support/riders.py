"""Signed-in riders for tests that go through Chalice's gateway (its test
client, or `chalice local` behind the local stack).

API Gateway's Cognito authorizer checks the ID token and hands its claims
to the function in `requestContext.authorizer.claims`. Chalice's gateway
puts them in that same place, but reads them from the token without
checking it, so these tokens carry claims and no real signature. They test
what rides does with a rider; tests of the token checks themselves use real
tokens from the local user pool.
"""
import base64
import json
import uuid

JSON = {'Content-Type': 'application/json'}
RIDER = '8a1f6d2e-3b4c-4d5e-9f60-718293a4b5c6'
OTHER_RIDER = '3c9e0b7a-1d2f-4e5a-8b6c-0d1e2f3a4b5c'


def _segment(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b'=').decode()


def claims(sub=RIDER):
    """The ID token claims API Gateway passes on for a rider."""
    return {'sub': sub, 'cognito:username': sub, 'email': f'{sub[:8]}@example.com',
            'token_use': 'id', 'aud': 'local-client'}


def unchecked_token(sub=RIDER):
    return '.'.join([_segment({'alg': 'RS256', 'kid': 'test'}), _segment(claims(sub)),
                     'not-signed'])


def as_rider(sub=RIDER, content_type='application/json'):
    """Headers of a request from a signed-in rider."""
    headers = {'Authorization': unchecked_token(sub)}
    if content_type is not None:
        headers['Content-Type'] = content_type
    return headers


def new_rider():
    return str(uuid.uuid4())
