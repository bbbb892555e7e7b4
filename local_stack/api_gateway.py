"""What API Gateway does in front of rides that `chalice local` does not.

`chalice local` admits a route behind a `CognitoUserPoolAuthorizer` with no
token at all and decodes any token without checking it, and it has no stage
throttling. Inside `local_stack.chalice_local` these two are put in front
of Chalice's own local gateway:

- Cognito routes: the `Authorization` header must hold an ID token of the
  riders' pool (`local_stack.tokens`); else `401 {"message":"Unauthorized"}`
  with `x-amzn-ErrorType: UnauthorizedException`, as API Gateway answers.
  The claims reach the handler at `requestContext.authorizer.claims`.
  The pool and app client are the ones rides itself uses (`USER_POOL_ID`,
  `USER_POOL_CLIENT_ID`, else their SSM parameters), looked up on the
  first request (provisioning runs while `chalice local` starts).
- Stage throttling: a token bucket (rate per second, burst) per method, as
  API Gateway applies a stage's `MethodSettings` (`*/*`) to each method
  separately (`GET /`, `POST /ride`, ...); past it
  `429 {"message":"Too Many Requests"}`, as API Gateway.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from local_stack import tokens

UNAUTHORIZED_BODY = b'{"message":"Unauthorized"}'
TOO_MANY_REQUESTS_BODY = b'{"message":"Too Many Requests"}'


class TokenBucket:
    """API Gateway's throttle: `rate` tokens a second, at most `burst` held;
    a request takes one or is refused. Thread-safe."""

    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = float(rate), int(burst), clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


def verifier_from_environment() -> tokens.IdTokenVerifier:
    """The verifier for the pool and client rides is configured with."""
    from shared import wiring  # the project root is on PYTHONPATH in chalice local

    config = wiring.page_config_from_environment()
    endpoint = config['CognitoEndpoint'].rstrip('/')
    return tokens.IdTokenVerifier(
        region=config['Region'], user_pool_id=config['UserPoolId'],
        client_id=config['UserPoolClientId'],
        jwks_url=f'{endpoint}/{config["UserPoolId"]}/.well-known/jwks.json')


class _LazyVerifier:
    """Built on first use and kept once built; a failure (the pool is not
    provisioned yet) refuses that request and tries again next time."""

    def __init__(self, build):
        self._build, self._verifier, self._lock = build, None, threading.Lock()

    def claims(self, token):
        with self._lock:
            if self._verifier is None:
                try:
                    self._verifier = self._build()
                except Exception as error:  # noqa: BLE001 - any failure refuses, as a 401
                    raise tokens.Unauthorized(f'no user pool configured yet: {error}') \
                        from None
        return self._verifier.claims(token)


def install_cognito_authorizer(build_verifier: Callable[[], Any] = verifier_from_environment,
                               log: Callable[[str], None] | None = None) -> None:
    """Check tokens on every Cognito-protected route of `chalice local`."""
    from chalice.app import CognitoUserPoolAuthorizer
    from chalice.local import LocalGatewayAuthorizer, NotAuthorizedError

    verifier = _LazyVerifier(build_verifier)
    authorize = LocalGatewayAuthorizer.authorize

    def authorize_as_api_gateway(self, raw_path, lambda_event, lambda_context):
        route = self._route_for_event(lambda_event)
        if route is None or not isinstance(route.authorizer, CognitoUserPoolAuthorizer):
            return authorize(self, raw_path, lambda_event, lambda_context)
        token = (lambda_event.get('headers') or {}).get('authorization')
        try:
            claims = verifier.claims(token)
        except tokens.Unauthorized as refused:
            if log is not None:
                log(f'401 {lambda_event["requestContext"]["httpMethod"]} {raw_path}: {refused}')
            raise NotAuthorizedError(
                {'Content-Type': 'application/json',
                 'x-amzn-RequestId': lambda_context.aws_request_id,
                 'x-amzn-ErrorType': 'UnauthorizedException'},
                UNAUTHORIZED_BODY) from None
        lambda_event['requestContext']['authorizer'] = {'claims': claims}
        return lambda_event, lambda_context

    LocalGatewayAuthorizer.authorize = authorize_as_api_gateway  # type: ignore[method-assign]


class MethodBuckets:
    """One `TokenBucket` per (HTTP method, resource path), made on first use."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[tuple[str, str | None], TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, method: str, resource: str | None) -> bool:
        with self._lock:
            bucket = self._buckets.get((method, resource))
            if bucket is None:
                bucket = self._buckets[(method, resource)] = TokenBucket(self.rate, self.burst)
        return bucket.take()


def install_throttle(rate: float, burst: int) -> MethodBuckets:
    """Throttle every request `chalice local` serves, per method, as a stage would."""
    from chalice.local import LocalGateway, LocalGatewayException

    class TooManyRequests(LocalGatewayException):
        CODE = 429

    buckets = MethodBuckets(rate, burst)
    handle_request = LocalGateway.handle_request

    def resource_of(gateway, path):
        try:
            return gateway.event_converter._route_matcher.match_route(path).route
        except Exception:  # noqa: BLE001 - no such route: one bucket for all of them
            return None

    def throttled(self, method, path, headers, body):
        if not buckets.take(method, resource_of(self, path)):
            raise TooManyRequests({'Content-Type': 'application/json',
                                   'x-amzn-ErrorType': 'TooManyRequestsException'},
                                  TOO_MANY_REQUESTS_BODY)
        return handle_request(self, method, path, headers, body)

    LocalGateway.handle_request = throttled  # type: ignore[method-assign]
    return buckets


def parse_throttle(text: str) -> tuple[float, int]:
    """`{"rate": 50, "burst": 100}` -> (50.0, 100)."""
    value = json.loads(text)
    return float(value['rate']), int(value['burst'])
