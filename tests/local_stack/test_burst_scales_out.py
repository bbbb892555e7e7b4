"""Concurrency like Lambda under `make run`'s defaults: a burst of rides is
served by the fleet function scaling out (warm sandboxes first, new ones
paced for a small machine), not throttled. Bounded and on loopback only."""
import pytest

from local_stack import testing
from tests.load.test_ride_burst import PICKUP, burst, failures_logged

pytestmark = pytest.mark.stack

FREE_UNICORNS = 16  # the catalog LoadTable loads when the stack starts
RIDERS = 48


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack(transport='invoke') as running:  # make run's options
        yield running


def test_48_riders_and_16_free_unicorns_give_16_rides_and_32_no_unicorn_available(stack):
    assert stack['provisioned']['loaded']['Loaded'] == FREE_UNICORNS  # all of them free
    # rides' chalice local builds its clients once (a refused request), as a
    # person trying the page would; the fleet function is only as warm as
    # `make run` leaves it (one sandbox)
    assert burst(stack.rides_url, '/ride', stack.riders().many(1), {})[0][0] == 400

    results = burst(stack.rides_url, '/ride', stack.riders().many(RIDERS), PICKUP)

    statuses = sorted(status for status, _ in results)
    refusals = [body['Code'] for status, body in results if status != 201]
    assert statuses.count(201) == FREE_UNICORNS, (statuses, refusals, failures_logged(stack))
    assert refusals == ['NoUnicornAvailable'] * (RIDERS - FREE_UNICORNS), refusals
