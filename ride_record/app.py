"""wild-rydes-ride-record: every ride, kept from the rides topic, and each
rider's history.

`PutRideRecordSns` keeps each ride event the rides topic delivers;
`POST /record` is the same write behind API Gateway (AWS_IAM), as in the
original ride-record service; `ListRideRecords` is called directly by rides
with `lambda.invoke` and answers one rider's rides, newest first, a page at
a time. The logic lives in `shared`: each handler here only translates its
event source.
"""
import functools
import logging
import os

from chalice import Chalice, IAMAuthorizer, Response

from shared import logs, metrics, wiring
from shared.domain.errors import InvalidRequest, answered_as
from shared.domain.parsing import parse_json_body, require_json_content_type
from shared.domain.ride_history import REFUSALS, RideHistory, refusal_result

app = Chalice(app_name='wild-rydes-ride-record')
logs.log_every_invocation(app)
json_errors = answered_as(lambda body, status: Response(body=body, status_code=status))
log = logging.getLogger('ride_record')

# Chalice reads the topic when it packages or deploys the app, outside
# Lambda: the deploy passes the rides topic's ARN (SSM
# /wild-rydes/<stage>/SnsTopicArn) in RIDES_SNS_TOPIC_ARN; without it, the
# stage's topic by name, in the deploying account and region.
RIDES_TOPIC = (os.environ.get('RIDES_SNS_TOPIC_ARN')
               or f"wild-rydes-{os.environ.get('STAGE') or 'dev'}-rides")


@functools.cache
def history() -> RideHistory:
    """The ride-record service, built on first use and kept for the sandbox's life."""
    return wiring.ride_history_from_environment()


@app.on_sns_message(topic=RIDES_TOPIC, name='PutRideRecordSns')
def put_ride_record_sns(event):
    """Keep one ride event. A message that is not one raises, so Lambda's
    asynchronous retries and then the dead-letter queue take it; the log
    says why, without the message itself."""
    sns = event.to_dict()['Records'][0]['Sns']
    try:
        record = history().record_message(event.message, event.message_attributes)
    except InvalidRequest as refused:
        metrics.count('RideEventRefused')
        log.error('ride event refused', extra={
            'reason': refused.message, 'sns_message_id': sns.get('MessageId'),
            'message_bytes': len((event.message or '').encode())})
        raise
    logs.bind_ride(record.ride_id)
    metrics.count('RideEventRecorded')
    log.info('ride event recorded', extra={'status': record.status,
                                           'sns_message_id': sns.get('MessageId')})


@app.route('/record', methods=['POST'], authorizer=IAMAuthorizer())
@json_errors
def record_ride():
    """A ride event as the body (the SNS message's JSON); 200 with the
    ride's record as it now stands, 400 naming the field otherwise."""
    require_json_content_type(app.current_request.headers.get('content-type'))
    record = history().record_event(parse_json_body(app.current_request.raw_body))
    logs.bind_ride(record.ride_id)
    return record.to_dict()


@app.lambda_function(name='ListRideRecords')
def list_ride_records(event, context):
    """Direct invoke: `{"RiderId", "NextToken"?, "Limit"?}` (the caller,
    rides, is trusted through IAM to name the rider). A bad payload or
    token is answered as a result, `{"Code": "BadRequest" |
    "InvalidNextToken", "Message"}`, not raised: only faults count in
    Lambda's Errors metric."""
    try:
        return history().list_rides(event)
    except REFUSALS as refusal:
        return refusal_result(refusal)
