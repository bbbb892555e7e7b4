"""Riders of the local pool, for tests and scripts: made confirmed by the
pool's administrator and signed in as the page does (USER_PASSWORD_AUTH),
so every token is a real one the pool issued."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

from local_stack.provision import create_rider

# Meets the pool's password policy (upper, lower, digit, symbol, 8+).
RIDER_PASSWORD = 'Unicorn-rides-1'


@dataclass(frozen=True)
class Rider:
    email: str
    password: str
    id_token: str
    access_token: str
    refresh_token: str

    @property
    def rider_id(self) -> str:
        """The ID token's `sub`: what rides records as the RiderId."""
        payload = self.id_token.split('.')[1]
        return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))['sub']

    @property
    def headers(self) -> dict[str, str]:
        """What the page sends: the ID token as `Authorization`, as API
        Gateway's Cognito authorizer reads it."""
        return {'Authorization': self.id_token, 'Content-Type': 'application/json'}


class Riders:
    """The pool's riders, through the local endpoint's cognito-idp."""

    def __init__(self, cognito: Any, user_pool_id: str, client_id: str) -> None:
        self.cognito, self.user_pool_id, self.client_id = cognito, user_pool_id, client_id

    def sign_in(self, email: str, password: str) -> Rider:
        result = self.cognito.initiate_auth(
            ClientId=self.client_id, AuthFlow='USER_PASSWORD_AUTH',
            AuthParameters={'USERNAME': email, 'PASSWORD': password})['AuthenticationResult']
        return Rider(email, password, result['IdToken'], result['AccessToken'],
                     result['RefreshToken'])

    def new(self, email: str | None = None, password: str = RIDER_PASSWORD) -> Rider:
        """A new confirmed rider, signed in."""
        email = email or f'rider-{uuid.uuid4().hex[:12]}@example.com'
        create_rider(self.cognito, self.user_pool_id, email, password)
        return self.sign_in(email, password)

    def many(self, count: int) -> list[Rider]:
        return [self.new() for _ in range(count)]
