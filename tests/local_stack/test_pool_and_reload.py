"""Workers per function: bounded, throttled past the bound, replaced after a
crash, and restarted when the app's code changes."""
import json
import os
import threading
import time

import pytest

from local_stack import testing
from tests.local_stack.conftest import TOOLBOX


def invoke(client, name, payload):
    response = client.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    return response, json.loads(response['Payload'].read())


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in time')
        time.sleep(0.01)


def test_past_its_reserved_concurrency_a_function_answers_429_too_many_requests():
    with testing.lambda_runtime([TOOLBOX]) as runtime:
        client = runtime.lambda_client(read_timeout=15)
        spec = runtime.runtime.registry.lookup('toolbox-dev-Reserved')
        assert spec.reserved_concurrency == 1  # from config.json
        pool = runtime.runtime.pool(spec)
        pool.prewarm()
        busy = threading.Thread(target=invoke, args=(client, 'toolbox-dev-Reserved',
                                                     {'seconds': 0.8}))
        busy.start()
        wait_until(lambda: pool.stats()['in_flight'] == 1)
        with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
            client.invoke(FunctionName='toolbox-dev-Reserved', Payload=b'{"seconds": 0}')
        busy.join(timeout=10)
        response = caught.value.response
        assert response['ResponseMetadata']['HTTPStatusCode'] == 429
        assert response['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype'] == \
            'TooManyRequestsException'
        assert response['Reason'] == 'ReservedFunctionConcurrentInvocationLimitExceeded'
        assert 'retry-after' not in response['ResponseMetadata']['HTTPHeaders']
        assert response['Error']['Message'] == 'Rate Exceeded.'
        assert 'FunctionError' not in invoke(client, 'toolbox-dev-Reserved', {'seconds': 0})[0]


def test_past_the_account_limit_any_function_answers_429_too_many_requests():
    with testing.lambda_runtime([TOOLBOX], account_concurrency=1) as runtime:
        client = runtime.lambda_client(read_timeout=15)
        busy = threading.Thread(target=invoke, args=(client, 'toolbox-dev-Sleep',
                                                     {'seconds': 0.8}))
        busy.start()
        pool = runtime.runtime.pool(runtime.runtime.registry.lookup('toolbox-dev-Sleep'))
        wait_until(lambda: pool.stats()['in_flight'] == 1)
        with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
            client.invoke(FunctionName='toolbox-dev-Echo', Payload=b'{}')
        busy.join(timeout=10)
        assert caught.value.response['Reason'] == 'ConcurrentInvocationLimitExceeded'


def test_with_a_bound_on_sandboxes_a_caller_waits_for_a_sandbox():
    with testing.lambda_runtime([TOOLBOX], max_sandboxes=1) as runtime:
        client = runtime.lambda_client(read_timeout=15)
        results = []

        def call():
            results.append(invoke(client, 'toolbox-dev-Sleep', {'seconds': 0.3})[1])

        threads = [threading.Thread(target=call) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        assert [result['slept'] for result in results] == [0.3, 0.3, 0.3]
        assert len({result['pid'] for result in results}) == 1  # one sandbox, in turn


def test_editing_the_app_takes_effect_on_the_next_invocation(toolbox_copy):
    with testing.lambda_runtime([toolbox_copy]) as runtime:
        client = runtime.lambda_client()
        assert invoke(client, 'toolbox-dev-Echo', {})[1]['version'] == 1
        answers = toolbox_copy / 'chalicelib' / 'answers.py'
        answers.write_text('VERSION = 2\n')
        _touch_later(answers)
        assert invoke(client, 'toolbox-dev-Echo', {})[1]['version'] == 2


def test_a_function_added_while_running_is_found(toolbox_copy):
    with testing.lambda_runtime([toolbox_copy]) as runtime:
        client = runtime.lambda_client()
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName='toolbox-dev-Added')
        app = toolbox_copy / 'app.py'
        app.write_text(app.read_text() + '\n\n@app.lambda_function(name="Added")\n'
                                         'def added(event, context):\n    return "new"\n')
        _touch_later(app)
        assert invoke(client, 'toolbox-dev-Added', {})[1] == 'new'


def test_a_broken_edit_is_a_function_error_until_it_is_fixed(toolbox_copy):
    with testing.lambda_runtime([toolbox_copy]) as runtime:
        client = runtime.lambda_client()
        answers = toolbox_copy / 'chalicelib' / 'answers.py'
        answers.write_text('VERSION = (\n')
        _touch_later(answers)
        response, error = invoke(client, 'toolbox-dev-Echo', {})
        assert response['FunctionError'] == 'Unhandled'
        assert error['errorType'] == 'Runtime.UserCodeSyntaxError'
        answers.write_text('VERSION = 3\n')
        _touch_later(answers, seconds=2)
        assert invoke(client, 'toolbox-dev-Echo', {})[1]['version'] == 3


def _touch_later(path, seconds=1):
    """An mtime clearly after the previous one, whatever the clock's grain,
    and past the runtime's fingerprint cache."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))
    time.sleep(0.3)


def test_a_fault_of_the_runtime_itself_is_a_500_service_exception():
    from tests.local_stack.conftest import OTHER
    with testing.lambda_runtime([OTHER]) as runtime:
        def broken(name):
            raise RuntimeError('registry exploded')
        runtime.runtime.registry.lookup = broken
        client = runtime.lambda_client()
        with pytest.raises(client.exceptions.ServiceException) as caught:
            client.invoke(FunctionName='other-dev-Peek')
        assert caught.value.response['ResponseMetadata']['HTTPStatusCode'] == 500


def test_a_change_in_a_folder_the_app_imports_from_outside_changes_its_fingerprint(
        toolbox_copy, tmp_path):
    from local_stack.apps import AppDirectory
    shared = tmp_path / 'shared'
    shared.mkdir()
    (shared / 'rules.py').write_text('RULE = 1\n')
    app = AppDirectory(toolbox_copy, extra_sources=[shared])
    before = app.source_fingerprint()
    _touch_later(shared / 'rules.py')
    assert app.source_fingerprint() != before


def test_after_an_answer_the_fingerprint_is_taken_again_once_half_its_lifetime_passed(
        toolbox_copy, monkeypatch):
    """So the next invocation finds a fresh one and does not walk the source
    tree while its caller waits; a fingerprint younger than that is kept."""
    import types

    from local_stack import apps
    now = [1000.0]
    monkeypatch.setattr(apps, 'time', types.SimpleNamespace(monotonic=lambda: now[0]))
    app = apps.AppDirectory(toolbox_copy)
    before = app.source_fingerprint()
    _touch_later(toolbox_copy / 'app.py')  # the fingerprint's clock stands still meanwhile
    now[0] += apps.FINGERPRINT_TTL_SECONDS / 4
    app.refresh_fingerprint_ahead()
    assert app.source_fingerprint() == before
    now[0] += apps.FINGERPRINT_TTL_SECONDS / 4
    app.refresh_fingerprint_ahead()
    assert app.source_fingerprint() != before  # within its lifetime, yet taken again
