"""The stage throttle the local stack puts in front of rides: API Gateway's
token bucket (a steady rate, a burst), on a clock the test moves."""
from local_stack.api_gateway import MethodBuckets, TokenBucket, parse_throttle
from project.model import Project


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_full_bucket_lets_the_burst_through_and_refuses_the_next():
    bucket = TokenBucket(rate=50, burst=100, clock=Clock())
    assert [bucket.take() for _ in range(100)] == [True] * 100
    assert bucket.take() is False


def test_the_bucket_refills_at_the_rate_and_never_beyond_the_burst():
    clock = Clock()
    bucket = TokenBucket(rate=50, burst=100, clock=clock)
    for _ in range(100):
        bucket.take()
    clock.now += 0.1  # 5 requests' worth
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 3600
    assert sum(bucket.take() for _ in range(150)) == 100


def test_the_stack_passes_the_projects_dev_throttle():
    throttle = Project('dev').rides_throttle
    text = f'{{"rate": {throttle.rate_per_second}, "burst": {throttle.burst}}}'
    assert parse_throttle(text) == (50.0, 100)


def test_each_method_has_a_bucket_of_its_own_as_with_api_gateway_method_settings():
    buckets = MethodBuckets(rate=50, burst=100)
    assert sum(buckets.take('GET', '/') for _ in range(101)) == 100
    assert buckets.take('POST', '/ride') is True
    assert buckets.take('GET', '/ride/{ride_id}') is True
