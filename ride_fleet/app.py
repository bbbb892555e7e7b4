"""wild-rydes-ride-fleet: the unicorn fleet, handed out two ways.

`RequestUnicornInvoke` is called directly with `lambda.invoke` (no API
Gateway); `GET /unicorn` is the same logic behind API Gateway; `LoadTable`
fills the table, also without API Gateway. The logic lives in `shared`:
each handler here only translates its event source.
"""
import functools
import os

from chalice import Chalice, IAMAuthorizer, Response

from shared import custom_resource, fleet_loader, logs, wiring
from shared.errors import InvalidRequest, answered_as
from shared.requests import parse_unicorn_request

app = Chalice(app_name='wild-rydes-ride-fleet')
CATALOG_PATH = os.path.join(os.path.dirname(__file__), 'chalicelib', 'unicorns.json')
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))


@functools.lru_cache(maxsize=None)
def fleet():
    """The fleet service, built on first use and kept for the sandbox's life."""
    return wiring.fleet_from_environment()


@app.lambda_function(name='RequestUnicornInvoke')
def request_unicorn_invoke(event, context):
    """Direct invoke. Domain errors are raised, so the caller finds them in
    `FunctionError`, with the error's class name as `errorType`."""
    logs.start_request('RequestUnicornInvoke', context.aws_request_id)
    return _serve(event)


@app.route('/unicorn', methods=['GET'], authorizer=IAMAuthorizer())
@json_errors
def request_unicorn():
    """API Gateway. `?RideId=` dispatches for that ride; without it, shows
    one available unicorn and holds nothing."""
    logs.start_http_request('GET /unicorn', app.current_request, app.lambda_context)
    query = app.current_request.query_params or {}
    return _serve({'RideId': query['RideId']} if 'RideId' in query else {})


@app.route('/unicorn/{ride_id}/release', methods=['POST'], authorizer=IAMAuthorizer())
@json_errors
def release_unicorn(ride_id):
    logs.start_http_request('POST /unicorn/{RideId}/release',
                            app.current_request, app.lambda_context)
    return _serve({'Action': 'Release', 'RideId': ride_id})


@app.lambda_function(name='LoadTable')
def load_table(event, context):
    """Load the catalog (data/unicorns.json) into the table; idempotent.
    Invoked with `{}`, or by CloudFormation as a custom resource."""
    logs.start_request('LoadTable', context.aws_request_id)

    def load():
        return fleet_loader.load_fleet(fleet().store, fleet_loader.read_catalog(CATALOG_PATH))

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
