"""Debugging locally: one function's sandbox under debugpy, waiting for an
IDE; and `chalice local` restarting when code outside the app changes."""
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from botocore.exceptions import ReadTimeoutError

from local_stack import testing
from local_stack.sandbox import DEBUG_PORT
from tests.local_stack.conftest import TOOLBOX


def listening(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(listening(DEBUG_PORT), reason=f'port {DEBUG_PORT} is already in use')
def test_the_debugged_functions_sandbox_waits_under_debugpy_for_an_ide():
    lines = []
    with testing.lambda_runtime([TOOLBOX], debug='Echo', log=lines.append) as runtime:
        client = runtime.lambda_client(read_timeout=3)
        outcomes = []

        def call():
            try:
                client.invoke(FunctionName='toolbox-dev-Echo')
                outcomes.append('answered')
            except ReadTimeoutError:
                outcomes.append('still waiting for the IDE')

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 30
        while not listening(DEBUG_PORT) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listening(DEBUG_PORT)  # debugpy, until an IDE attaches
        pool = runtime.runtime.pool(runtime.runtime.registry.lookup('toolbox-dev-Echo'))
        assert pool.stats()['ready'] == 0 and pool.stats()['starting'] == 1
        caller.join(timeout=10)
    assert outcomes == ['still waiting for the IDE']
    assert any('debugpy waits for an IDE to attach on 127.0.0.1:5678' in line for line in lines)


def test_chalice_local_restarts_when_a_watched_folder_outside_the_app_changes(tmp_path,
                                                                               toolbox_copy):
    watched = tmp_path / 'shared'
    watched.mkdir()
    module = watched / 'rules.py'
    module.write_text('RULE = 1\n')
    port = testing.free_ports(1)[0]
    env = {**os.environ, 'LOCAL_STACK_WATCH_DIRS': str(watched), 'PYTHONUNBUFFERED': '1',
           'PYTHONDONTWRITEBYTECODE': '1', 'PYTHONPATH': str(testing.PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, '-m', 'local_stack.chalice_local', '--project-dir', str(toolbox_copy),
         'local', '--host', '127.0.0.1', '--port', str(port), '--autoreload'],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not listening(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listening(port)
        time.sleep(1.5)  # the stat() watcher's first pass
        stat = module.stat()
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        restarted = False
        deadline = time.monotonic() + 30
        output = b''
        os.set_blocking(process.stdout.fileno(), False)
        while not restarted and time.monotonic() < deadline:
            output += process.stdout.read() or b''
            restarted = output.count(b'Serving on') >= 2
            time.sleep(0.2)
        assert restarted, output.decode(errors='replace')
    finally:
        os.killpg(process.pid, 9)
        process.wait(timeout=10)
        process.stdout.close()
