"""wild-rydes-ride-fleet: the unicorn fleet, handed out two ways.

`RequestUnicornInvoke` is called directly with `lambda.invoke` (no API
Gateway); `GET /unicorn` is the same logic behind API Gateway; `LoadTable`
fills the table, also without API Gateway. The logic lives in `shared`:
each handler here only translates its event source.
"""
import functools
import os

from chalice import Chalice, IAMAuthorizer, Response

from shared import logs, wiring
from shared.adapters import custom_resource
from shared.domain.catalog import load_fleet, read_catalog
from shared.domain.errors import EXPECTED_ANSWERS, InvalidRequest, answered_as
from shared.domain.fleet import Fleet
from shared.domain.parsing import parse_unicorn_request

app = Chalice(app_name='wild-rydes-ride-fleet')
logs.log_every_invocation(app)
CATALOG_PATH = os.path.join(os.path.dirname(__file__), 'chalicelib', 'unicorns.json')
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))


@functools.cache
def fleet() -> Fleet:
    """The fleet service, built on first use and kept for the sandbox's life."""
    return wiring.fleet_from_environment()


@app.lambda_function(name='RequestUnicornInvoke')
def request_unicorn_invoke(event, context):
    """Direct invoke. An expected answer is a result, not a function
    error: `{"Code": "NoUnicornAvailable" | "NotFoundError", "Message"}`, or
    `{"Code": "RideInProgress", "Message", "RideId"}` (see EXPECTED_ANSWERS).
    Only a fault raises, so the caller finds it in `FunctionError` and
    Lambda's `Errors` metric counts it; a malformed payload is one (the
    caller's bug), raised as InvalidRequest."""
    try:
        return _serve(event)
    except EXPECTED_ANSWERS as answer:
        return answer.to_body()


@app.route('/unicorn', methods=['GET'], authorizer=IAMAuthorizer())
@json_errors
def request_unicorn():
    """API Gateway. `?RideId=&RiderId=` (with `Latitude`, `Longitude` and
    `RequestTime`) dispatches for that rider's ride; without them, shows
    one available unicorn and holds nothing."""
    query = dict(app.current_request.query_params or {})
    if 'RideId' not in query:
        return _serve({})
    payload = {key: query[key] for key in ('RideId', 'RiderId', 'RequestTime') if key in query}
    if 'Latitude' in query or 'Longitude' in query:
        payload['PickupLocation'] = {key: _number(query.get(key))
                                     for key in ('Latitude', 'Longitude')}
    return _serve(payload)


@app.route('/unicorn/{ride_id}', methods=['GET'], authorizer=IAMAuthorizer())
@json_errors
def get_ride(ride_id):
    """The rider's ride (`?RiderId=`); 404 if it is not that rider's."""
    query = app.current_request.query_params or {}
    return _serve({'Action': 'GetRide', 'RideId': ride_id, 'RiderId': query.get('RiderId')})


@app.route('/unicorn/{ride_id}/release', methods=['POST'], authorizer=IAMAuthorizer())
@json_errors
def release_unicorn(ride_id):
    query = app.current_request.query_params or {}
    return _serve({'Action': 'Release', 'RideId': ride_id, 'RiderId': query.get('RiderId')})


@app.lambda_function(name='LoadTable')
def load_table(event, context):
    """Load the catalog (chalicelib/unicorns.json) into the table; idempotent.
    Invoked with `{}`, or by CloudFormation as a custom resource."""
    def load():
        return load_fleet(fleet().store, read_catalog(CATALOG_PATH))

    if custom_resource.is_custom_resource_event(event):
        return custom_resource.handle(event, context, load)
    if event not in (None, {}):
        raise InvalidRequest('LoadTable takes an empty payload: {}')
    return load()


def _number(text):
    """A query-string coordinate as a number, for the same checks as a body's."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _serve(payload):
    request = parse_unicorn_request(payload)
    if request.ride_id:
        logs.bind_ride(request.ride_id)
    return fleet().handle(request)
