"""Fixtures for the deploy tests: the packaged apps, built once a session,
and the AWS call recorder, installed as soon as this folder is collected so
that it sees every test of the session (the least-privilege check that reads
it is moved to the end of the run)."""
import boto3
import botocore.session
import pytest

from tests.deploy import aws_calls
from tests.deploy.packages import Builds

aws_calls.install()

RUN_LAST = 'test_every_aws_call_the_suite_made_was_allowed'


@pytest.fixture(scope='session')
def builds(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp('build'))


@pytest.fixture
def no_aws(monkeypatch):
    """Creating any boto3/botocore client fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError('a dry run created an AWS client')
    monkeypatch.setattr(boto3.session.Session, 'client', refuse)
    monkeypatch.setattr(botocore.session.Session, 'create_client', refuse)


def pytest_collection_modifyitems(items):
    last = [item for item in items if item.name == RUN_LAST]
    items[:] = [item for item in items if item.name != RUN_LAST] + last
