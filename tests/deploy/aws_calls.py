"""Recording every AWS API operation each app makes, as IAM sees it.

`install()` adds a `before-parameter-build` hook (botocore's event system,
which hands it the operation and its API parameters) to every client
created from then on. Each call is attributed to the app whose
`app.py` is the innermost such frame on the stack (rides calling the fleet
in process counts as the fleet inside the fleet's handler), and within it
to the entry point: the outermost function of that `app.py` in the same
run of frames (a `@app.lambda_function` or a route, which
`function_of` maps to the Lambda function that serves it). Each call is
recorded as the IAM (action, resource ARN) pairs it needs: a DynamoDB
transaction, for instance, needs the item actions it is made of.

Calls made by test code itself (fixtures creating tables) have no app
frame and are not recorded.
"""
import contextlib
import functools
import os
import sys
import threading

import botocore.client

from project.model import APP_ENTRIES, LOCAL_ACCOUNT_ID

ACCOUNT = LOCAL_ACCOUNT_ID  # moto's
APP_FILES = {os.path.realpath(app.directory / 'app.py'): app.folder for app in APP_ENTRIES}

_TRANSACT = {'Put': 'PutItem', 'Update': 'UpdateItem', 'Delete': 'DeleteItem',
             'ConditionCheck': 'ConditionCheckItem', 'Get': 'GetItem'}


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self.calls = set()  # (app, entry point in app.py, action, resource)
        self._captures = []

    @contextlib.contextmanager
    def capture(self):
        """The calls made inside the block (as well as recording them)."""
        captured = set()
        with self._lock:
            self._captures.append(captured)
        try:
            yield captured
        finally:
            with self._lock:
                self._captures.remove(captured)

    def snapshot(self, app=None):
        with self._lock:
            return {call for call in self.calls if app is None or call[0] == app}

    def before_call(self, model, params, context=None, **kwargs):
        caller = _calling_app()
        if caller is None:
            return
        app, entry = caller
        region = (context or {}).get('client_region') or 'us-east-1'
        try:
            needed = iam_requirements(model.service_model, model.name, params, region)
        except (KeyError, TypeError, ValueError):  # malformed on purpose (fault tests)
            needed = [(f'{model.service_model.endpoint_prefix}:{model.name}', '?')]
        calls = {(app, entry, action, resource) for action, resource in needed}
        with self._lock:
            self.calls.update(calls)
            for captured in self._captures:
                captured.update(calls)


RECORDER = Recorder()


def _calling_app():
    """(app folder, name of the outermost function of its app.py in the
    innermost run of frames from it), or None outside every app."""
    frame = sys._getframe(2)
    while frame is not None and not _app_of(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    app, entry = _app_of(frame.f_code.co_filename), frame.f_code.co_name
    while frame is not None:
        other = _app_of(frame.f_code.co_filename)
        if other and other != app:
            break
        if other == app:
            entry = frame.f_code.co_name
        frame = frame.f_back
    return app, entry


def function_of(chalice_app, entry):
    """The Lambda function (its name in config.json) that runs `entry`, a
    function of the app's app.py: a `@app.lambda_function`'s name, an event
    handler's (`@app.on_sns_message(name=...)`, whose handler string is
    `app.<entry>`), or the REST API's handler for a route."""
    from project.model import API_HANDLER

    for function in chalice_app.pure_lambda_functions:
        if function.func.__name__ == entry:
            return function.name
    for source in chalice_app.event_sources:
        if source.handler_string == f'app.{entry}':
            return source.name
    return API_HANDLER


@functools.lru_cache(maxsize=4096)
def _app_of(filename):
    return APP_FILES.get(os.path.realpath(filename))


def iam_requirements(service_model, operation, params, region):
    """[(IAM action, resource ARN)] an operation with these parameters needs."""
    prefix = service_model.metadata.get('signingName') or service_model.endpoint_prefix
    head = f'arn:aws:{prefix}:{region}:{ACCOUNT}:'
    if prefix == 'dynamodb':
        def table(name, index=None):
            return head + f'table/{name}' + (f'/index/{index}' if index else '')
        if operation in ('TransactWriteItems', 'TransactGetItems'):
            needed = []
            for item in params.get('TransactItems', []):
                [(kind, body)] = item.items()
                needed.append((f'dynamodb:{_TRANSACT[kind]}', table(body['TableName'])))
            return needed
        if operation in ('BatchGetItem', 'BatchWriteItem'):
            return [(f'dynamodb:{operation}', table(name)) for name in params['RequestItems']]
        return [(f'dynamodb:{operation}', table(params['TableName'], params.get('IndexName')))]
    if prefix == 'lambda' and operation == 'Invoke':
        name = params['FunctionName']
        return [('lambda:InvokeFunction',
                 name if name.startswith('arn:') else head + f'function:{name}')]
    if prefix == 'sns' and operation == 'Publish':
        return [('sns:Publish', params.get('TopicArn') or params.get('TargetArn'))]
    if prefix == 'ssm' and operation in ('GetParameter', 'PutParameter'):
        name = params['Name']
        return [(f'ssm:{operation}', head + 'parameter' + ('' if name.startswith('/') else '/') + name)]
    # Anything else: no resource known, so only `"Resource": "*"` would allow it.
    return [(f'{prefix}:{operation}', '*')]


_installed = False


def install():
    """Hook every botocore client created from now on (idempotent)."""
    global _installed
    if _installed:
        return RECORDER
    original = botocore.client.ClientCreator.create_client

    @functools.wraps(original)
    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register_first('before-parameter-build', RECORDER.before_call)
        return client

    botocore.client.ClientCreator.create_client = create_client
    _installed = True
    return RECORDER
