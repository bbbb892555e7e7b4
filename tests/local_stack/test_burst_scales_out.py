"""Concurrency like Lambda under `make run`'s defaults: a burst of rides is
served by the fleet function scaling out (warm sandboxes first, new ones
paced for a small machine), not throttled. Bounded and on loopback only."""
import pytest

from bench.fleet_scale import make_unicorns
from local_stack import testing
from shared.fleet_loader import load_fleet
from shared.fleet_store import FleetStore
from tests.load.test_ride_burst import PICKUP, burst, failures_logged
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR

pytestmark = pytest.mark.stack

FREE_UNICORNS = 16
RIDERS = 48


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack(transport='invoke') as running:  # make run's options
        yield running


def test_48_riders_and_16_free_unicorns_give_16_rides_and_32_no_unicorn_available(stack):
    table = aws_support.stage_environment(FLEET_DIR)['DYNAMODB_TABLE']
    load_fleet(FleetStore(stack.client('dynamodb'), table), make_unicorns(FREE_UNICORNS))
    # rides' chalice local builds its clients once (a refused request), as a
    # person trying the page would; the fleet function is only as warm as
    # `make run` leaves it (one sandbox)
    assert burst(stack.rides_url, '/ride', 1, {})[0][0] == 400

    results = burst(stack.rides_url, '/ride', RIDERS, PICKUP)

    statuses = sorted(status for status, _ in results)
    refusals = [body['Code'] for status, body in results if status != 201]
    assert statuses.count(201) == FREE_UNICORNS, (statuses, refusals, failures_logged(stack))
    assert refusals == ['NoUnicornAvailable'] * (RIDERS - FREE_UNICORNS), refusals
