"""The endpoint reads request headers without the e-mail parser
(`local_stack.request_head`); what it gives must be what http.server's own
reader, `http.client.parse_headers`, gives for the same bytes."""
import http.client
import io

import pytest

from local_stack.request_head import read_headers

HEADS = {
    'boto3': b'Host: 127.0.0.1:4566\r\nAccept-Encoding: identity\r\nX-Amz-Date: 20250101T000000Z\r\n'
             b'Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/lambda/'
             b'aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: 2\r\n\r\n{}',
    'repeated and empty values': b'Accept: a\r\nAccept: b\r\nX-Empty:\r\nX-Spaces:   padded  \r\n\r\n',
    'a folded line': b'X-Folded: first\r\n  second\r\nHost: h\r\n\r\n',
    'bare newlines': b'Host: h\nContent-Length: 0\n\n',
    'a line that is no header ends them': b'Host: h\r\nnot a header\r\nX-After: lost\r\n\r\n',
    'no headers at all': b'\r\n',
}


@pytest.mark.parametrize('head', HEADS.values(), ids=HEADS.keys())
def test_headers_are_read_as_http_client_reads_them(head):
    ours, stdlib = io.BufferedReader(io.BytesIO(head)), io.BufferedReader(io.BytesIO(head))
    assert read_headers(ours).items() == http.client.parse_headers(stdlib).items()
    assert ours.read() == stdlib.read()  # both stop at the same byte: the body is left


def test_more_than_100_headers_are_refused_as_http_client_refuses_them():
    head = b''.join(b'X-%d: v\r\n' % number for number in range(101)) + b'\r\n'
    with pytest.raises(http.client.HTTPException):
        http.client.parse_headers(io.BufferedReader(io.BytesIO(head)))
    with pytest.raises(http.client.HTTPException):
        read_headers(io.BufferedReader(io.BytesIO(head)))


def test_a_header_line_over_64_kib_is_refused():
    head = b'X-Long: ' + b'v' * 70_000 + b'\r\n\r\n'
    with pytest.raises(http.client.LineTooLong):
        read_headers(io.BufferedReader(io.BytesIO(head)))
