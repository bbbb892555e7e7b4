"""The fleet's availability under races, retries and time: no unicorn on two
rides at once, one unicorn per ride however often it asks, a lease that
frees a unicorn with nobody cleaning up, and a choice that stays uniform
over the free unicorns at a cost that does not grow with the fleet."""
import collections
import random
import threading
import uuid

import boto3
import pytest
from chalice.test import Client

from shared import wiring
from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore
from shared.domain import fleet as fleet_module
from shared.domain.catalog import load_fleet
from shared.domain.errors import NoUnicornAvailable
from shared.domain.fleet import CLAIM_ATTEMPTS, RANDOM_PICKS, Fleet
from shared.domain.fleet_store import RideOrder
from testkit.catalog import make_unicorns
from testkit.dynamodb import RequestCounter
from testkit.stats import uniformity
from tests.faults.conftest import complete_ride, post_ride
from tests.support import aws as aws_support
from tests.support.apps import RIDES_DIR
from tests.support.aws import held_unicorns
from tests.support.riders import new_rider


class Clock:
    def __init__(self, now=1_800_000_000):
        self.now = now

    def __call__(self):
        return self.now


def hold(fleet, count):
    """Dispatch `count` unicorns to new rides; {unicorn name: ride id}."""
    held = {}
    for _ in range(count):
        ride_id = str(uuid.uuid4())
        held[fleet.dispatch(order(ride_id))['Name']] = ride_id
    return held



def rider_of(ride_id):
    """Each ride its own rider here."""
    return f'rider-{ride_id}'


def order(ride_id):
    return RideOrder(ride_id, rider_of(ride_id))


# -- races -----------------------------------------------------------------

class SamePick:
    """Makes concurrent dispatches pick before any of them writes, then
    lets their conditional writes go one after the other."""

    def __init__(self, monkeypatch, parties):
        self._picked = threading.Barrier(parties, timeout=10)
        self._write = threading.Lock()
        self._waited = set()
        original = DynamoDbFleetStore.claim

        def claim(store, unicorn, ride_id, **kwargs):
            if threading.get_ident() not in self._waited:  # a redraw goes straight on
                self._waited.add(threading.get_ident())
                self._picked.wait()
            with self._write:
                return original(store, unicorn, ride_id, **kwargs)

        monkeypatch.setattr(DynamoDbFleetStore, 'claim', claim)


def run_together(calls):
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported below, with the failing call
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def test_two_rides_that_pick_the_same_unicorn_never_share_it(fleet_table, monkeypatch):
    SamePick(monkeypatch, parties=2)
    # the same seed: both picks land on the same unicorn
    fleets = [Fleet(fleet_table, rng=random.Random(5)) for _ in range(2)]
    rides = [str(uuid.uuid4()) for _ in range(2)]

    first, second = run_together([lambda f=f, r=r: f.dispatch(order(r)) for f, r in zip(fleets, rides, strict=True)])

    assert first['Name'] != second['Name']
    assert held_unicorns(fleet_table) == {first['Name']: rides[0], second['Name']: rides[1]}


class FirstPick(random.Random):
    """A random source whose first slot pick is `slot`; the rest are random."""

    def __init__(self, slot, seed):
        super().__init__(seed)
        self._first = slot

    def randrange(self, *args):
        if self._first is not None:
            slot, self._first = self._first, None
            return slot
        return super().randrange(*args)


def test_eight_concurrent_rides_on_one_slot_never_share_a_unicorn(fleet_table, monkeypatch):
    """All eight pick slot 3, then write one after the other: one wins it,
    the others draw again. A ride may run out of attempts (503, try again),
    but no unicorn is ever on two rides."""
    SamePick(monkeypatch, parties=8)
    rides = [str(uuid.uuid4()) for _ in range(8)]

    def dispatch(ride_id, seed):
        try:
            return Fleet(fleet_table, rng=FirstPick(3, seed)).dispatch(order(ride_id))['Name']
        except NoUnicornAvailable:
            return None

    names = run_together([lambda r=r, i=i: dispatch(r, i) for i, r in enumerate(rides)])

    dispatched = {name: ride for name, ride in zip(names, rides, strict=True) if name is not None}
    assert len(dispatched) == len([name for name in names if name is not None]) >= 2
    assert fleet_table.unicorn_at(3)['Name'] in dispatched
    assert held_unicorns(fleet_table) == dispatched


def test_concurrent_retries_of_one_ride_get_one_unicorn(fleet_table, monkeypatch):
    """A retry racing the first attempt: different picks, one ride record."""
    SamePick(monkeypatch, parties=2)
    ride_id = str(uuid.uuid4())

    first, second = run_together([
        lambda seed=seed: Fleet(fleet_table, rng=random.Random(seed)).dispatch(order(ride_id))
        for seed in (1, 2)])

    assert first == second
    assert held_unicorns(fleet_table) == {first['Name']: ride_id}


# -- idempotence and release -----------------------------------------------

def test_the_same_ride_id_twice_gets_the_same_unicorn_and_holds_one(fleet_table):
    fleet = Fleet(fleet_table, rng=random.Random(3))
    ride_id = str(uuid.uuid4())

    first = fleet.dispatch(order(ride_id))
    second = fleet.dispatch(order(ride_id))

    assert first == second
    assert held_unicorns(fleet_table) == {first['Name']: ride_id}


def test_completing_a_ride_over_http_frees_its_unicorn_for_the_next_rider(
        rides, endpoint, rides_topic, fleet_table):
    others = hold(Fleet(fleet_table), len(fleet_table.unicorn_names()) - 1)
    ride = post_ride(rides).json_body  # the last free unicorn
    assert post_ride(rides).status_code == 503

    response = complete_ride(rides, ride['RideId'], ride['RiderId'])

    assert response.status_code == 200
    assert {key: response.json_body[key] for key in ('RideId', 'Completed', 'Unicorn')} == {
        'RideId': ride['RideId'], 'Completed': True, 'Unicorn': ride['Unicorn']}
    assert held_unicorns(fleet_table) == others
    again = post_ride(rides)
    assert again.status_code == 201
    assert again.json_body['UnicornName'] == ride['UnicornName']
    assert [r['RideId'] for r in rides_topic.published_rides()] == [
        ride['RideId'], again.json_body['RideId']]


def test_completing_a_ride_twice_is_the_same_answer(rides, endpoint, fleet_table):
    ride = post_ride(rides).json_body

    first = complete_ride(rides, ride['RideId'], ride['RiderId'])
    second = complete_ride(rides, ride['RideId'], ride['RiderId'])

    assert first.status_code == second.status_code == 200
    assert first.json_body == second.json_body
    assert held_unicorns(fleet_table) == {}


def test_completing_an_unknown_ride_is_404_and_frees_nothing(rides, endpoint, fleet_table):
    held = hold(Fleet(fleet_table), 3)
    ride_id = str(uuid.uuid4())

    response = complete_ride(rides, ride_id, new_rider())

    assert response.status_code == 404
    assert response.json_body == {'Code': 'NotFoundError',
                                  'Message': f'no ride with RideId {ride_id}'}
    assert held_unicorns(fleet_table) == held


# -- the lease -------------------------------------------------------------

def test_a_lease_that_runs_out_frees_the_unicorn_without_any_clean_up(fleet_table):
    clock = Clock()
    fleet = Fleet(fleet_table, lease_seconds=120, clock=clock, rng=random.Random(1))
    size = len(fleet_table.unicorn_names())
    held = hold(fleet, size)
    with pytest.raises(NoUnicornAvailable, match='every unicorn is on a ride'):
        fleet.dispatch(order(str(uuid.uuid4())))

    clock.now += 120  # the last second of the lease: still busy
    with pytest.raises(NoUnicornAvailable):
        fleet.dispatch(order(str(uuid.uuid4())))
    clock.now += 1
    late_ride = str(uuid.uuid4())
    unicorn = fleet.dispatch(order(late_ride))

    assert held[unicorn['Name']] != late_ride
    assert held_unicorns(fleet_table, now=clock.now) == {unicorn['Name']: late_ride}


def test_an_expired_ride_that_completes_late_does_not_free_its_unicorns_new_ride(fleet_table):
    clock = Clock()
    fleet = Fleet(fleet_table, lease_seconds=60, clock=clock)
    old_ride = str(uuid.uuid4())
    name = fleet.dispatch(order(old_ride))['Name']
    clock.now += 30
    hold(fleet, len(fleet_table.unicorn_names()) - 1)  # their leases run 30 s longer
    clock.now += 31
    new_ride = str(uuid.uuid4())
    assert fleet.dispatch(order(new_ride))['Name'] == name  # the only free one

    fleet.release(old_ride, rider_of(old_ride))

    assert fleet_table.unicorn(name)['RideId'] == new_ride
    assert held_unicorns(fleet_table, now=clock.now)[name] == new_ride
    assert fleet_table.ride_of(rider_of(old_ride)).completed


def test_the_lease_is_read_from_the_fleet_environment(fleet_table, monkeypatch):
    monkeypatch.setenv('DYNAMODB_TABLE', 'wild-rydes-ride-fleet-dev-unicorns')
    monkeypatch.setenv('UNICORN_LEASE_SECONDS', '42')
    clock = Clock()
    monkeypatch.setattr(fleet_module, 'Fleet', lambda store, lease_seconds: Fleet(
        store, lease_seconds=lease_seconds, clock=clock))

    fleet = wiring.fleet_from_environment()
    name = fleet.dispatch(order(str(uuid.uuid4())))['Name']

    assert fleet_table.unicorn(name)['BusyUntil'] == clock.now + 42


# -- uniform choice, constant cost -----------------------------------------

@pytest.mark.parametrize('busy, draws', [(6, 500), (12, 300), (14, 200)])
def test_the_choice_is_uniform_over_the_free_unicorns(fleet_table, busy, draws):
    """6 busy: random picks find a free one; 14 of 16 busy: the picks keep
    missing and the availability index is read instead. Uniform either way."""
    held = hold(Fleet(fleet_table, rng=random.Random(0)), busy)
    fleet = Fleet(fleet_table, rng=random.Random(2026))

    counts = collections.Counter(fleet.show_available()['Name'] for _ in range(draws))

    free = set(fleet_table.unicorn_names()) - set(held)
    assert set(counts) == free
    statistic, p_value = uniformity(list(counts.values()))
    assert p_value > 0.001, f'chi-square {statistic:.1f} on {len(free) - 1} degrees of freedom'


def dispatch_costs(fleet_size, busy_share, dispatches, seed):
    """DynamoDB operations of each dispatch into a fleet with a share busy."""
    table = f'fleet-{fleet_size}-{seed}'
    client = boto3.client('dynamodb', region_name=aws_support.REGION)
    aws_support.create_fleet_table(table)
    store = DynamoDbFleetStore(client, table)
    load_fleet(store, make_unicorns(fleet_size))
    hold(Fleet(store, rng=random.Random(seed)), int(fleet_size * busy_share))
    counter = RequestCounter(client)
    fleet = Fleet(store, rng=random.Random(seed + 1))
    costs = []
    for _ in range(dispatches):
        fleet.dispatch(order(str(uuid.uuid4())))
        costs.append(list(counter.take().elements()))
    return costs


# per attempt: ride record + fleet size + RANDOM_PICKS slot queries +
# availability index + the picked unicorn + the transaction
MOST_REQUESTS = 1 + CLAIM_ATTEMPTS * (1 + RANDOM_PICKS + 1 + 1 + 1)


def test_dynamodb_requests_per_dispatch_stay_bounded_whatever_the_fleet_size(aws):
    small = dispatch_costs(20, busy_share=0.5, dispatches=5, seed=1)
    large = dispatch_costs(200, busy_share=0.5, dispatches=5, seed=1)

    for costs in (small, large):
        for operations in costs:
            assert 'Scan' not in operations
            assert set(operations) <= {'GetItem', 'Query', 'TransactWriteItems'}
            assert operations.count('TransactWriteItems') == 1  # no conflicts here
            assert len(operations) <= 1 + 1 + RANDOM_PICKS + 1 + 1 + 1
    assert max(map(len, small + large)) <= MOST_REQUESTS
    # the same random picks cost the same at 20 and 200 unicorns
    mean = lambda costs: sum(map(len, costs)) / len(costs)  # noqa: E731
    assert abs(mean(small) - mean(large)) <= RANDOM_PICKS


# -- one rider, many requests at once ------------------------------------------

def test_ten_concurrent_requests_from_one_rider_hold_one_unicorn(
        fleet_module, monkeypatch, fleet_table, fleet_lambda, rides_topic,
        fleet_arn_parameter, rides_module):
    """Ten POST /ride at once, each through its own rides sandbox (test
    client) to the fleet: one 201 and nine 409 naming the ride that won.
    The fleet's writes go through AtomicWrites, as DynamoDB applies them."""
    atomic = aws_support.AtomicWrites(boto3.client('dynamodb', region_name=aws_support.REGION))
    monkeypatch.setattr('shared.adapters.aws_clients.dynamodb_client', lambda: atomic)
    fleet_module.fleet.cache_clear()
    rider = new_rider()
    start = threading.Barrier(10, timeout=10)

    def request():
        start.wait()
        return post_ride(rides_client_for(rides_module), rider=rider)

    answers = run_together([request for _ in range(10)])

    statuses = collections.Counter(answer.status_code for answer in answers)
    assert statuses == {201: 1, 409: 9}
    [ride] = [answer.json_body for answer in answers if answer.status_code == 201]
    assert {answer.json_body['RideId'] for answer in answers if answer.status_code == 409} == {
        ride['RideId']}
    assert held_unicorns(fleet_table) == {ride['UnicornName']: ride['RideId']}
    assert rides_topic.published_rides() == [ride]


def rides_client_for(rides_module):
    return Client(rides_module.app, stage_name='dev', project_dir=str(RIDES_DIR))
