"""`GET /config`: what the page needs to sign riders in, public; and a
deploy that left a setting out answers a generic 500 that names nothing."""
import json

import boto3
import pytest
from chalice.test import Client

from shared import wiring
from tests.support import aws as aws_support
from tests.support.apps import RIDES_DIR
from tests.support.riders import as_rider

POOL_ID = 'us-east-1_Ex4mpLe12'
CLIENT_ID = '1example23456789abcdefghij'
GENERIC_500 = {'Code': 'InternalServerError', 'Message': 'An internal server error occurred.'}


@pytest.fixture
def published_pool(aws, rides_env):
    """What the rides stack publishes: the pool and client ids in SSM."""
    ssm = boto3.client('ssm', region_name=aws_support.REGION)
    ssm.put_parameter(Name=rides_env['USER_POOL_ID_PARAMETER'], Type='String', Value=POOL_ID)
    ssm.put_parameter(Name=rides_env['USER_POOL_CLIENT_ID_PARAMETER'], Type='String',
                      Value=CLIENT_ID)


def test_the_page_config_is_public_and_read_from_the_published_parameters(
        rides_client, published_pool):
    response = rides_client.http.get('/config')

    assert response.status_code == 200
    assert response.json_body == {
        'Region': 'us-east-1', 'UserPoolId': POOL_ID, 'UserPoolClientId': CLIENT_ID,
        'CognitoEndpoint': 'https://cognito-idp.us-east-1.amazonaws.com/'}


def test_ids_and_endpoint_in_the_environment_win_over_the_parameters(rides_env):
    config = wiring.page_config_from_environment(
        dict(rides_env, USER_POOL_ID='us-east-1_FromEnv', USER_POOL_CLIENT_ID='client-from-env',
             COGNITO_ENDPOINT_URL='http://127.0.0.1:4566/', AWS_REGION='eu-west-1'))

    assert config == {'Region': 'eu-west-1', 'UserPoolId': 'us-east-1_FromEnv',
                      'UserPoolClientId': 'client-from-env',
                      'CognitoEndpoint': 'http://127.0.0.1:4566/'}


def logged_errors(caplog):
    return [record.error_message for record in caplog.records
            if record.levelname == 'ERROR' and hasattr(record, 'error_message')]


def test_a_missing_pool_parameter_is_a_generic_500_and_the_log_names_it(
        rides_client, rides_env, caplog):
    response = rides_client.http.get('/config')

    assert response.status_code == 500
    assert response.json_body == GENERIC_500
    [logged] = logged_errors(caplog)
    assert rides_env['USER_POOL_ID_PARAMETER'] in logged


def test_a_missing_fleet_parameter_is_a_generic_500_that_names_nothing(
        rides_module, fleet_lambda, rides_topic, aws, caplog):
    """No SSM parameter with the fleet's ARN (the fleet was never deployed)."""
    with Client(rides_module.app, stage_name='dev', project_dir=str(RIDES_DIR)) as client:
        response = client.http.post('/ride', headers=as_rider(), body=json.dumps(
            {'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}}))

    assert response.status_code == 500
    assert response.json_body == GENERIC_500
    [logged] = logged_errors(caplog)
    assert 'RequestUnicornInvokeArn' in logged
