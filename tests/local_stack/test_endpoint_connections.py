"""The local endpoint keeps a client's connection open between requests, as
AWS's endpoints do (HTTP/1.1 keep-alive), so boto3's pooled connections are
reused; and it never takes the unread rest of a refused body for a request
of its own."""
import http.client
import socket

from local_stack.endpoint import Endpoint, EndpointServer


def dynamodb_list_tables(connection, host):
    body = b'{}'
    connection.request('POST', '/', body, {
        'Host': host, 'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        'Authorization': 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/'
                         'aws4_request, SignedHeaders=host, Signature=0'})
    response = connection.getresponse()
    return response, response.read()


def test_successive_requests_are_answered_on_one_connection(endpoint):
    connection = http.client.HTTPConnection('127.0.0.1', endpoint.port, timeout=10)
    host = f'127.0.0.1:{endpoint.port}'
    try:
        first, _ = dynamodb_list_tables(connection, host)
        socket_of_first = connection.sock
        second, body = dynamodb_list_tables(connection, host)
        assert (first.status, second.status) == (200, 200)
        assert b'TableNames' in body
        assert first.getheader('Connection') != 'close'
        assert connection.sock is socket_of_first  # http.client reconnects after a close
    finally:
        connection.close()


def test_boto3_reuses_its_pooled_connection(endpoint, monkeypatch):
    import boto3
    from urllib3.connection import HTTPConnection

    opened = []
    connect = HTTPConnection.connect

    def counting_connect(self):
        opened.append(self)
        return connect(self)

    monkeypatch.setattr(HTTPConnection, 'connect', counting_connect)
    client = boto3.session.Session(
        aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1',
    ).client('dynamodb', endpoint_url=endpoint.url)
    for _ in range(5):
        client.list_tables()
    assert len(opened) == 1


def test_a_refused_request_ends_its_connection_and_its_body_is_never_served(endpoint):
    """A body sent with a refused request (wrong Host) is not read; what it
    holds (here a request to the admin route) must not be taken for the next
    request on the connection."""
    smuggled = (b'POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                b'Content-Length: 0\r\n\r\n' % endpoint.port)
    with socket.create_connection(('127.0.0.1', endpoint.port), timeout=10) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: evil.example\r\nContent-Length: %d\r\n\r\n'
                     % len(smuggled) + smuggled)
        answer = _read_to_end(sock)
    assert answer.startswith(b'HTTP/1.1 403')
    assert b'\r\nConnection: close\r\n' in answer
    assert answer.count(b'HTTP/1.1 ') == 1


def test_a_body_the_endpoint_did_not_read_ends_the_connection(endpoint):
    """Over the 16 MB bound the endpoint answers 413 without reading the
    body: the connection ends rather than reading the rest as requests."""
    connection = http.client.HTTPConnection('127.0.0.1', endpoint.port, timeout=10)
    try:
        connection.putrequest('POST', '/', skip_host=True)
        connection.putheader('Host', f'127.0.0.1:{endpoint.port}')
        connection.putheader('Content-Length', str(64 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader('Connection') == 'close'
    finally:
        connection.close()


def test_stopping_the_endpoint_ends_idle_keep_alive_connections():
    server = EndpointServer(Endpoint(None), '127.0.0.1', 0).start()
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        dynamodb_list_tables(connection, f'127.0.0.1:{server.port}')
        idle = connection.sock
        server.stop()
        idle.settimeout(5)
        assert idle.recv(1) == b''  # the server ended it
    finally:
        connection.close()


def _read_to_end(sock):
    data = b''
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_client_that_expects_100_continue_gets_it_once_then_the_answer(endpoint):
    body = b'{}'
    with socket.create_connection(('127.0.0.1', endpoint.port), timeout=10) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nExpect: 100-continue\r\n'
                     b'Content-Type: application/x-amz-json-1.0\r\n'
                     b'X-Amz-Target: DynamoDB_20120810.ListTables\r\n'
                     b'Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/'
                     b'dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n'
                     b'Content-Length: %d\r\n\r\n' % (endpoint.port, len(body)))
        interim = sock.recv(65536)
        assert interim == b'HTTP/1.1 100 Continue\r\n\r\n'
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b'HTTP/1.1 200')
    assert b'TableNames' in answer
