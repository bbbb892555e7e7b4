"""The local endpoint is safe on a developer's laptop: checked from outside,
with real HTTP requests against a started endpoint.

What a web page or DNS rebinding could otherwise do — read the rides' data
through moto's origin-reflecting CORS, wipe it with `/moto-api/reset` — is
refused; bodies are bounded before they are read; names and paths with
control characters are refused and never printed raw; a payload in any
encoding never costs the function a sandbox."""
import http.client
import json
import socket
from contextlib import contextmanager

import pytest
import requests

from local_stack import testing
from local_stack.guard import MAX_AWS_REQUEST_BYTES, MAX_INVOKE_READ_BYTES
from tests.local_stack.conftest import PAGE_PORT, TOOLBOX

pytestmark = pytest.mark.stack  # some tests start `python -m local_stack`

ECHO = 'toolbox-dev-Echo'
COGNITO = 'AWSCognitoIdentityProviderService'
INVOKE_ECHO = f'/2015-03-31/functions/{ECHO}/invocations'




@pytest.fixture(scope='module')
def child_endpoint():
    """`python -m local_stack` serving the toolbox app only, as `make run` would."""
    with testing.local_endpoint(provision=False, extra_args=['--app', str(TOOLBOX)]) as stack:
        yield stack


def request(url, method='GET', path='/', headers=None, body=None, timeout=10):
    """One raw request, with exactly the headers given (Host included)."""
    host, port = url.rsplit('//', 1)[1].split(':')
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()
    finally:
        connection.close()


def host_of(url):
    return url.rsplit('//', 1)[1]


def aws_json(url, target, origin=None, host=None, body=b'{}'):
    """A JSON-protocol AWS call as a browser would send it (unsigned)."""
    headers = {'Host': host_of(url) if host is None else host,
               'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target,
               'Content-Length': str(len(body)), 'Authorization': signed_for(target)}
    if origin:
        headers['Origin'] = origin
    return request(url, 'POST', '/', headers, body)


def signed_for(target):
    """An Authorization header naming the target's service (moto picks the
    service from the SigV4 scope; the signature itself is not checked)."""
    service = 'cognito-idp' if target.startswith(COGNITO) else 'dynamodb'
    return (f'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, '
            'SignedHeaders=host, Signature=0')


def cors_headers(headers):
    return {k: v for k, v in headers.items() if k.startswith('access-control-')}


# -- Host: DNS rebinding -------------------------------------------------------

@pytest.mark.parametrize('host', ['127.0.0.1:{port}', 'localhost:{port}', 'LOCALHOST:{port}'])
def test_the_endpoint_answers_to_its_loopback_names(endpoint, host):
    status, _, _ = aws_json(endpoint.url, 'DynamoDB_20120810.ListTables',
                            host=host.format(port=endpoint.port))
    assert status == 200


@pytest.mark.parametrize('host', ['rebound.example.com:{port}', 'rebound.example.com',
                                  '127.0.0.1:1', '127.0.0.1', '192.168.1.10:{port}', ''])
def test_any_other_host_header_is_a_403(endpoint, host):
    status, headers, body = aws_json(endpoint.url, 'DynamoDB_20120810.ListTables',
                                     host=host.format(port=endpoint.port))
    assert status == 403
    assert b'TableNames' not in body
    assert cors_headers(headers) == {}


def test_a_request_without_a_host_header_is_a_403(endpoint):
    status, _, _ = request(endpoint.url, 'GET', '/moto-api/data.json', {})
    assert status == 403


@pytest.mark.parametrize('refused', [
    {'Host': 'rebound.example.com:{port}'},
    {},
    {'Host': '127.0.0.1:{port}', 'Origin': 'https://evil.example'},
    {'Host': '127.0.0.1:{port}', 'Sec-Fetch-Site': 'cross-site'},
])
def test_an_invoke_from_a_foreign_host_or_page_is_a_403_and_runs_nothing(runtime, tmp_path,
                                                                         refused):
    """Plain invokes take the endpoint's fast lane (`invoke_lane`); the
    guard's checks hold there as on every other route."""
    marker = tmp_path / 'touched'
    body = json.dumps({'path': str(marker)}).encode()
    port = runtime.aws_url.rsplit(':', 1)[1]
    headers = {key: value.format(port=port) for key, value in refused.items()}
    status, answer_headers, _ = request(
        runtime.aws_url, 'POST', '/2015-03-31/functions/toolbox-dev-Touch/invocations',
        {**headers, 'Content-Length': str(len(body))}, body)
    assert status == 403
    assert cors_headers(answer_headers) == {}
    assert not marker.exists()


# -- moto's admin routes --------------------------------------------------------

@pytest.mark.parametrize('method, path', [('GET', '/moto-api/data.json'),
                                          ('POST', '/moto-api/reset'),
                                          ('GET', '/moto-api/'),
                                          ('GET', '/moto-api/reset-auth')])
def test_moto_admin_routes_are_not_served(endpoint, method, path):
    status, _, _ = request(endpoint.url, method, path,
                           {'Host': host_of(endpoint.url), 'Content-Length': '0'})
    assert status == 404


def test_a_reset_through_the_admin_route_leaves_the_state_alone(child_endpoint):
    sns = child_endpoint.client('sns')
    topic = sns.create_topic(Name='survives-a-reset')['TopicArn']
    answer = requests.post(f'{child_endpoint.aws_url}/moto-api/reset', timeout=10)
    assert answer.status_code == 404
    assert topic in [t['TopicArn'] for t in sns.list_topics()['Topics']]


def test_the_moto_admin_flag_serves_the_admin_routes():
    with testing.local_endpoint(provision=False, extra_args=[
            '--app', str(TOOLBOX), '--moto-admin']) as stack:
        stack.client('sns').create_topic(Name='seen-by-the-admin-route')
        answer = requests.get(f'{stack.aws_url}/moto-api/data.json', timeout=10)
        assert answer.status_code == 200
        assert 'seen-by-the-admin-route' in answer.text


# -- CORS ---------------------------------------------------------------------

@pytest.mark.parametrize('origin', ['https://evil.example', 'http://127.0.0.1:9999', 'null',
                                    'http://localhost'])
def test_a_preflight_from_another_origin_gets_no_cors_headers(endpoint, origin):
    status, headers, _ = request(endpoint.url, 'OPTIONS', '/', {
        'Host': host_of(endpoint.url), 'Origin': origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-amz-target'})
    assert status == 403
    assert cors_headers(headers) == {}


@pytest.mark.parametrize('origin', ['https://evil.example', 'http://127.0.0.1:9999'])
def test_a_simple_request_from_another_origin_is_refused_and_unreadable(endpoint, origin):
    status, headers, body = aws_json(endpoint.url, 'DynamoDB_20120810.ListTables',
                                     origin=origin)
    assert status == 403
    assert b'TableNames' not in body
    assert cors_headers(headers) == {}


def test_a_cross_site_get_without_origin_is_refused(endpoint):
    """An <img> or <script> on another site sends a GET with no Origin;
    browsers mark it Sec-Fetch-Site: cross-site."""
    status, headers, _ = request(endpoint.url, 'GET', '/?Action=ListTopics', {
        'Host': host_of(endpoint.url), 'Sec-Fetch-Site': 'cross-site',
        'Sec-Fetch-Mode': 'no-cors'})
    assert status == 403
    assert cors_headers(headers) == {}


@pytest.mark.parametrize('page_host', ['127.0.0.1', 'localhost'])
def test_the_rides_page_may_preflight_its_cognito_calls(endpoint, page_host):
    origin = f'http://{page_host}:{PAGE_PORT}'
    status, headers, _ = request(endpoint.url, 'OPTIONS', '/', {
        'Host': host_of(endpoint.url), 'Origin': origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-amz-target,x-amz-user-agent'})
    assert status in (200, 204)
    assert headers['access-control-allow-origin'] == origin
    assert 'POST' in headers['access-control-allow-methods']
    assert 'x-amz-target' in headers['access-control-allow-headers'].lower()


def test_the_rides_page_can_read_a_cognito_answer(endpoint):
    origin = f'http://127.0.0.1:{PAGE_PORT}'
    status, headers, _ = aws_json(endpoint.url, f'{COGNITO}.ListUserPools',
                                  origin=origin, body=b'{"MaxResults": 10}')
    assert status == 200
    assert headers['access-control-allow-origin'] == origin


def test_the_rides_page_cannot_read_other_services(endpoint):
    """moto's own CORS would reflect the origin on every answer."""
    origin = f'http://127.0.0.1:{PAGE_PORT}'
    status, headers, _ = aws_json(endpoint.url, 'DynamoDB_20120810.ListTables', origin=origin)
    assert status == 200
    assert cors_headers(headers) == {}


# -- bodies --------------------------------------------------------------------

def test_a_declared_body_over_the_bound_is_a_413_before_any_of_it_is_sent(endpoint):
    """300 MB declared, nothing sent: the answer comes at once."""
    status, headers, body = request(endpoint.url, 'POST', '/', {
        'Host': host_of(endpoint.url), 'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        'Authorization': signed_for('DynamoDB_20120810.ListTables'),
        'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': str(300 * 2 ** 20)})
    assert status == 413
    assert headers['x-amzn-errortype'] == 'RequestEntityTooLargeException'
    assert headers['connection'] == 'close'


def test_a_body_at_the_bound_is_served(endpoint):
    """The bound (DynamoDB BatchWriteItem's 16 MB) lets a valid call through."""
    padding = ' ' * (MAX_AWS_REQUEST_BYTES - 2)
    status, _, body = aws_json(endpoint.url, 'DynamoDB_20120810.ListTables',
                               body=('{' + padding + '}').encode())
    assert status == 200, body
    assert b'TableNames' in body


@contextmanager
def raw_connection(url):
    host, port = host_of(url).split(':')
    sock = socket.create_connection((host, int(port)), timeout=20)
    try:
        yield sock
    finally:
        sock.close()


def send_chunked(url, path, headers, chunks):
    """Send `chunks` with Transfer-Encoding: chunked, stopping if the server
    answers early; returns (status, headers, body)."""
    with raw_connection(url) as sock:
        head = [f'POST {path} HTTP/1.1', f'Host: {host_of(url)}',
                'Transfer-Encoding: chunked', *[f'{k}: {v}' for k, v in headers.items()]]
        sock.sendall(('\r\n'.join(head) + '\r\n\r\n').encode())
        try:
            for chunk in chunks:
                sock.sendall(b'%x\r\n%s\r\n' % (len(chunk), chunk))
            sock.sendall(b'0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()


def test_a_chunked_body_is_bounded_as_it_is_read(endpoint):
    """Endless in principle (64 MB here); refused once past the 16 MB bound."""
    chunk = b' ' * (1024 * 1024)
    status, headers, _ = send_chunked(
        endpoint.url, '/', {'X-Amz-Target': 'DynamoDB_20120810.ListTables',
                            'Content-Type': 'application/x-amz-json-1.0'},
        (chunk for _ in range(64)))
    assert status == 413
    assert headers['x-amzn-errortype'] == 'RequestEntityTooLargeException'


def test_a_chunked_aws_call_reaches_moto_whole(endpoint):
    status, _, body = send_chunked(
        endpoint.url, '/', {'X-Amz-Target': 'DynamoDB_20120810.ListTables',
                            'Content-Type': 'application/x-amz-json-1.0',
                            'Authorization': signed_for('DynamoDB_20120810.ListTables')},
        [b'{"Lim', b'it": 1}'])
    assert status == 200, body
    assert b'TableNames' in body


def test_a_chunked_invoke_payload_reaches_the_handler_whole(toolbox):
    status, _, body = send_chunked(toolbox.aws_url, INVOKE_ECHO, {},
                                   [b'{"hello": ', b'"chunked"}'])
    assert status == 200, body
    assert json.loads(body)['event'] == {'hello': 'chunked'}


def test_a_chunked_invoke_payload_over_the_lambda_limit_is_a_413(toolbox):
    chunk = b' ' * (1024 * 1024)
    status, headers, body = send_chunked(toolbox.aws_url, INVOKE_ECHO, {},
                                         (chunk for _ in range(64)))
    assert status == 413
    assert headers['x-amzn-errortype'] == 'RequestEntityTooLargeException'
    assert MAX_INVOKE_READ_BYTES < 64 * len(chunk)


# -- control characters ------------------------------------------------------

@pytest.mark.parametrize('name', [f'{ECHO}\n', 'toolbox-dev-Echo\x1b[2J',
                                  'x\r\nlambda 200 forged (RequestResponse)', 'a\x00b'])
def test_a_function_name_with_control_characters_is_a_400_invalid_parameter_value(
        toolbox, name):
    client = toolbox.lambda_client()
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.invoke(FunctionName=name, Payload=b'{}')
    assert caught.value.response['ResponseMetadata']['HTTPStatusCode'] == 400


def test_control_characters_from_a_request_never_reach_the_console_raw(child_endpoint):
    forged = 'lambda 200 forged-function (RequestResponse) 1.0 ms'
    requests.post(f'{child_endpoint.aws_url}/2015-03-31/functions/x%0A{forged}/invocations',
                  data=b'{}', timeout=10)
    requests.post(child_endpoint.aws_url, data=b'{}', timeout=10, headers={
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.\x1b[31mRed\x1b[0m',
        'Authorization': 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/dynamodb/'
                         'aws4_request, SignedHeaders=host, Signature=0'})
    log = child_endpoint.log_text()
    assert not any(line.startswith(forged) for line in log.splitlines())
    assert '\x1b' not in log
    assert 'OperationNotFoundError: \\x1b[31mRed\\x1b[0m' in log
    assert f'x\\n{forged}' in log


# -- payload encodings ---------------------------------------------------------

ENCODINGS = ['utf-16', 'utf-16-le', 'utf-16-be', 'utf-32', 'utf-32-le', 'utf-32-be',
             'utf-8-sig']


def test_utf16_payloads_never_disable_a_function():
    """The security review's case: 6-byte UTF-16 requests (`{}` with a BOM),
    more of them than a function has sandboxes and callers waiting for one."""
    with testing.lambda_runtime([TOOLBOX]) as runtime:
        url = f'{runtime.aws_url}{INVOKE_ECHO}'
        assert len('{}'.encode('utf-16')) == 6
        for _ in range(12):
            answer = requests.post(url, data='{}'.encode('utf-16'), timeout=15)
            assert answer.status_code == 200
            assert answer.headers['X-Amz-Function-Error'] == 'Unhandled'
        answer = requests.post(url, data=b'{"still": "served"}', timeout=15)
        assert answer.status_code == 200
        assert answer.json()['event'] == {'still': 'served'}


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_a_payload_in_any_encoding_gets_what_aws_runtime_client_makes_of_its_bytes(
        toolbox, encoding):
    """The endpoint passes the bytes on as Lambda does; AWS's own marshaller
    (awslambdaric) is the oracle for what the handler gets, or the error."""
    from awslambdaric.lambda_runtime_exception import FaultException
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    event = {'rider': 'Zoë', 'unicorn': '🦄'}
    payload = json.dumps(event, ensure_ascii=False).encode(encoding)
    answer = requests.post(f'{toolbox.aws_url}{INVOKE_ECHO}', data=payload, timeout=15)
    assert answer.status_code == 200, answer.text
    try:
        expected = LambdaMarshaller().unmarshal_request(payload)
    except FaultException as fault:
        assert answer.headers['X-Amz-Function-Error'] == 'Unhandled'
        assert answer.json()['errorType'] == fault.exception_type
    else:
        assert answer.json()['event'] == expected


@pytest.fixture(scope='module')
def toolbox():
    """The toolbox app's functions, served in this process."""
    with testing.lambda_runtime([TOOLBOX]) as handle:
        yield handle
