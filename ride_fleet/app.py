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
from shared.domain.errors import InvalidRequest, answered_as
from shared.domain.fleet import Fleet
from shared.domain.parsing import parse_unicorn_request

app = Chalice(app_name='wild-rydes-ride-fleet')
logs.log_every_invocation(app)
CATALOG_PATH = os.path.join(os.path.dirname(__file__), 'chalicelib', 'unicorns.json')
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))


@functools.lru_cache(maxsize=None)
def fleet() -> Fleet:
    """The fleet service, built on first use and kept for the sandbox's life."""
    return wiring.fleet_from_environment()


@app.lambda_function(name='RequestUnicornInvoke')
def request_unicorn_invoke(event, context):
    """Direct invoke. Domain errors are raised, so the caller finds them in
    `FunctionError`, with the error's class name as `errorType`."""
    return _serve(event)


@app.route('/unicorn', methods=['GET'], authorizer=IAMAuthorizer())
@json_errors
def request_unicorn():
    """API Gateway. `?RideId=` dispatches for that ride; without it, shows
    one available unicorn and holds nothing."""
    query = app.current_request.query_params or {}
    return _serve({'RideId': query['RideId']} if 'RideId' in query else {})


@app.route('/unicorn/{ride_id}/release', methods=['POST'], authorizer=IAMAuthorizer())
@json_errors
def release_unicorn(ride_id):
    return _serve({'Action': 'Release', 'RideId': ride_id})


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


def _serve(payload):
    request = parse_unicorn_request(payload)
    if request.ride_id:
        logs.bind_ride(request.ride_id)
    return fleet().handle(request)
