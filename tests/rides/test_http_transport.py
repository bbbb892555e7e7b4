"""The HTTP transport against the fleet app served for real on 127.0.0.1
by Chalice's local server (in a thread), not a mocked `requests`."""
import threading
import uuid

import botocore.credentials
import pytest
from chalice.cli.factory import CLIFactory
from chalice.local import LocalDevServer

from shared import budget
from shared.adapters.transports.http import HttpTransport, SigV4Signer
from shared.domain.errors import FleetError, NoUnicornAvailable, RideInProgress, RideNotFound
from shared.domain.fleet_client import FleetClient
from shared.domain.parsing import PickupLocation
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR
from tests.support.fake_lambda_server import FakeLambdaServer, raw_answer

PICKUP = PickupLocation(47.6, -122.3)
RIDER = 'rider-ada'
CATALOG_NAMES = {unicorn['Name'] for unicorn in aws_support.catalog()}


@pytest.fixture
def fleet_url(fleet_module, fleet_env, monkeypatch, aws):
    for name, value in fleet_env.items():
        monkeypatch.setenv(name, value)
    config = CLIFactory(project_dir=str(FLEET_DIR)).create_config_obj('dev')
    server = LocalDevServer(fleet_module.app, config, '127.0.0.1', 0)
    thread = threading.Thread(target=server.server.serve_forever,
                              kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server.server_address[1]}/unicorn'
    server.shutdown()
    server.server.server_close()


def client_for(url):
    signer = SigV4Signer(botocore.credentials.Credentials('testing', 'testing'), 'us-east-1')
    return FleetClient(HttpTransport(url, budget.FLEET_CALL, signer=signer),
                       budget.FLEET_CALL.retry, budget.FLEET_RELEASE.retry,
                       sleep=lambda seconds: None)


def test_a_ride_gets_a_unicorn_over_http_and_the_fleet_holds_it(fleet_url, fleet_table):
    ride_id = str(uuid.uuid4())

    unicorn = client_for(fleet_url).request_unicorn(ride_id, RIDER, PICKUP)

    assert unicorn['Name'] in CATALOG_NAMES
    assert fleet_table.ride_of(RIDER).unicorn['Name'] == unicorn['Name']


def test_release_over_http_frees_the_unicorn(fleet_url, fleet_table):
    ride_id = str(uuid.uuid4())
    client = client_for(fleet_url)
    unicorn = client.request_unicorn(ride_id, RIDER, PICKUP)

    client.release_unicorn(ride_id, RIDER)

    assert fleet_table.unicorn(unicorn['Name'])['BusyUntil'] == 0


def test_an_unknown_ride_is_not_found_over_http(fleet_url, fleet_table):
    with pytest.raises(RideNotFound):
        client_for(fleet_url).release_unicorn(str(uuid.uuid4()), RIDER)


def test_an_empty_fleet_answers_503_which_becomes_no_unicorn(fleet_url, empty_fleet_table):
    with pytest.raises(NoUnicornAvailable, match='empty'):
        client_for(fleet_url).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


def test_a_non_json_answer_is_a_fleet_error():
    with FakeLambdaServer(default=raw_answer('<html>oops</html>')) as server:
        with pytest.raises(FleetError, match='not JSON'):
            client_for(server.url + '/unicorn').release_unicorn(str(uuid.uuid4()), RIDER)


def test_a_non_2xx_without_the_error_shape_is_a_fleet_error():
    with FakeLambdaServer(default=raw_answer('denied', status=403)) as server:
        with pytest.raises(FleetError, match='HTTP 403'):
            client_for(server.url + '/unicorn').release_unicorn(str(uuid.uuid4()), RIDER)


def test_nobody_listening_is_a_fleet_error():
    with pytest.raises(FleetError, match='could not reach'):
        client_for('http://127.0.0.1:9/unicorn').request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


def test_a_rider_with_a_ride_in_progress_gets_409_over_http_naming_it(fleet_url, fleet_table):
    client = client_for(fleet_url)
    first = str(uuid.uuid4())
    client.request_unicorn(first, RIDER, PICKUP, '2027-01-15T08:00:00.000+00:00')

    with pytest.raises(RideInProgress) as busy:
        client.request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert busy.value.ride_id == first


def test_a_ride_reads_back_over_http_with_its_pickup_time_and_status(fleet_url, fleet_table):
    client = client_for(fleet_url)
    ride_id = str(uuid.uuid4())
    unicorn = client.request_unicorn(ride_id, RIDER, PICKUP, '2027-01-15T08:00:00.000+00:00')

    ride = client.ride(ride_id, RIDER)

    assert ride == {'RideId': ride_id, 'RiderId': RIDER, 'Unicorn': unicorn, 'Status': 'active',
                    'PickupLocation': PICKUP.to_dict(),
                    'RequestTime': '2027-01-15T08:00:00.000+00:00'}


def test_another_riders_ride_is_not_found_over_http(fleet_url, fleet_table):
    client = client_for(fleet_url)
    ride_id = str(uuid.uuid4())
    client.request_unicorn(ride_id, RIDER, PICKUP)

    with pytest.raises(RideNotFound):
        client.ride(ride_id, 'rider-bob')
    with pytest.raises(RideNotFound):
        client.release_unicorn(ride_id, 'rider-bob')
