"""wild-rydes: riders ask for a ride, the fleet dispatches a unicorn.

`POST /ride` (API Gateway) and `RequestRideInvoke` (direct invoke) are the
same request from two event sources; `GET /` is the rider's web page. The
fleet is reached with a direct `lambda.invoke` by default, or over HTTP
(`UNICORN_TRANSPORT=http`). The logic lives in `shared`: each handler here
only translates its event source.
"""
import functools
import os

from chalice import Chalice, CognitoUserPoolAuthorizer, Response

from chalicelib.web import web
from shared import logs, wiring
from shared.domain.errors import answered_as
from shared.domain.parsing import parse_json_body
from shared.domain.rides import RideService

app = Chalice(app_name='wild-rydes')
logs.log_every_invocation(app)
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))
app.register_blueprint(web)
# The riders' user pool (project.model.RIDERS_AUTHORIZER). `chalice deploy`
# sets RIDERS_USER_POOL_ARN; the package's merge template sets the pool's ARN.
riders = CognitoUserPoolAuthorizer(
    'Riders', provider_arns=[os.environ['RIDERS_USER_POOL_ARN']]
    if os.environ.get('RIDERS_USER_POOL_ARN') else [])


@functools.lru_cache(maxsize=None)
def rides() -> RideService:
    """The rides service, built on first use and kept for the sandbox's life."""
    return wiring.ride_service_from_environment()


@app.route('/ride', methods=['POST'], cors=True, authorizer=riders)
@json_errors
def request_ride():
    body = parse_json_body(app.current_request.raw_body)
    return Response(body=rides().request_ride(body), status_code=201)


@app.route('/ride/{ride_id}/complete', methods=['POST'], cors=True, authorizer=riders)
@json_errors
def complete_ride(ride_id):
    return rides().complete_ride(ride_id)


@app.lambda_function(name='RequestRideInvoke')
def request_ride_invoke(event, context):
    """Direct invoke: the payload is the body of `POST /ride`."""
    return rides().request_ride(event)
