"""ride-record's three event sources under Chalice's test client: the SNS
handler, POST /record and the ListRideRecords direct invoke. Payloads are
round-tripped through JSON, as Lambda's runtime client serializes them."""
import json
import logging

import pytest

from tests.support.ride_events import cancelled, completed, new_ride_id, requested


def invoke(client, name, payload):
    """As Lambda does: the payload and the result go through JSON."""
    answer = client.lambda_.invoke(name, json.loads(json.dumps(payload))).payload
    return json.loads(json.dumps(answer))


def deliver(client, body, raw=None):
    event = client.events.generate_sns_event(raw if raw is not None else json.dumps(body))
    return client.lambda_.invoke('PutRideRecordSns', event)


def post_record(client, body, content_type='application/json'):
    headers = {'Content-Type': content_type} if content_type else {}
    return client.http.post('/record', headers=headers,
                            body=body if isinstance(body, str) else json.dumps(body))


def test_an_sns_delivered_ride_is_in_its_riders_history(record_client):
    ride_id = new_ride_id()
    deliver(record_client, requested(ride_id))

    page = invoke(record_client, 'ListRideRecords', {'RiderId': 'rider-1'})
    assert [(ride['RideId'], ride['Status']) for ride in page['Rides']] == [(ride_id, 'active')]


@pytest.mark.parametrize('raw, reason', [('not json', 'not valid JSON'),
                                         ('{"EventType": "RideRequested"}', 'RideId')])
def test_a_poison_message_fails_the_invocation_and_the_log_says_why_without_the_message(
        record_client, capsys, raw, reason):
    root = logging.getLogger()
    saved = list(root.handlers)
    root.handlers = []  # shared.logs installs its JSON handler on the captured stdout
    try:
        with pytest.raises(Exception, match=reason):
            deliver(record_client, None, raw=raw)
    finally:
        root.handlers = saved

    refused = [json.loads(line) for line in capsys.readouterr().out.splitlines()
               if '"ride event refused"' in line]
    assert len(refused) == 1
    assert reason in refused[0]['reason']
    assert refused[0]['message_bytes'] == len(raw)
    assert raw not in json.dumps(refused[0])


def test_post_record_keeps_the_event_and_answers_the_ride_as_it_now_stands(record_client):
    ride_id = new_ride_id()
    post_record(record_client, completed(ride_id))
    response = post_record(record_client, requested(ride_id))

    assert response.status_code == 200
    assert response.json_body['Status'] == 'completed'
    assert response.json_body['Unicorn'] == {'Name': 'Shadowfax', 'Color': 'White'}


@pytest.mark.parametrize('body, field', [
    ('', 'body'),
    ('not json', 'JSON'),
    ({'EventType': 'RideRequested'}, 'RideId'),
    (cancelled(new_ride_id(), rider_id=''), 'RiderId'),
    ({**completed(new_ride_id()), 'CompletedTime': 'soon'}, 'CompletedTime'),
])
def test_post_record_answers_400_naming_the_field(record_client, body, field):
    response = post_record(record_client, body)

    assert response.status_code == 400
    assert response.json_body['Code'] == 'BadRequestError'
    assert field in response.json_body['Message']


def test_post_record_of_a_ride_to_another_rider_answers_400(record_client):
    ride_id = new_ride_id()
    post_record(record_client, requested(ride_id, rider_id='rider-1'))

    response = post_record(record_client, completed(ride_id, rider_id='rider-2'))
    assert response.status_code == 400
    assert 'RiderId' in response.json_body['Message']


def test_post_record_without_a_json_content_type_answers_415(record_client):
    response = post_record(record_client, requested(new_ride_id()), content_type='text/plain')
    assert response.status_code == 415


def test_list_ride_records_answers_a_bad_payload_as_a_result_not_an_error(record_client):
    assert invoke(record_client, 'ListRideRecords', {'RiderId': 'rider-1', 'Limit': 50}) == {
        'Code': 'BadRequest', 'Message': 'Limit must be a whole number from 1 to 20'}
    answer = invoke(record_client, 'ListRideRecords', {})
    assert answer['Code'] == 'BadRequest' and 'RiderId' in answer['Message']


def test_list_ride_records_answers_a_foreign_token_as_invalid_next_token(record_client):
    for _ in range(2):
        deliver(record_client, requested(new_ride_id(), rider_id='rider-2'))
    token = invoke(record_client, 'ListRideRecords', {'RiderId': 'rider-2', 'Limit': 1})[
        'NextToken']

    answer = invoke(record_client, 'ListRideRecords', {'RiderId': 'rider-1', 'NextToken': token})
    assert answer['Code'] == 'InvalidNextToken'
    assert set(answer) == {'Code', 'Message'}


def test_ride_records_metrics_name_the_stage_of_its_deployed_function():
    from shared import metrics

    assert metrics.stage({'AWS_LAMBDA_FUNCTION_NAME':
                          'wild-rydes-ride-record-prod-PutRideRecordSns'}) == 'prod'
