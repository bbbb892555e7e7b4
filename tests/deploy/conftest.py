"""Fixtures for the deploy tests: the packaged apps, built once a session."""
import pytest

from tests.deploy.packages import Builds


@pytest.fixture(scope='session')
def builds(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp('build'))
