"""Section 5: DynamoDB requests and wall time per dispatch at several fleet
sizes (moto, in process), and a chi-square figure for the uniformity of
selection. Requests are counted with a botocore `before-call` hook."""
import os
import random
import time
from collections import Counter
from contextlib import contextmanager

from bench.request_units import RequestUnitMeter
from bench.stats import Summary
from shared.domain.fleet_store import RideOrder
from testkit.catalog import make_unicorns
from testkit.dynamodb import RequestCounter
from testkit.stats import uniformity

TABLE = 'bench-fleet'
SEED = 20261126


@contextmanager
def moto_dynamodb():
    """A moto-backed DynamoDB client, no credentials or network needed."""
    from moto import mock_aws

    saved = dict(os.environ)
    os.environ.update({'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing',
                       'AWS_DEFAULT_REGION': 'us-east-1'})
    os.environ.pop('AWS_ENDPOINT_URL', None)
    try:
        with mock_aws():
            import boto3
            yield boto3.session.Session().client('dynamodb', region_name='us-east-1')
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fleet(client, table, size, seed):
    from shared.adapters import fleet_schema
    from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore, to_item
    from shared.domain.fleet import Fleet

    client.create_table(**fleet_schema.table_definition(table))
    store = DynamoDbFleetStore(client, table)
    # What `shared.domain.catalog.load_fleet` writes (catalog attributes, Slot,
    # Fleet, BusyUntil; then the fleet record), 25 items per request: its
    # one UpdateItem per unicorn would make moto take most of the run.
    items = [dict(unicorn, Slot=slot, Fleet=fleet_schema.FLEET_PARTITION, BusyUntil=0)
             for slot, unicorn in enumerate(make_unicorns(size))]
    for start in range(0, len(items), 25):
        client.batch_write_item(RequestItems={table: [
            {'PutRequest': {'Item': to_item(item)}} for item in items[start:start + 25]]})
    store.set_fleet_size(size)
    return Fleet(store, rng=random.Random(seed))


def measure_scale(sizes, dispatches, tick):
    """Per fleet size: DynamoDB requests per dispatch (by operation), the
    request units of a dispatch and of its completion, and the wall time of
    a dispatch. Sizes alternate, one dispatch each per round, each by a new
    rider; each ride is completed again (untimed) so the fleet stays free."""
    import uuid

    with moto_dynamodb() as client:
        fleets = {size: _fleet(client, f'{TABLE}-{size}', size, SEED + size) for size in sizes}
        counter = RequestCounter(client)
        meter = RequestUnitMeter(client)
        times = {size: [] for size in sizes}
        counts = {size: Counter() for size in sizes}
        units = {size: {'dispatch': [0.0, 0.0], 'completion': [0.0, 0.0]} for size in sizes}
        for round_index in range(dispatches + 1):  # round 0 warms up
            for size, fleet in fleets.items():
                ride_id, rider_id = str(uuid.uuid4()), str(uuid.uuid4())
                counter.take()
                meter.take()
                start = time.perf_counter()
                unicorn = fleet.dispatch(RideOrder(ride_id, rider_id))
                elapsed = time.perf_counter() - start
                requests = counter.take()
                dispatched = meter.take()
                if not unicorn.get('Name'):
                    raise RuntimeError(f'dispatch at size {size} answered {unicorn!r}')
                fleet.release(ride_id, rider_id)
                counter.take()
                completed = meter.take()
                if round_index:
                    times[size].append(elapsed * 1000)
                    counts[size].update(requests)
                    for name, measured in (('dispatch', dispatched), ('completion', completed)):
                        units[size][name][0] += measured.reads
                        units[size][name][1] += measured.writes
            if round_index:
                tick()
    return {size: {'requests_per_dispatch': sum(counts[size].values()) / dispatches,
                   'by_operation': {op: n / dispatches for op, n in sorted(counts[size].items())},
                   'units': {name: {'reads': reads / dispatches, 'writes': writes / dispatches}
                             for name, (reads, writes) in units[size].items()},
                   'time': Summary.of(times[size]), 'samples': times[size]}
            for size in sizes}


def measure_uniformity(size, draws_per_unicorn, tick, ticks=10):
    """Chi-square of how often each unicorn is picked (`show_available`, the
    same random pick a dispatch makes) over size * draws_per_unicorn draws,
    seeded; with the p-value for size - 1 degrees of freedom."""
    draws = size * draws_per_unicorn
    with moto_dynamodb() as client:
        fleet = _fleet(client, f'{TABLE}-uniformity', size, SEED)
        picks = Counter()
        for index in range(draws):
            picks[fleet.show_available()['Name']] += 1
            if (index + 1) % max(1, draws // ticks) == 0:
                tick()
    expected = draws / size
    counts = [picks.get(unicorn['Name'], 0) for unicorn in make_unicorns(size)]
    statistic, p_value = uniformity(counts)
    return {'fleet_size': size, 'draws': draws, 'seed': SEED, 'expected_per_unicorn': expected,
            'min_count': min(counts), 'max_count': max(counts), 'chi_square': statistic,
            'degrees_of_freedom': size - 1,
            'p_value': p_value}
