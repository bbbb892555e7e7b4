"""ID tokens checked as API Gateway's Cognito user pool authorizer does.

API Gateway admits a request to a Cognito-protected route only with an ID
token of the authorizer's pool, in the `Authorization` header, that:

- is an RS256 JWT signed by a key of the pool's JWKS
  (`<issuer>/.well-known/jwks.json`; moto serves it at the local endpoint);
- names the pool as issuer: `https://cognito-idp.<region>.amazonaws.com/<pool id>`
  (moto issues that, as Cognito does);
- names the app client as audience (`aud`), is an ID token
  (`token_use` = `id`, an access token carries `client_id` instead) and has
  not expired (`exp`).

Anything else is refused with `Unauthorized`; the request never reaches
the function. The cryptography is joserfc's (moto depends on it).
"""
from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ['RS256']
JWKS_TIMEOUT_SECONDS = 5


class Unauthorized(Exception):
    """The token is missing, malformed, forged, expired or not an ID token of
    this pool's app client."""


def issuer(region: str, user_pool_id: str) -> str:
    """The `iss` Cognito writes in the pool's tokens."""
    return f'https://cognito-idp.{region}.amazonaws.com/{user_pool_id}'


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as answer:  # noqa: S310
        return json.load(answer)


class IdTokenVerifier:
    """Checks ID tokens of one user pool and app client.

    The pool's keys are fetched from `jwks_url` on first use and kept; a
    token naming a key id not among them makes one more fetch (Cognito
    rotates keys), no more per unknown key."""

    def __init__(self, *, region: str, user_pool_id: str, client_id: str, jwks_url: str,
                 fetch: Callable[[str], Any] = fetch_json) -> None:
        self.issuer = issuer(region, user_pool_id)
        self.client_id = client_id
        self.jwks_url = jwks_url
        self._fetch = fetch
        self._keys: KeySet | None = None
        self._fetched_for: set[Any] = set()  # key ids the keys were fetched again for
        self._lock = threading.Lock()
        self._claims = jwt.JWTClaimsRegistry(
            iss={'essential': True, 'value': self.issuer},
            aud={'essential': True, 'value': client_id},
            token_use={'essential': True, 'value': 'id'},
            exp={'essential': True},
            sub={'essential': True},
        )

    def claims(self, token: str | None) -> dict[str, Any]:
        """The token's claims, if API Gateway would admit it; else `Unauthorized`."""
        if not token or not isinstance(token, str):
            raise Unauthorized('no token')
        try:
            decoded = jwt.decode(token, self._keys_for(token), algorithms=ALGORITHMS)
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise Unauthorized(f'{type(error).__name__}: {error}') from None
        return dict(decoded.claims)

    def _keys_for(self, token):
        kid = _key_id(token)
        with self._lock:
            if self._keys is None or (not _has_key(self._keys, kid)
                                      and kid not in self._fetched_for):
                self._fetched_for.add(kid)
                self._keys = KeySet.import_key_set(self._fetch(self.jwks_url))
            return self._keys


def _key_id(token):
    from joserfc import jws
    try:
        return jws.extract_compact(token.encode('ascii')).headers().get('kid')
    except (JoseError, ValueError, UnicodeError) as error:
        raise Unauthorized(f'malformed token: {error}') from None


def _has_key(keys, kid):
    return any(key.kid == kid for key in keys.keys)
