"""wild-rydes: riders ask for a ride, the fleet dispatches a unicorn.

`POST /ride` (API Gateway) and `RequestRideInvoke` (direct invoke) are the
same request from two event sources; `GET /rides` is the rider's history,
read from ride-record's `ListRideRecords` by direct invoke; `GET /` is the
rider's web page and `GET /config` what it needs to sign riders in. Every ride route sits behind
the riders' Cognito user pool: the rider is the ID token's `sub`, which API
Gateway hands over in `requestContext.authorizer.claims`. The fleet is
reached with a direct `lambda.invoke` by default, or over HTTP
(`UNICORN_TRANSPORT=http`). The logic lives in `shared`: each handler here
only translates its event source.
"""
import functools
import os

from chalice import Chalice, CognitoUserPoolAuthorizer, Response
from chalicelib.web import web

from shared import logs, metrics, wiring
from shared.domain.errors import answered_as
from shared.domain.history_client import HistoryClient
from shared.domain.parsing import parse_json_body, require_json_content_type
from shared.domain.rides import RideService

app = Chalice(app_name='wild-rydes')
logs.log_every_invocation(app)
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))
app.register_blueprint(web)

# The pool's ARN is known only once the stack made it: `chalice deploy`
# passes it in for the rides deploy; the packaged template's merge template
# binds the authorizer to the pool itself.
# Its name is the project model's RIDERS_AUTHORIZER (`project` is not in the
# deployment package; tests/rides checks the two agree).
riders = CognitoUserPoolAuthorizer(
    'Riders',
    provider_arns=[os.environ['RIDERS_USER_POOL_ARN']] if os.environ.get(
        'RIDERS_USER_POOL_ARN') else [])

# API Gateway's own answer when a Cognito authorizer refuses a request.
UNAUTHORIZED = Response(body={'message': 'Unauthorized'}, status_code=401)


@functools.cache
def rides() -> RideService:
    """The rides service, built on first use and kept for the sandbox's life."""
    return wiring.ride_service_from_environment()


@functools.cache
def history() -> HistoryClient:
    """The reader of ride-record's history, built on first use (a failure,
    such as ride-record not deployed yet, is not kept: it is tried again)."""
    return wiring.history_client_from_environment()


@functools.cache
def page_config() -> dict:
    """The page's sign-in settings, read once per sandbox."""
    return wiring.page_config_from_environment()


@app.route('/config', methods=['GET'])
@json_errors
def config():
    return page_config()


def signed_in(view):
    """For the views behind the riders' authorizer: the rider (the ID
    token's `sub`, where API Gateway puts the claims) comes first; without
    one, API Gateway's own 401, which it never lets through anyway."""
    @functools.wraps(view)
    def with_rider(*args, **kwargs):
        context = app.current_request.context or {}
        claims = (context.get('authorizer') or {}).get('claims') or {}
        rider = claims.get('sub')
        if not rider:
            return UNAUTHORIZED
        return view(rider, *args, **kwargs)
    return with_rider


@app.route('/ride', methods=['POST'], authorizer=riders)
@json_errors
@signed_in
@metrics.counted_ride_request
def request_ride(rider):
    require_json_content_type(app.current_request.headers.get('content-type'))
    body = parse_json_body(app.current_request.raw_body)
    return Response(body=rides().request_ride(body, rider), status_code=201)


@app.route('/ride/{ride_id}', methods=['GET'], authorizer=riders)
@json_errors
@signed_in
def get_ride(rider, ride_id):
    return rides().ride(ride_id, rider)


@app.route('/ride/{ride_id}/complete', methods=['POST'], authorizer=riders)
@json_errors
@signed_in
def complete_ride(rider, ride_id):
    require_json_content_type(app.current_request.headers.get('content-type'))
    return rides().complete_ride(ride_id, rider)


@app.route('/rides', methods=['GET'], authorizer=riders)
@json_errors
@signed_in
def list_rides(rider):
    """The rider's own rides, newest first; `?NextToken=` for the next page."""
    query = app.current_request.query_params or {}
    return history().rides_of(rider, query.get('NextToken'))


@app.lambda_function(name='RequestRideInvoke')
@metrics.counted_ride_request
def request_ride_invoke(event, context):
    """Direct invoke: the payload is the body of `POST /ride` plus the
    `RiderId` (the caller is trusted through IAM to name the rider)."""
    rider = event.get('RiderId') if isinstance(event, dict) else None
    return rides().request_ride(event, rider)

