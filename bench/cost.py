"""Section 6: what a million rides cost on AWS for each pattern, from
published list prices, each function's configured memory, the durations
measured in this run and the DynamoDB request units of one ride."""
import math
from dataclasses import dataclass

from project.model import Project

# AWS list prices, us-east-1, first volume tier, free tier ignored. Copied from
# the AWS pricing pages (PRICE_SOURCES) on PRICES_QUOTED_ON; not re-checked
# online by this program.
PRICES_QUOTED_ON = '2026-11-26'
PRICES = {
    'apigw_rest_per_million': 3.50,     # API Gateway REST API, first 333 M/month
    'apigw_http_per_million': 1.00,     # API Gateway HTTP API, first 300 M/month
    'lambda_per_million': 0.20,         # Lambda requests
    'lambda_per_gb_second': 0.0000166667,  # Lambda duration, x86
    'dynamodb_read_per_million': 0.125,    # on-demand read request units
    'dynamodb_write_per_million': 0.625,   # on-demand write request units
}
PRICE_SOURCES = (
    'Amazon API Gateway pricing — https://aws.amazon.com/api-gateway/pricing/',
    'AWS Lambda pricing — https://aws.amazon.com/lambda/pricing/',
    'Amazon DynamoDB pricing for on-demand capacity — '
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
)

# The budget the ride design must stay within: what one dispatch cost before
# riders had a lock (2 GetItem, 1 Query, 1 two-item TransactWriteItems).
DISPATCH_BUDGET = {'reads': 2.5, 'writes': 7.0}


@dataclass(frozen=True)
class RequestUnits:
    """DynamoDB request units of one ride: its dispatch plus its completion."""

    reads: float
    writes: float
    detail: str


def request_units(measured):
    """One ride's units from the scale section's metered dispatch and
    completion (bench/request_units.py applies DynamoDB's rules per call)."""
    dispatch, completion = measured['dispatch'], measured['completion']
    detail = (f'dispatch {dispatch["reads"]:g} RRU + {dispatch["writes"]:g} WRU, completion '
              f'{completion["reads"]:g} RRU + {completion["writes"]:g} WRU; the dispatch alone '
              f'was {DISPATCH_BUDGET["reads"]:g} RRU + {DISPATCH_BUDGET["writes"]:g} WRU '
              'before riders had a lock')
    return RequestUnits(reads=dispatch['reads'] + completion['reads'],
                        writes=dispatch['writes'] + completion['writes'], detail=detail)


def lambda_cost_per_million(memory_mb, duration_ms):
    """Requests plus duration (billed in whole milliseconds) of a million runs."""
    gb_seconds = memory_mb / 1024 * math.ceil(duration_ms) / 1000
    return PRICES['lambda_per_million'] + gb_seconds * PRICES['lambda_per_gb_second'] * 1e6


def patterns(memory, durations, units):
    """Line items per million rides for each pattern.

    `memory`: MB of 'rides', 'fleet_invoke' (RequestUnicornInvoke) and
    'fleet_api' (the fleet's API handler). `durations`: billed-duration
    estimates in ms for 'rides_invoke', 'rides_http', 'fleet_invoke',
    'fleet_http'. `units`: RequestUnits of one ride (dispatch and completion)."""
    dynamodb = (units.reads * PRICES['dynamodb_read_per_million']
                + units.writes * PRICES['dynamodb_write_per_million'])
    rest, http_api = PRICES['apigw_rest_per_million'], PRICES['apigw_http_per_million']

    def lines(name, rides_ms, fleet_memory, fleet_ms, fleet_gateway, gateway_name):
        items = [
            ('API Gateway REST, POST /ride', rest),
            (f'Lambda rides ({memory["rides"]} MB, {math.ceil(rides_ms)} ms billed)',
             lambda_cost_per_million(memory['rides'], rides_ms)),
            (f'Lambda fleet ({fleet_memory} MB, {math.ceil(fleet_ms)} ms billed)',
             lambda_cost_per_million(fleet_memory, fleet_ms)),
            (f'DynamoDB ({units.reads:g} RRU + {units.writes:g} WRU)', dynamodb),
        ]
        if fleet_gateway:
            items.insert(1, (f'API Gateway {gateway_name}, GET /unicorn', fleet_gateway))
        return {'name': name, 'items': items, 'total': sum(cost for _, cost in items)}

    return [
        lines('direct invoke (rides → lambda.invoke → fleet)', durations['rides_invoke'],
              memory['fleet_invoke'], durations['fleet_invoke'], 0, ''),
        lines('API Gateway REST (rides → GET /unicorn, as Chalice deploys it)',
              durations['rides_http'], memory['fleet_api'], durations['fleet_http'],
              rest, 'REST'),
        lines('API Gateway HTTP API for the fleet route (not what Chalice deploys)',
              durations['rides_http'], memory['fleet_api'], durations['fleet_http'],
              http_api, 'HTTP API'),
    ]


# Published latency figures for API Gateway, beside the local ones. Read
# from stored copies of these pages; this program does not fetch them.
PUBLISHED_LATENCY = (
    ('HTTP APIs: "up to 60% reduction in latency" against REST APIs, and "99% of all '
     'requests (p99) have less than 10 ms of additional latency from HTTP API" '
     '(request and response combined)',
     'AWS Compute Blog, "Building faster, lower cost, better APIs – HTTP APIs now '
     'generally available", March 2020 — '
     'https://aws.amazon.com/blogs/compute/building-better-apis-http-apis-now-generally-available/'),
    ('REST APIs: no fixed overhead is published; API Gateway reports it per API as '
     '`Latency` minus `IntegrationLatency` (Latency "includes the integration latency '
     'and other API Gateway overhead")',
     'Amazon API Gateway Developer Guide, "Amazon API Gateway dimensions and metrics" — '
     'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html'),
    ('Integration timeout: at most 29 s by default for REST APIs (the rides budget in '
     '`shared/budget.py` is built around it), 30 s for HTTP APIs',
     'Amazon API Gateway Developer Guide, "Amazon API Gateway quotas" — '
     'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html'),
)


def billed_durations(results):
    """Duration estimates (ms) for the cost model, and where they came from.

    With the local stack: each function's billed time is taken as the
    client-side median of its path (the fleet call alone for the fleet, the
    whole ride for rides) — an upper bound, since it includes the local
    runtime's and `chalice local`'s own overhead. Without it: the in-process
    handler medians, AWS stubbed — a lower bound, with no AWS time at all."""
    fleet_call, ride = results.get('fleet_call') or {}, results.get('ride') or {}
    if fleet_call.get('status') == 'ok' and ride.get('status') == 'ok':
        medians = {key: path['summary'].median for key, path in fleet_call['paths'].items()}
        rides = {key: path['summary'].median for key, path in ride['paths'].items()}
        return {'fleet_invoke': medians['invoke'], 'fleet_http': medians['http'],
                'rides_invoke': rides['invoke'], 'rides_http': rides['http']}, (
            'medians measured through the local stack (sections 1 and 2): upper bounds, '
            'they include the local runtime and `chalice local` overhead')
    handlers = results['handlers']
    fleet_invoke = handlers['fleet_invoke']['summaries']['fleet_invoke'].median
    fleet_http = handlers['fleet_get']['summaries']['fleet_get'].median
    rides = handlers['rides_post']['summaries']['rides_post'].median
    return {'fleet_invoke': fleet_invoke, 'fleet_http': fleet_http,
            'rides_invoke': rides + fleet_invoke, 'rides_http': rides + fleet_http}, (
        'in-process handler medians with AWS stubbed (section 3), rides waiting for the '
        'fleet: lower bounds, no AWS round trip is in them (the local stack was not measured)')


def configured_memory(stage='dev'):
    """MB of each function on the ride path, as `chalice deploy` configures
    it (the project model's merge of config.json)."""
    project = Project(stage)
    return {'rides': project.rides.api_handler.memory_mb,
            'fleet_invoke': project.fleet_function.memory_mb,
            'fleet_api': project.fleet.api_handler.memory_mb}


def estimate(results):
    memory = configured_memory()
    durations, source = billed_durations(results)
    sizes = results['scale']['sizes']
    units = request_units(sizes[max(sizes)]['units'])
    rows = patterns(memory, durations, units)
    return {'prices': dict(PRICES), 'quoted_on': PRICES_QUOTED_ON, 'sources': PRICE_SOURCES,
            'memory': memory, 'durations': durations, 'duration_source': source,
            'units': units, 'patterns': rows,
            'ratio_rest_to_invoke': rows[1]['total'] / rows[0]['total'],
            'published_latency': PUBLISHED_LATENCY}
