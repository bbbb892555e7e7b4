"""The riders' pool in the local stack: made by the shared provisioning with
its SSM parameters, a demo rider ready to sign in, and sign-up codes that
the stack prints where Cognito would e-mail them, checked as Cognito does.
The calls are the page's own: unsigned AWS JSON 1.1 from the page's origin."""
import http.client
import json
import re
import urllib.parse

import pytest

from local_stack import testing
from project.model import Project

pytestmark = pytest.mark.stack

PAGE_PORT = 8000  # the rides port the endpoint allows as the page's origin
PAGE_ORIGIN = f'http://127.0.0.1:{PAGE_PORT}'
COGNITO = 'AWSCognitoIdentityProviderService'
PASSWORD = 'Unicorn-rides-1'


@pytest.fixture(scope='module')
def endpoint():
    with testing.local_endpoint(rides_port=PAGE_PORT) as running:
        yield running


def cognito(endpoint, operation, body, origin=PAGE_ORIGIN):
    """A Cognito call as the page makes it with fetch: no signature."""
    url = urllib.parse.urlsplit(endpoint.aws_url)
    payload = json.dumps(body).encode()
    headers = {'Content-Type': 'application/x-amz-json-1.1',
               'X-Amz-Target': f'{COGNITO}.{operation}', 'Origin': origin}
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request('POST', '/', body=payload, headers=headers)
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        text = response.read()
        return response.status, headers, json.loads(text) if text.startswith(b'{') else text
    finally:
        connection.close()


def codes_for(endpoint, email):
    return re.findall(rf'verification code for {re.escape(email)}: (\d{{6}})',
                      endpoint.log_text())


def sign_up(endpoint, email):
    return cognito(endpoint, 'SignUp', {
        'ClientId': endpoint.user_pool_client_id, 'Username': email, 'Password': PASSWORD,
        'UserAttributes': [{'Name': 'email', 'Value': email}]})


def sign_in(endpoint, email, password=PASSWORD):
    return cognito(endpoint, 'InitiateAuth', {
        'ClientId': endpoint.user_pool_client_id, 'AuthFlow': 'USER_PASSWORD_AUTH',
        'AuthParameters': {'USERNAME': email, 'PASSWORD': password}})


def confirm(endpoint, email, code):
    return cognito(endpoint, 'ConfirmSignUp', {
        'ClientId': endpoint.user_pool_client_id, 'Username': email, 'ConfirmationCode': code})


def test_the_pool_and_its_client_are_published_under_the_projects_ssm_parameters(endpoint):
    project = Project('dev')
    ssm = endpoint.client('ssm')
    assert ssm.get_parameter(Name=project.user_pool_id_parameter)['Parameter']['Value'] == \
        endpoint.user_pool_id
    assert ssm.get_parameter(Name=project.user_pool_client_id_parameter)['Parameter'][
        'Value'] == endpoint.user_pool_client_id
    pool = endpoint.client('cognito-idp').describe_user_pool(UserPoolId=endpoint.user_pool_id)
    assert pool['UserPool']['Name'] == project.user_pool_name


def test_the_demo_rider_signs_in_from_the_page_with_the_banners_password(endpoint):
    rider = endpoint.demo_rider
    status, headers, answer = sign_in(endpoint, rider['email'], rider['password'])
    assert status == 200, answer
    assert answer['AuthenticationResult']['IdToken']
    assert headers['access-control-allow-origin'] == PAGE_ORIGIN
    assert f'demo rider    {rider["email"]}' in endpoint.log_text()


def test_the_page_may_preflight_its_unsigned_cognito_calls(endpoint):
    url = urllib.parse.urlsplit(endpoint.aws_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request('OPTIONS', '/', headers={
            'Origin': PAGE_ORIGIN, 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type,x-amz-target'})
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        response.read()
    finally:
        connection.close()
    assert response.status in (200, 204)
    assert headers['access-control-allow-origin'] == PAGE_ORIGIN
    assert 'x-amz-target' in headers['access-control-allow-headers'].lower()


def test_another_origin_cannot_call_cognito(endpoint):
    status, headers, _ = sign_in(endpoint, endpoint.demo_rider['email'],
                                 endpoint.demo_rider['password'])
    assert status == 200
    status, headers, _ = cognito(endpoint, 'InitiateAuth', {}, origin='http://evil.example')
    assert status == 403
    assert 'access-control-allow-origin' not in headers


def test_a_rider_signs_up_with_the_printed_code_then_signs_in(endpoint):
    email = 'new-rider@example.com'
    status, _, answer = sign_up(endpoint, email)
    assert status == 200, answer
    assert answer['UserConfirmed'] is False
    assert sign_in(endpoint, email)[2]['__type'] == 'UserNotConfirmedException'
    [code] = codes_for(endpoint, email)
    status, _, answer = confirm(endpoint, email, code)
    assert status == 200, answer
    status, _, answer = sign_in(endpoint, email)
    assert status == 200, answer


def test_a_wrong_code_is_refused_as_cognito_refuses_it_and_the_rider_stays_unconfirmed(
        endpoint):
    email = 'typo@example.com'
    sign_up(endpoint, email)
    [code] = codes_for(endpoint, email)
    wrong = f'{(int(code) + 1) % 10 ** 6:06d}'
    status, headers, answer = confirm(endpoint, email, wrong)
    assert status == 400
    assert answer['__type'] == 'CodeMismatchException'
    assert headers['x-amzn-errortype'] == 'CodeMismatchException'
    assert sign_in(endpoint, email)[2]['__type'] == 'UserNotConfirmedException'


def test_a_resent_code_replaces_the_first(endpoint):
    email = 'resend@example.com'
    sign_up(endpoint, email)
    status, _, answer = cognito(endpoint, 'ResendConfirmationCode', {
        'ClientId': endpoint.user_pool_client_id, 'Username': email})
    assert status == 200, answer
    first, second = codes_for(endpoint, email)
    if first != second:
        assert confirm(endpoint, email, first)[2]['__type'] == 'CodeMismatchException'
    assert confirm(endpoint, email, second)[0] == 200
