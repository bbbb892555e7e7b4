"""`local_stack.tokens` on its own, with a JWKS of the test's making: the
pool's keys are fetched once, and again at most once per key id they lack
(Cognito rotates keys; a forged key id must not make every request fetch)."""
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from local_stack.tokens import IdTokenVerifier, Unauthorized, issuer

POOL, CLIENT = 'us-east-1_Test', 'page-client'


def new_key(kid):
    key = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return RSAKey.import_key(key.as_dict(private=True), {'kid': kid})


@pytest.fixture
def pool_key():
    return new_key('pool-key')


@pytest.fixture
def fetches(pool_key):
    return []


@pytest.fixture
def verifier(pool_key, fetches):
    def fetch(url):
        fetches.append(url)
        return KeySet([pool_key]).as_dict(private=False)
    return IdTokenVerifier(region='us-east-1', user_pool_id=POOL, client_id=CLIENT,
                           jwks_url='http://jwks', fetch=fetch)


def token(key, **changes):
    claims = {'iss': issuer('us-east-1', POOL), 'aud': CLIENT, 'token_use': 'id',
              'sub': 'rider', 'exp': int(time.time()) + 600, **changes}
    return jwt.encode({'alg': 'RS256', 'kid': key.kid}, claims, key)


def test_a_valid_id_token_gives_its_claims_and_the_keys_are_fetched_once(verifier, pool_key,
                                                                          fetches):
    assert verifier.claims(token(pool_key))['sub'] == 'rider'
    assert verifier.claims(token(pool_key))['sub'] == 'rider'
    assert fetches == ['http://jwks']


@pytest.mark.parametrize('changes', [{'iss': issuer('us-east-1', 'us-east-1_Other')},
                                     {'aud': 'other-client'}, {'token_use': 'access'},
                                     {'exp': int(time.time()) - 10}])
def test_a_token_of_another_pool_client_use_or_time_is_refused(verifier, pool_key, changes):
    with pytest.raises(Unauthorized):
        verifier.claims(token(pool_key, **changes))


def test_an_unknown_key_id_fetches_the_keys_again_once_then_no_more(verifier, pool_key,
                                                                     fetches):
    verifier.claims(token(pool_key))
    forged = token(new_key('forged'))
    for _ in range(3):
        with pytest.raises(Unauthorized):
            verifier.claims(forged)
    assert len(fetches) == 2
