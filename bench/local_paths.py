"""Sections 1 and 2, through the local stack (`local_stack.testing`):

1. the fleet call alone, made the way rides makes it — `InvokeTransport`
   (boto3 `lambda.invoke` of `RequestUnicornInvoke` through the local Lambda
   runtime) against `HttpTransport` (a SigV4-signed GET of `/unicorn` through
   `chalice local`);
2. a whole ride: `POST /ride` to a rides app running with
   `UNICORN_TRANSPORT=invoke` against one running with `http`.

Every dispatch holds a unicorn, so each is released again right after it is
timed (untimed), and the 16-unicorn catalog never runs out; its rider's
record is then deleted, as DynamoDB's TTL would delete it later, because
moto answers a GSI query by walking every item and would slow down run by
run. Each ride is a new rider's, made in the stack's user pool and signed in
before the request (untimed): the stack checks tokens as API Gateway does.
The stacks run without the stage throttle (`throttle=False`): the bench
measures latency, not the throttle.
"""
import json
import logging
import os
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from bench.interleave import Path, TooManyFailures, alternate
from bench.stats import Summary
from project.model import Project
from shared.adapters import fleet_schema

TIMEOUT_SECONDS = 10
PICKUP = {'Latitude': 47.6097, 'Longitude': -122.3331}


def measure(settings, tick):
    """Both sections, or both marked skipped with the reason."""
    try:
        from local_stack import testing  # noqa: F401  (only whether it imports)
    except ImportError as error:
        reason = f'the local stack (`local_stack.testing`) is not available: {error}'
        skipped = {'status': 'skipped', 'reason': reason}
        return {'fleet_call': skipped, 'ride': skipped}
    with _stacks(('invoke', 'http')) as stacks:
        invoke_stack, http_stack = stacks['invoke'], stacks['http']
        tick()
        # Ride records are deleted as they are made (see RideRecords), so
        # both stacks' tables stay as loaded and the order does not matter.
        with _quiet_transports():
            ride = _guarded(_whole_ride, invoke_stack, http_stack, settings, tick)
            fleet_call = _guarded(_fleet_call, invoke_stack, settings, tick)
        tick()
    return {'fleet_call': fleet_call, 'ride': ride}


@contextmanager
def _quiet_transports():
    """The transports log a warning per failed call; failures are counted
    in the report instead of printed over the progress bar."""
    logger = logging.getLogger('shared')
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class RideRecords:
    """Deletes a rider's record from a stack's fleet table (TTL's job on AWS)."""

    def __init__(self, stack):
        self._table = Project('dev').table_name
        self._db = stack.client('dynamodb') if hasattr(stack, 'client') else None

    def forget(self, rider_id):
        if self._db is not None:
            self._db.delete_item(TableName=self._table, Key={
                fleet_schema.HASH_KEY: {'S': fleet_schema.rider_key(rider_id)}})


def _guarded(measure_section, *args):
    """The section, or a 'failed' one saying why, so the rest still runs."""
    try:
        return measure_section(*args)
    except TooManyFailures as error:
        return {'status': 'failed', 'reason': str(error)}


@contextmanager
def _stacks(transports):
    """One stack per transport, started side by side (each takes seconds)."""
    managers = {transport: _stack(transport) for transport in transports}
    entered = {}

    def enter(transport):
        entered[transport] = managers[transport].__enter__()

    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(enter, transport) for transport in managers]
    try:
        for future in futures:
            future.result()  # re-raises a stack's failure to start
        yield entered
    finally:
        for transport in entered:
            managers[transport].__exit__(None, None, None)


@contextmanager
def _stack(transport):
    """A running local stack whose rides app uses `transport`; yields a dict
    with 'rides_url', 'fleet_url' (the `/unicorn` URL), 'aws_url', 'fleet_arn'."""
    from local_stack import testing

    with testing.local_stack(transport=transport, throttle=False) as stack:
        yield stack


@contextmanager
def _aws_environment(aws_url):
    saved = dict(os.environ)
    os.environ.update({'AWS_ENDPOINT_URL': aws_url, 'AWS_ACCESS_KEY_ID': 'testing',
                       'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_DEFAULT_REGION': 'us-east-1'})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fleet_call(stack, settings, tick):
    from shared import budget, wiring
    from shared.adapters import aws_clients
    from shared.adapters.transports.http import HttpTransport
    from shared.adapters.transports.invoke import InvokeTransport
    from shared.domain.errors import WildRydesError

    records = RideRecords(stack)
    with _aws_environment(stack['aws_url']):
        aws_clients.reset()
        try:
            transports = {
                'invoke': InvokeTransport(aws_clients.lambda_client(), stack['fleet_arn']),
                'http': HttpTransport(stack['fleet_url'], budget.FLEET_CALL,
                                      signer=wiring._signer()),
            }
            last_ride = {}
            paths = [_dispatch_path(name, transport, last_ride)
                     for name, transport in transports.items()]

            def release(name, unicorn):
                if not isinstance(unicorn, dict) or not unicorn.get('Name'):
                    raise RuntimeError(f'the fleet over {name} answered {unicorn!r}')
                ride_id, rider_id = last_ride[name]
                try:  # best effort: the lease frees the unicorn anyway
                    transports[name].release(ride_id, rider_id)
                except WildRydesError:
                    pass
                records.forget(rider_id)

            failures = {}
            samples = alternate(paths, settings.local_rounds, warmup=settings.local_warmup,
                                tick=tick, check=release, failures=failures,
                                max_failures=_max_failures(settings),
                                time_budget_s=settings.local_budget_s)
        finally:
            aws_clients.reset()
    labels = {'invoke': 'lambda.invoke of RequestUnicornInvoke (local runtime)',
              'http': 'GET /unicorn through chalice local (SigV4-signed)'}
    return _section(samples, labels, failures)


def _max_failures(settings):
    """A loaded machine may time out a few requests; more than 5% is a fault."""
    return max(3, (settings.local_rounds + settings.local_warmup) * 2 // 20)


def _dispatch_path(name, transport, last_ride):
    """A dispatch over `transport` for a new ride, whose id goes in `last_ride`."""
    state = {}

    def prepare():
        state['payload'] = {'RideId': str(uuid.uuid4()), 'RiderId': str(uuid.uuid4()),
                            'PickupLocation': dict(PICKUP)}
        last_ride[name] = state['payload']['RideId'], state['payload']['RiderId']

    return Path(name, lambda: transport.dispatch(state['payload']), prepare)


def _whole_ride(invoke_stack, http_stack, settings, tick):
    urls = {'invoke': invoke_stack['rides_url'], 'http': http_stack['rides_url']}
    records = {'invoke': RideRecords(invoke_stack), 'http': RideRecords(http_stack)}
    body = json.dumps({'PickupLocation': PICKUP}).encode()
    riders = {'invoke': invoke_stack.riders(), 'http': http_stack.riders()}
    signed_in = {}

    def path(name, url):
        def prepare():
            signed_in[name] = riders[name].new()
        return Path(name, lambda: _post(f'{url.rstrip("/")}/ride', body,
                                        signed_in[name].id_token), prepare)

    paths = [path(name, url) for name, url in urls.items()]

    def complete(name, answer):
        status, ride = answer
        if status != 201 or not ride.get('RideId'):
            raise RuntimeError(f'POST /ride with {name} answered {status} {ride!r}')
        try:  # best effort: the lease frees the unicorn anyway
            _post(f'{urls[name].rstrip("/")}/ride/{ride["RideId"]}/complete', b'{}',
                  signed_in[name].id_token)
        except OSError:
            pass
        records[name].forget(ride['RiderId'])

    failures = {}
    samples = alternate(paths, settings.local_rounds, warmup=settings.local_warmup,
                        tick=tick, check=complete, failures=failures,
                        max_failures=_max_failures(settings),
                        time_budget_s=settings.local_budget_s)
    labels = {'invoke': 'POST /ride, UNICORN_TRANSPORT=invoke',
              'http': 'POST /ride, UNICORN_TRANSPORT=http'}
    return _section(samples, labels, failures)


def _post(url, body, id_token):
    request = urllib.request.Request(url, data=body, method='POST',
                                     headers={'Content-Type': 'application/json',
                                              'Authorization': id_token})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, json.loads(response.read() or b'{}')
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'{}')


def _section(samples, labels, failures):
    paths = {name: {'label': labels[name], 'summary': Summary.of(values), 'samples': values}
             for name, values in samples.items()}
    notes = ''
    if failures:
        counts = ', '.join(f'{labels[name]}: {len(messages)} (first: {messages[0]})'
                           for name, messages in failures.items())
        notes = (f'Requests that failed and were left out of the figures (a loaded machine '
                 f'makes the fleet\'s 0.7 s DynamoDB read timeout fire): {counts}.')
    return {'status': 'ok', 'paths': paths, 'baseline': 'invoke', 'notes': notes,
            'failures': {name: len(messages) for name, messages in failures.items()}}
