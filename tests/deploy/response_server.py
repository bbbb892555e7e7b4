"""A loopback server standing in for CloudFormation's pre-signed
`ResponseURL`: it records every PUT (path, headers, JSON body).

The custom resource answers only an https S3 URL of the stack's partition,
so events carry one (`response_url()`); while the server runs,
`AWS_ENDPOINT_URL_S3` (the SDKs' setting for a local S3) sends that URL's
path and query here."""
import json
import os

from tests.support.loopback import LoopbackServer, QuietHandler

S3_HOST = 'cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com'
ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_S3'


class ResponseServer(LoopbackServer):
    def __init__(self, status=200):
        self.status = status
        self.requests = []
        self._saved_endpoint = None
        super().__init__(self._handler_class())

    def response_url(self, path='/cloudformation-response'):
        return f'https://{S3_HOST}{path}?X-Amz-Signature=abc'

    @property
    def environment(self):
        """What a child process needs to send its answers here."""
        return {ENDPOINT_VARIABLE: self.url}

    def __enter__(self):
        super().__enter__()
        self._saved_endpoint = os.environ.get(ENDPOINT_VARIABLE)
        os.environ[ENDPOINT_VARIABLE] = self.url
        return self

    def __exit__(self, *exc):
        if self._saved_endpoint is None:
            os.environ.pop(ENDPOINT_VARIABLE, None)
        else:
            os.environ[ENDPOINT_VARIABLE] = self._saved_endpoint
        super().__exit__(*exc)

    @property
    def documents(self):
        return [request['body'] for request in self.requests]

    def _handler_class(self):
        server = self

        class Handler(QuietHandler):
            def do_PUT(self):
                length = int(self.headers.get('Content-Length') or 0)
                server.requests.append({
                    'method': 'PUT', 'path': self.path, 'headers': dict(self.headers),
                    'body': json.loads(self.rfile.read(length))})
                self.send_response(server.status)
                self.send_header('Content-Length', '0')
                self.end_headers()

        return Handler
