"""The Runtime API a sandbox's runtime client talks to, driven here the way
awslambdaric drives it: one keep-alive connection, `GET .../next`, then the
outcome's POST, then at once `GET .../next` again."""
import http.client
import json
import threading

from local_stack.runtime_api import PREFIX, Invocation, RuntimeApi


def invocation(request_id, payload):
    return Invocation(request_id=request_id, payload=payload,
                      function_arn='arn:aws:lambda:us-east-1:000000000000:function:f',
                      deadline_ms=0, trace_id='Root=1-00000000-000000000000000000000000')


def echoing_runtime_client(address, rounds, seen):
    """Answers each invocation with its own payload and request id."""
    host, port = address.split(':')
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for _ in range(rounds):
            connection.request('GET', f'{PREFIX}/invocation/next')
            response = connection.getresponse()
            payload = response.read()
            request_id = response.getheader('Lambda-Runtime-Aws-Request-Id')
            seen.append((request_id, connection.sock))
            body = json.dumps({'id': request_id, 'payload': payload.decode()}).encode()
            connection.request('POST', f'{PREFIX}/invocation/{request_id}/response', body)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 202
        connection.request('GET', f'{PREFIX}/invocation/next')  # waits, as a warm sandbox does
        connection.sock.settimeout(0.5)
        try:
            connection.getresponse()
        except OSError:
            pass
    finally:
        connection.close()


def test_successive_invocations_reach_the_runtime_client_in_order_with_their_own_ids():
    api = RuntimeApi()
    seen = []
    client = threading.Thread(target=echoing_runtime_client, args=(api.address, 5, seen),
                              daemon=True)
    client.start()
    try:
        assert api.ready.wait(10)
        outcomes = []
        for number in range(5):
            current = invocation(f'request-{number}', f'payload {number}'.encode())
            assert api.run(current, timeout=10)
            outcomes.append((current.error_type, json.loads(current.result)))
        assert outcomes == [(None, {'id': f'request-{n}', 'payload': f'payload {n}'})
                            for n in range(5)]
        assert len({sock for _, sock in seen}) == 1  # one keep-alive connection throughout
    finally:
        api.close()
        client.join(5)


def test_an_outcome_for_another_request_id_is_refused():
    api = RuntimeApi()
    current = invocation('the-right-one', b'{}')
    api.current = current
    status, body = api.posted(f'{PREFIX}/invocation/another-one/response', None, b'{}')
    assert status == 400 and body['errorType'] == 'InvalidRequestID'
    assert not current.done.is_set()
    api.close()


def test_a_runtime_client_that_goes_away_while_waiting_leaves_the_next_invocation_unfinished():
    """Its process ended (the sandbox's watcher then answers the invocation
    with `Runtime.ExitError`); the Runtime API does not hang on it."""
    api = RuntimeApi()
    seen = []
    client = threading.Thread(target=echoing_runtime_client, args=(api.address, 1, seen),
                              daemon=True)
    client.start()
    try:
        assert api.ready.wait(10)
        first = invocation('first', b'{}')
        assert api.run(first, timeout=10)
        client.join(5)  # it asked for the next one, then closed its connection
        second = invocation('second', b'{}')
        threading.Timer(0.2, lambda: second.complete(b'exited', 'Runtime.ExitError')).start()
        result = api.run(second, timeout=10)
        assert result and second.error_type == 'Runtime.ExitError'
    finally:
        api.close()


def test_the_cognito_identity_header_goes_only_with_an_invocation_that_carries_one():
    """As AWS's Runtime Interface Emulator renders it (lambda/rapi/rendering/
    rendering.go): the header is set only when the invoke has a Cognito
    identity id or pool id (credentials from a Cognito identity pool), as
    `{"cognitoIdentityId", "cognitoIdentityPoolId"}`; no local invoke has one."""
    plain = invocation('plain', b'{}')
    identity = '{"cognitoIdentityId": "us-east-1:1234", "cognitoIdentityPoolId": "us-east-1:pool"}'
    with_identity = invocation('with-identity', b'{}')
    with_identity.cognito_identity = identity
    assert 'Lambda-Runtime-Cognito-Identity' not in dict(plain.next_headers())
    assert dict(with_identity.next_headers())['Lambda-Runtime-Cognito-Identity'] == identity
