"""Selection is uniform over the fleet and costs the same number of DynamoDB
requests at any fleet size (the workshop's original `scan(Limit=5)` only ever returned
the first five unicorns)."""
import collections
import random
import uuid

import boto3

from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore
from shared.domain.catalog import load_fleet
from shared.domain.fleet import Fleet
from shared.domain.fleet_store import RideOrder
from testkit.catalog import make_unicorns
from testkit.dynamodb import RequestCounter
from testkit.stats import uniformity
from tests.support import aws as aws_support


def test_every_unicorn_is_chosen_with_equal_chance(fleet_table):
    fleet = Fleet(fleet_table, rng=random.Random(2026))
    draws = 1600

    counts = collections.Counter(fleet.show_available()['Name'] for _ in range(draws))

    unicorns = aws_support.catalog()
    assert len(unicorns) == 16
    assert set(counts) == {unicorn['Name'] for unicorn in unicorns}
    statistic, p_value = uniformity(list(counts.values()))
    assert p_value > 0.001, f'chi-square {statistic:.1f} on 15 degrees of freedom'


def dispatch_requests(fleet_size, table_name):
    client = boto3.client('dynamodb', region_name=aws_support.REGION)
    aws_support.create_fleet_table(table_name)
    store = DynamoDbFleetStore(client, table_name)
    load_fleet(store, make_unicorns(fleet_size))
    counter = RequestCounter(client)
    Fleet(store, rng=random.Random(7)).dispatch(RideOrder(str(uuid.uuid4()), 'rider-1'))
    return counter.take()


def test_dynamodb_requests_per_dispatch_do_not_grow_with_the_fleet(aws):
    small = dispatch_requests(10, 'fleet-10')
    large = dispatch_requests(1000, 'fleet-1000')

    assert small == large
    assert 'Scan' not in large
    assert sum(large.values()) <= 4
    # The rider's lock rides in the claim's transaction: no read of the rider first.
    assert large == {'GetItem': 1, 'Query': 1, 'TransactWriteItems': 1}
