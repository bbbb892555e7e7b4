"""Cognito's e-mailed verification codes, printed instead of e-mailed.

On AWS, `SignUp` and `ResendConfirmationCode` e-mail the rider a code and
`ConfirmSignUp` accepts only that code. moto sends nothing and confirms
with any code. At the endpoint's boundary this module does the rest:

- after a successful `SignUp`, a fresh 6-digit code is drawn and printed
  in the stack's output:
  `verification code for rider@example.com: 123456 (Cognito would e-mail it)`;
- `ResendConfirmationCode` (which moto does not implement) is answered
  here: a rider still waiting for confirmation gets a new code, printed the
  same way, and the old one stops working; for anyone else the answer is
  the same (the app client prevents user existence errors), with nothing
  printed;
- a `ConfirmSignUp` with another code is answered as Cognito does
  (400 `CodeMismatchException`) and never reaches moto; the right code is
  used once. A user no code was issued for is left to moto (it answers
  for unknown users).
"""
from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable

TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'
ISSUING = 'SignUp'
RESENDING = 'ResendConfirmationCode'
CHECKING = 'ConfirmSignUp'
JSON_1_1 = ('Content-Type', 'application/x-amz-json-1.1')
CODE_MISMATCH = ('CodeMismatchException',
                 'Invalid verification code provided, please try again.')


class VerificationCodes:
    """Codes per (app client, user name), drawn, printed and checked."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._codes: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def operation(target: str | None) -> str | None:
        """The Cognito operation this request is about, if it is one of ours."""
        if not target or not target.startswith(TARGET_PREFIX):
            return None
        name = target[len(TARGET_PREFIX):]
        return name if name in (ISSUING, RESENDING, CHECKING) else None

    def answer_here(self, operation: str, body: bytes) -> tuple[int, list, bytes] | None:
        """Cognito's answer to a ConfirmSignUp with the wrong code or to a
        ResendConfirmationCode; None lets the request through to moto."""
        request = _json(body)
        key = _key(request)
        if operation == RESENDING:
            with self._lock:
                pending = key in self._codes
            if pending:
                self._issue(key)
            delivery = {'Destination': _masked(key[1]), 'DeliveryMedium': 'EMAIL',
                        'AttributeName': 'email'}
            return 200, [JSON_1_1], json.dumps({'CodeDeliveryDetails': delivery}).encode()
        if operation != CHECKING:
            return None
        with self._lock:
            expected = self._codes.get(key)
            if expected is None:
                return None
            if not secrets.compare_digest(str(request.get('ConfirmationCode', '')), expected):
                error_type, message = CODE_MISMATCH
                return 400, [JSON_1_1, ('x-amzn-ErrorType', error_type)], \
                    json.dumps({'__type': error_type, 'message': message}).encode()
        return None

    def answered(self, operation: str, body: bytes, status: str) -> None:
        """After moto answered: issue a code on a successful SignUp, forget
        it after a successful ConfirmSignUp."""
        if not status.startswith('2'):
            return
        key = _key(_json(body))
        if operation == CHECKING:
            with self._lock:
                self._codes.pop(key, None)
        elif operation == ISSUING:
            self._issue(key)

    def _issue(self, key):
        code = f'{secrets.randbelow(10 ** 6):06d}'
        with self._lock:
            self._codes[key] = code
        self._say(f'verification code for {key[1]}: {code} (Cognito would e-mail it)')


def _json(body):
    try:
        value = json.loads(body or b'{}')
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _masked(email):
    """`r***@e***`, as Cognito names the address it sent a code to."""
    name, _, domain = email.partition('@')
    return f'{name[:1]}***@{domain[:1]}***'


def _key(request):
    return str(request.get('ClientId', '')), str(request.get('Username', '')).lower()
