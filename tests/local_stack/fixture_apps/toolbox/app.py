"""A fixture app for the local Lambda runtime's tests: one function per
behaviour the runtime must reproduce (errors, timeouts, crashes, results
Lambda cannot serialize, logs, module state)."""
import decimal
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
            'client_context': context.client_context,
            'version': answers.VERSION, 'pid': os.getpid(),
            'count': INVOCATIONS['count'], 'cwd': os.getcwd()}


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
def not_serializable(event, context):
    return {'price': decimal.Decimal('1.5')}


@app.lambda_function(name='Noisy')
def noisy(event, context):
    for index in range(400):
        print(f'line {index:04d} ' + 'x' * 40)
    return 'done'


@app.lambda_function(name='Big')
def big(event, context):
    return 'x' * (6 * 1024 * 1024 + 10)


@app.route('/')
def index():
    return {'hello': 'toolbox'}
