"""A stand-in for ride-record's `ListRideRecords`, to test rides' side of
the contract (common to both services, README "Ride history") before and
apart from the real one, as tests fake the fleet.

It keeps ride records per rider, answers newest first (by RequestTime) in
pages with an opaque NextToken bound to the rider, and answers a NextToken
it did not give that rider with `{"Code": "InvalidNextToken", ...}` and a
bad Limit with `{"Code": "BadRequest", ...}`: results, not raised errors.
`FakeHistoryLambda` puts it behind a Lambda client with real invoke
semantics (JSON both ways; a raise is `FunctionError: Unhandled`), next to
the fleet's in-process bridge.
"""
import base64
import hashlib
import hmac
import json

from project.model import Project
from tests.support.lambda_bridge import invoke_response

HISTORY_ARN = Project('dev').history_function.arn
DEFAULT_LIMIT = 20
_FROM_RECORDS = object()
_KEY = b'fake-ride-record'


class FakeListRideRecords:
    def __init__(self):
        self.records = {}        # rider -> {ride id: record}
        self.payloads = []       # every payload it was invoked with
        self.broken = None       # an exception to raise instead of answering
        self.answer = _FROM_RECORDS  # a result to give instead (any JSON value)

    def add(self, rider, ride_id, request_time, status='active', **fields):
        record = {'RideId': ride_id, 'RiderId': rider, 'Status': status,
                  'RequestTime': request_time, 'UnicornName': 'Shadowfax',
                  'Unicorn': {'Name': 'Shadowfax', 'Color': 'White'},
                  'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}, **fields}
        self.records.setdefault(rider, {})[ride_id] = record
        return record

    def __call__(self, event):
        self.payloads.append(event)
        if self.broken is not None:
            raise self.broken
        if self.answer is not _FROM_RECORDS:
            return self.answer
        rider = event['RiderId']
        limit = event.get('Limit', DEFAULT_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= 20:
            return {'Code': 'BadRequest', 'Message': 'Limit must be a whole number from 1 to 20'}
        start = 0
        if 'NextToken' in event:
            start = _offset(event['NextToken'], rider)
            if start is None:
                return {'Code': 'InvalidNextToken',
                        'Message': 'NextToken is not valid for this rider'}
        rides = sorted(self.records.get(rider, {}).values(),
                       key=lambda record: record['RequestTime'], reverse=True)
        page = {'Rides': rides[start:start + limit]}
        if start + limit < len(rides):
            page['NextToken'] = _token(start + limit, rider)
        return page


def _signature(offset, rider):
    return hmac.new(_KEY, f'{offset}:{rider}'.encode(), hashlib.sha256).hexdigest()


def _token(offset, rider):
    body = json.dumps({'o': offset, 's': _signature(offset, rider)})
    return base64.urlsafe_b64encode(body.encode()).decode()


def _offset(token, rider):
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = body['o']
        if hmac.compare_digest(body['s'], _signature(offset, rider)):
            return offset
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


class FakeHistoryLambda:
    """A Lambda client: ListRideRecords answered by `history`, every other
    function by `others` (the fleet's in-process bridge)."""

    def __init__(self, history, others):
        self.history = history
        self.others = others

    def invoke(self, FunctionName, Payload, InvocationType='RequestResponse', ClientContext=None):
        if FunctionName != HISTORY_ARN:
            return self.others.invoke(FunctionName=FunctionName, Payload=Payload,
                                      InvocationType=InvocationType, ClientContext=ClientContext)
        assert InvocationType == 'RequestResponse'
        return invoke_response(self.history, Payload)
