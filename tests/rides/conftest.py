"""rides with a ride history behind it: a fake ListRideRecords (see
fake_history.py) on rides' Lambda client, beside the in-process fleet."""
import pytest
from chalice.config import Config
from chalice.test import Client

from project.model import ChaliceApp
from shared.adapters import aws_clients
from tests.rides.fake_history import HISTORY_ARN, FakeHistoryLambda, FakeListRideRecords
from tests.support.apps import RIDES_DIR


@pytest.fixture
def history(fleet_lambda, monkeypatch):
    """The fake ListRideRecords that rides' Lambda client reaches."""
    fake = FakeListRideRecords()
    lambda_client = FakeHistoryLambda(fake, fleet_lambda)
    monkeypatch.setattr(aws_clients, 'lambda_client', lambda: lambda_client)
    return fake


@pytest.fixture
def history_client(rides_module, history, rides_topic, fleet_arn_parameter):
    """rides' test client, with ListRideRecords' ARN set in its environment
    (as once ride-record is deployed and its SSM parameter read; the SSM
    lookup itself is tested in test_ride_history_api.py)."""
    rides_module.history.cache_clear()
    client = Client(rides_module.app, stage_name='dev', project_dir=str(RIDES_DIR))
    client._chalice_config_obj = Config(
        chalice_stage='dev', config_from_disk=ChaliceApp(RIDES_DIR).config,
        default_params={'project_dir': str(RIDES_DIR)},
        user_provided_params={'environment_variables': {'LIST_RIDE_RECORDS_ARN': HISTORY_ARN}})
    with client:
        yield client
    rides_module.history.cache_clear()
