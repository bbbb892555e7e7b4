"""The local Lambda runtime serving two small fixture apps (`fixture_apps/`),
in this process, on a free port."""
import os
import shutil
from pathlib import Path

import pytest

from local_stack import testing
from local_stack.endpoint import Endpoint, EndpointServer

FIXTURE_APPS = Path(__file__).parent / 'fixture_apps'
# The rides page's port that the in-process `endpoint` allows as an origin.
PAGE_PORT = 8123
TOOLBOX = FIXTURE_APPS / 'toolbox'
OTHER = FIXTURE_APPS / 'other'
BROKEN = FIXTURE_APPS / 'broken'
CANARY = 'LOCAL_STACK_TEST_CANARY'


@pytest.fixture(scope='module')
def runtime():
    """toolbox and other, with the stack's default concurrency settings."""
    os.environ[CANARY] = 'visible-to-the-test-process-only'
    try:
        with testing.lambda_runtime([TOOLBOX, OTHER]) as handle:
            yield handle
    finally:
        os.environ.pop(CANARY, None)


@pytest.fixture(scope='module')
def lambda_client(runtime):
    return runtime.lambda_client(read_timeout=15)


@pytest.fixture
def toolbox_copy(tmp_path):
    """An editable copy of the toolbox app."""
    copy = tmp_path / 'toolbox'
    shutil.copytree(TOOLBOX, copy, ignore=shutil.ignore_patterns('__pycache__'))
    return copy


@pytest.fixture(scope='module')
def endpoint():
    """The endpoint alone (moto behind it, no functions), page on PAGE_PORT."""
    server = EndpointServer(Endpoint(None), '127.0.0.1', 0, page_ports=(PAGE_PORT,)).start()
    try:
        yield server
    finally:
        server.stop()
