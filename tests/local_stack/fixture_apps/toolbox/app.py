"""A fixture app for the local Lambda runtime's tests: one function per
behaviour the runtime must reproduce (errors, timeouts, crashes, results
Lambda cannot serialize, logs, module state)."""
import collections
import decimal
import logging
import os
import sys
import time

from chalice import Chalice
from chalicelib import answers

app = Chalice(app_name='toolbox')
INVOCATIONS = {'count': 0}  # module state lives as long as the worker


class NoUnicornAvailable(Exception):
    """A domain error, raised as the fleet raises its own."""


@app.lambda_function(name='Echo')
def echo(event, context):
    INVOCATIONS['count'] += 1
    print(f'echo got {event!r}')
    return {'event': event, 'request_id': context.aws_request_id,
            'function_name': context.function_name,
            'invoked_function_arn': context.invoked_function_arn,
            'memory_limit_in_mb': context.memory_limit_in_mb,
            'remaining_ms': context.get_remaining_time_in_millis(),
            'client_context': _client_context(context.client_context),
            'trace_id': os.environ.get('_X_AMZN_TRACE_ID'),
            'version': answers.VERSION, 'pid': os.getpid(),
            'count': INVOCATIONS['count'], 'cwd': os.getcwd()}


def _client_context(client_context):
    """Lambda's `context.client_context` is an object: its fields that are set."""
    if client_context is None:
        return None
    return {key: getattr(client_context, key) for key in ('client', 'custom', 'env')
            if getattr(client_context, key, None) is not None}


@app.lambda_function(name='Environment')
def environment(event, context):
    return {'environ': dict(os.environ), 'modules': sorted(m for m in sys.modules
                                                           if m in ('app', 'other_marker'))}


@app.lambda_function(name='Fail')
def fail(event, context):
    print('about to fail')
    raise NoUnicornAvailable('every unicorn is on a ride')


@app.lambda_function(name='Sleep')
def sleep(event, context):
    print('going to sleep')
    time.sleep(float(event.get('seconds', 10)))
    return {'slept': event.get('seconds'), 'pid': os.getpid(),
            'sleep_only': os.environ.get('SLEEP_ONLY')}


@app.lambda_function(name='Touch')
def touch(event, context):
    with open(event['path'], 'w') as marker:
        marker.write(context.aws_request_id)
    return 'touched'


@app.lambda_function(name='Crash')
def crash(event, context):
    os._exit(3)


@app.lambda_function(name='Decimal')
def a_decimal(event, context):
    return {'price': decimal.Decimal('1.5')}


@app.lambda_function(name='Unserializable')
def not_serializable(event, context):
    return {'tags': {'a', 'b'}}


@app.lambda_function(name='Bytes')
def raw_bytes(event, context):
    return b'not json \x00\x01'


Point = collections.namedtuple('Point', 'latitude longitude')


@app.lambda_function(name='NamedTuple')
def named_tuple(event, context):
    return Point(47.6, -122.3)


@app.lambda_function(name='Log')
def log(event, context):
    logger = logging.getLogger()
    logger.setLevel(logging.INFO)
    logger.info('a unicorn was %s', 'found')
    return 'logged'


@app.lambda_function(name='Exit')
def exit_cleanly(event, context):
    sys.exit(0)


@app.lambda_function(name='Reserved')
def reserved(event, context):
    time.sleep(float(event.get('seconds', 0)))
    return {'pid': os.getpid()}


@app.lambda_function(name='Flaky')
def flaky(event, context):
    """Appends a line per attempt to event['path']; fails unless told not to."""
    with open(event['path'], 'a') as attempts:
        attempts.write(context.aws_request_id + '\n')
    if event.get('fail', True):
        raise RuntimeError('flaky failed')
    return 'ok'


@app.lambda_function(name='Noisy')
def noisy(event, context):
    for index in range(400):
        print(f'line {index:04d} ' + 'x' * 40)
    return 'done'


@app.lambda_function(name='Big')
def big(event, context):
    """As JSON (with its quotes) 6,291,556 bytes plus `over`."""
    return 'x' * (6_291_556 - 2 + int(event.get('over', 1)))


@app.on_sns_message(topic='rides', name='OnRide')
def on_ride(event):
    """An SNS subscriber: writes the message to the file its subject names."""
    with open(event.subject, 'w') as marker:
        marker.write(event.message)


@app.route('/')
def index():
    return {'hello': 'toolbox'}
