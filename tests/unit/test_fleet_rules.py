"""The fleet's rules, stated once and checked on every store: a uniform
choice over the free unicorns, a lease that ends by itself, a claim that
never takes a held unicorn (a lost race draws again), one unicorn per ride
however often it asks, a release that frees only what the ride holds, and a
reload that frees nothing.

`store` is an empty fleet store: in-memory here (tests/unit/conftest.py),
DynamoDB through moto in tests/fleet/test_fleet_rules_on_dynamodb.py."""
import collections
import json
import random
import threading
import uuid

import pytest
import scipy.stats

from shared.domain.catalog import load_fleet, read_catalog
from shared.domain.errors import NoUnicornAvailable, RideInProgress, RideNotFound
from shared.domain.fleet import CLAIM_ATTEMPTS, Fleet
from shared.domain.fleet_store import ClaimConflict, RideOrder
from tests.support.apps import FLEET_DIR

CATALOG = read_catalog(FLEET_DIR / 'chalicelib' / 'unicorns.json')
NAMES = {unicorn['Name'] for unicorn in CATALOG}
START = 1_800_000_000
LEASE = 300


class Clock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fleet(store, clock):
    """The catalog's 16 unicorns, all free, with a seeded choice."""
    load_fleet(store, CATALOG)
    return Fleet(store, lease_seconds=LEASE, rng=random.Random(2026), clock=clock)


def new_ride():
    return str(uuid.uuid4())


def rider_of(ride_id):
    """Each ride its own rider, unless a test says otherwise."""
    return f'rider-{ride_id}'


def order(ride_id, rider_id=None):
    return RideOrder(ride_id, rider_id or rider_of(ride_id),
                     pickup={'Latitude': 47.6, 'Longitude': -122.3},
                     request_time='2027-01-15T08:00:00.000+00:00')


def hold(fleet, count):
    """Dispatch `count` unicorns to new rides; {unicorn name: ride id}."""
    held = {}
    for _ in range(count):
        ride_id = new_ride()
        held[fleet.dispatch(order(ride_id))['Name']] = ride_id
    return held


def held_unicorns(store, now):
    """{unicorn name: ride id} for every unicorn on a ride at `now`."""
    unicorns = [store.unicorn(name) for name in store.unicorn_names()]
    return {u['Name']: u.get('RideId') for u in unicorns if u['BusyUntil'] >= now}


def assert_uniform(counts, expected_names):
    assert set(counts) == set(expected_names)
    result = scipy.stats.chisquare(list(counts.values()))
    assert result.pvalue > 0.001, (
        f'chi-square {result.statistic:.1f} on {len(counts) - 1} degrees of freedom')


# -- selection -------------------------------------------------------------

def test_every_unicorn_is_chosen_with_equal_chance(fleet):
    counts = collections.Counter(fleet.show_available()['Name'] for _ in range(800))

    assert_uniform(counts, NAMES)


@pytest.mark.parametrize('busy', [6, 14])
def test_the_choice_is_uniform_over_the_free_unicorns_however_many_are_busy(fleet, busy):
    """6 busy: random slot picks find a free one; 14 of 16: the picks keep
    missing and the list of free unicorns is read instead."""
    held = hold(fleet, busy)

    counts = collections.Counter(fleet.show_available()['Name'] for _ in range(300))

    assert_uniform(counts, NAMES - set(held))


def test_showing_a_unicorn_holds_nothing(fleet, store, clock):
    fleet.show_available()

    assert held_unicorns(store, clock.now) == {}


def test_an_empty_fleet_has_no_unicorn_to_give(store, clock):
    with pytest.raises(NoUnicornAvailable, match='the fleet is empty'):
        Fleet(store, clock=clock).dispatch(order(new_ride()))


# -- the lease -------------------------------------------------------------

def test_a_dispatch_holds_its_unicorn_for_the_lease(fleet, store, clock):
    ride_id = new_ride()

    name = fleet.dispatch(order(ride_id))['Name']

    assert store.unicorn(name)['BusyUntil'] == clock.now + LEASE
    assert held_unicorns(store, clock.now) == {name: ride_id}
    assert store.ride_of(rider_of(ride_id)).busy_until == clock.now + LEASE


def test_a_lease_that_runs_out_frees_the_unicorn_without_any_clean_up(fleet, store, clock):
    held = hold(fleet, len(NAMES))
    with pytest.raises(NoUnicornAvailable, match='every unicorn is on a ride'):
        fleet.dispatch(order(new_ride()))

    clock.now += LEASE  # the last second of the lease: still busy
    with pytest.raises(NoUnicornAvailable):
        fleet.dispatch(order(new_ride()))
    clock.now += 1
    late_ride = new_ride()
    name = fleet.dispatch(order(late_ride))['Name']

    assert held[name] != late_ride
    assert held_unicorns(store, clock.now) == {name: late_ride}


# -- the claim: never a held unicorn ---------------------------------------

def test_a_claim_on_a_unicorn_another_ride_holds_is_refused_even_for_a_longer_lease(
        fleet, store, clock):
    """The unicorn is free only once its lease ran out, not whenever the
    new lease would end later than the old one."""
    first_ride = new_ride()
    name = fleet.dispatch(order(first_ride))['Name']
    later = clock.now + 10

    with pytest.raises(ClaimConflict) as conflict:
        store.claim(store.unicorn(name), order(new_ride()), now=later,
                    busy_until=later + LEASE, expires_at=later + 2 * LEASE)

    assert (conflict.value.unicorn_taken, conflict.value.rider_busy) == (True, False)
    assert held_unicorns(store, later) == {name: first_ride}


def test_a_claim_for_a_ride_that_already_holds_a_unicorn_is_refused(fleet, store, clock):
    ride_id = new_ride()
    name = fleet.dispatch(order(ride_id))['Name']
    other = next(store.unicorn(n) for n in sorted(NAMES) if n != name)

    with pytest.raises(ClaimConflict) as conflict:
        store.claim(other, order(ride_id), now=clock.now, busy_until=clock.now + LEASE,
                    expires_at=clock.now + 2 * LEASE)

    assert (conflict.value.unicorn_taken, conflict.value.rider_busy) == (False, True)
    assert held_unicorns(store, clock.now) == {name: ride_id}


def test_a_claim_after_the_lease_ran_out_takes_the_unicorn(fleet, store, clock):
    name = fleet.dispatch(order(new_ride()))['Name']
    later = clock.now + LEASE + 1
    next_ride = new_ride()

    store.claim(store.unicorn(name), order(next_ride), now=later, busy_until=later + LEASE,
                expires_at=later + 2 * LEASE)

    assert held_unicorns(store, later) == {name: next_ride}


class Racing:
    """A store on which, just before a dispatch's claim, another writer
    claims something first: `before_claim(store, unicorn)` does it."""

    def __init__(self, store, before_claim):
        self._store = store
        self._before_claim = before_claim

    def __getattr__(self, name):
        return getattr(self._store, name)

    def claim(self, unicorn, ride_order, **times):
        self._before_claim(self._store, unicorn, times)
        return self._store.claim(unicorn, ride_order, **times)


def test_a_dispatch_that_loses_its_unicorn_to_another_ride_draws_again(store, fleet, clock):
    rival = new_ride()
    lost = []

    def rival_first(store, unicorn, times):
        if not lost:
            lost.append(unicorn['Name'])
            store.claim(unicorn, order(rival), **times)

    ride_id = new_ride()
    name = Fleet(Racing(store, rival_first), clock=clock).dispatch(order(ride_id))['Name']

    assert name != lost[0]
    assert held_unicorns(store, clock.now) == {lost[0]: rival, name: ride_id}


def test_a_dispatch_that_loses_every_race_gives_up_and_holds_nothing(store, fleet, clock):
    rivals = []

    def rival_first(store, unicorn, times):
        rivals.append(new_ride())
        store.claim(unicorn, order(rivals[-1]), **times)

    with pytest.raises(NoUnicornAvailable, match='taken by another ride'):
        Fleet(Racing(store, rival_first), clock=clock).dispatch(order(new_ride()))

    assert len(rivals) == CLAIM_ATTEMPTS
    assert sorted(held_unicorns(store, clock.now).values()) == sorted(rivals)


def test_a_concurrent_retry_of_the_same_ride_that_won_is_answered_with_its_unicorn(
        store, fleet, clock):
    ride_id = new_ride()
    won = []

    def same_ride_first(store, unicorn, times):
        if not won:
            other = next(store.unicorn(n) for n in sorted(NAMES) if n != unicorn['Name'])
            won.append(other['Name'])
            store.claim(other, order(ride_id), **times)

    unicorn = Fleet(Racing(store, same_ride_first), clock=clock).dispatch(order(ride_id))

    assert unicorn['Name'] == won[0]
    assert held_unicorns(store, clock.now) == {won[0]: ride_id}


# -- one unicorn per ride ----------------------------------------------------

def test_the_same_ride_id_twice_gets_the_same_unicorn_and_holds_one(fleet, store, clock):
    ride_id = new_ride()

    first = fleet.dispatch(order(ride_id))
    second = fleet.dispatch(order(ride_id))

    assert first == second
    assert held_unicorns(store, clock.now) == {first['Name']: ride_id}


def test_a_ride_that_holds_the_last_free_unicorn_gets_it_again(fleet, store, clock):
    """Every other unicorn is busy: a repeated dispatch (a retry after a
    timeout) must answer the ride's unicorn, not NoUnicornAvailable."""
    held = hold(fleet, len(NAMES) - 1)
    ride_id = new_ride()
    last = fleet.dispatch(order(ride_id))

    again = fleet.dispatch(order(ride_id))

    assert again == last
    assert held_unicorns(store, clock.now) == {**held, last['Name']: ride_id}


def test_a_completed_ride_dispatched_again_gets_its_unicorn_and_holds_nothing(
        fleet, store, clock):
    ride_id = new_ride()
    unicorn = fleet.dispatch(order(ride_id))
    fleet.release(ride_id, rider_of(ride_id))

    assert fleet.dispatch(order(ride_id)) == unicorn
    assert held_unicorns(store, clock.now) == {}


# -- release ---------------------------------------------------------------

def test_release_frees_the_unicorn_for_the_next_ride(fleet, store, clock):
    held = hold(fleet, len(NAMES) - 1)
    ride_id = new_ride()
    unicorn = fleet.dispatch(order(ride_id))

    answer = fleet.release(ride_id, rider_of(ride_id))

    # The answer now is the whole ride (rider, pickup, time, status), as GET /ride shows it.
    assert answer == {'RideId': ride_id, 'Completed': True, 'Unicorn': unicorn,
                      'RiderId': rider_of(ride_id), 'Status': 'completed',
                      'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3},
                      'RequestTime': '2027-01-15T08:00:00.000+00:00'}
    assert held_unicorns(store, clock.now) == held
    assert fleet.dispatch(order(new_ride())) == unicorn  # the only free one


def test_releasing_twice_gives_the_same_answer_and_frees_nothing_more(fleet, store, clock):
    ride_id = new_ride()
    fleet.dispatch(order(ride_id))
    others = hold(fleet, 3)

    first = fleet.release(ride_id, rider_of(ride_id))
    second = fleet.release(ride_id, rider_of(ride_id))

    assert first == second
    assert held_unicorns(store, clock.now) == others


def test_releasing_an_unknown_ride_is_not_found_and_frees_nothing(fleet, store, clock):
    held = hold(fleet, 3)
    ride_id = new_ride()

    with pytest.raises(RideNotFound, match=ride_id):
        fleet.release(ride_id, rider_of(ride_id))

    assert held_unicorns(store, clock.now) == held


def test_an_expired_ride_released_late_does_not_free_its_unicorns_new_ride(fleet, store, clock):
    old_ride = new_ride()
    name = fleet.dispatch(order(old_ride))['Name']
    clock.now += 30
    hold(fleet, len(NAMES) - 1)  # their leases run 30 s longer
    clock.now += LEASE - 29
    new = new_ride()
    assert fleet.dispatch(order(new))['Name'] == name  # the only free one

    fleet.release(old_ride, rider_of(old_ride))

    assert held_unicorns(store, clock.now)[name] == new
    assert store.ride_of(rider_of(old_ride)).completed


# -- riders: one active ride each, and only their own rides -----------------

RIDER = 'rider-ada'


def test_a_rider_who_holds_a_unicorn_is_refused_a_second_one_naming_the_active_ride(
        fleet, store, clock):
    first = new_ride()
    name = fleet.dispatch(order(first, RIDER))['Name']

    with pytest.raises(RideInProgress) as busy:
        fleet.dispatch(order(new_ride(), RIDER))

    assert busy.value.ride_id == first
    assert busy.value.to_body()['RideId'] == first
    assert held_unicorns(store, clock.now) == {name: first}


def test_a_rider_who_holds_a_unicorn_is_refused_even_when_the_fleet_is_full(fleet, store, clock):
    first = new_ride()
    fleet.dispatch(order(first, RIDER))
    held = hold(fleet, len(NAMES) - 1)

    with pytest.raises(RideInProgress):
        fleet.dispatch(order(new_ride(), RIDER))

    assert len(held_unicorns(store, clock.now)) == len(held) + 1


def test_a_claim_for_a_rider_who_holds_another_unicorn_is_refused(fleet, store, clock):
    name = fleet.dispatch(order(new_ride(), RIDER))['Name']
    other = next(store.unicorn(n) for n in sorted(NAMES) if n != name)

    with pytest.raises(ClaimConflict) as conflict:
        store.claim(other, order(new_ride(), RIDER), now=clock.now,
                    busy_until=clock.now + LEASE, expires_at=clock.now + 2 * LEASE)

    assert (conflict.value.unicorn_taken, conflict.value.rider_busy) == (False, True)
    assert list(held_unicorns(store, clock.now)) == [name]


def test_completing_the_ride_frees_the_rider_for_the_next_one(fleet, store, clock):
    first = new_ride()
    fleet.dispatch(order(first, RIDER))
    fleet.release(first, RIDER)
    second = new_ride()

    name = fleet.dispatch(order(second, RIDER))['Name']

    assert held_unicorns(store, clock.now) == {name: second}


def test_the_lease_running_out_frees_the_rider_too(fleet, store, clock):
    fleet.dispatch(order(new_ride(), RIDER))
    clock.now += LEASE + 1
    second = new_ride()

    name = fleet.dispatch(order(second, RIDER))['Name']

    assert held_unicorns(store, clock.now) == {name: second}


def test_ten_concurrent_dispatches_for_one_rider_hold_one_unicorn(fleet, store, clock):
    rides = [new_ride() for _ in range(10)]
    results = {}
    start = threading.Barrier(len(rides))

    def dispatch(ride_id):
        start.wait()
        try:
            results[ride_id] = fleet.dispatch(order(ride_id, RIDER))['Name']
        except RideInProgress as busy:
            results[ride_id] = busy

    threads = [threading.Thread(target=dispatch, args=(ride_id,)) for ride_id in rides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = {ride: name for ride, name in results.items() if isinstance(name, str)}
    assert len(results) == 10 and len(winners) == 1
    [(winner, name)] = winners.items()
    assert {busy.ride_id for busy in results.values() if isinstance(busy, RideInProgress)} == {winner}
    assert held_unicorns(store, clock.now) == {name: winner}


def test_reading_a_ride_shows_its_unicorn_pickup_time_and_status(fleet, clock):
    ride_id = new_ride()
    unicorn = fleet.dispatch(order(ride_id, RIDER))

    ride = fleet.ride(ride_id, RIDER)

    assert ride == {'RideId': ride_id, 'RiderId': RIDER, 'Unicorn': unicorn,
                    'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3},
                    'RequestTime': '2027-01-15T08:00:00.000+00:00', 'Status': 'active'}


def test_a_ride_is_completed_once_released_and_expired_once_its_lease_ran_out(fleet, clock):
    completed, expired = new_ride(), new_ride()
    fleet.dispatch(order(completed, 'rider-1'))
    fleet.release(completed, 'rider-1')
    fleet.dispatch(order(expired, 'rider-2'))
    clock.now += LEASE + 1

    assert fleet.ride(completed, 'rider-1')['Status'] == 'completed'
    assert fleet.ride(expired, 'rider-2')['Status'] == 'expired'


def test_another_riders_ride_is_not_found_exactly_like_an_unknown_one(fleet, store, clock):
    theirs = new_ride()
    name = fleet.dispatch(order(theirs, 'rider-bob'))['Name']
    unknown = new_ride()
    fleet.dispatch(order(new_ride(), RIDER))

    answers = []
    for ride_id in (theirs, unknown):
        for call in (fleet.ride, fleet.release):
            with pytest.raises(RideNotFound) as missing:
                call(ride_id, RIDER)
            answers.append(missing.value.to_body()['Message'].replace(ride_id, '<id>'))

    assert len(set(answers)) == 1
    assert held_unicorns(store, clock.now)[name] == theirs
    assert fleet.ride(theirs, 'rider-bob')['Status'] == 'active'


def test_completing_a_completed_ride_again_answers_the_same_ride(fleet):
    ride_id = new_ride()
    fleet.dispatch(order(ride_id, RIDER))

    first = fleet.release(ride_id, RIDER)
    second = fleet.release(ride_id, RIDER)

    assert first == second
    assert first['Status'] == 'completed' and first['Completed'] is True


def test_a_pickup_comes_back_exactly_even_one_dynamodb_numbers_cannot_hold(fleet):
    ride_id = new_ride()
    pickup = {'Latitude': 5e-324, 'Longitude': -122.33310000000001}
    fleet.dispatch(RideOrder(ride_id, RIDER, pickup=pickup))

    assert fleet.ride(ride_id, RIDER)['PickupLocation'] == pickup


# -- reloading the catalog ---------------------------------------------------

def test_reloading_the_catalog_keeps_every_unicorn_on_its_ride(fleet, store, clock):
    held = hold(fleet, 5)

    load_fleet(store, CATALOG)

    assert held_unicorns(store, clock.now) == held
    assert set(hold(fleet, len(NAMES) - 5)).isdisjoint(held)


def test_reloading_a_smaller_catalog_drops_the_unicorns_that_left_it(fleet, store):
    kept = sorted(CATALOG, key=lambda unicorn: unicorn['Name'])[:4]

    result = load_fleet(store, kept)

    assert result == {'Loaded': 4, 'Removed': sorted(NAMES - {u['Name'] for u in kept})}
    assert sorted(store.unicorn_names()) == [u['Name'] for u in kept]
    assert store.fleet_size() == 4


# -- answers -----------------------------------------------------------------

def test_answers_hold_the_catalog_entry_as_plain_json_and_nothing_internal(fleet):
    ride_id = new_ride()

    answers = [fleet.show_available(), fleet.dispatch(order(ride_id)),
               fleet.release(ride_id, rider_of(ride_id))['Unicorn']]

    catalog = {unicorn['Name']: unicorn for unicorn in CATALOG}
    for answer in answers:
        assert json.loads(json.dumps(answer, allow_nan=False)) == catalog[answer['Name']]
        assert all(type(value) in (str, int, float) for value in answer.values())
