"""A loopback server standing in for CloudFormation's pre-signed
`ResponseURL`: it records every PUT (path, headers, JSON body)."""
import json

from tests.support.loopback import LoopbackServer, QuietHandler


class ResponseServer(LoopbackServer):
    def __init__(self, status=200):
        self.status = status
        self.requests = []
        super().__init__(self._handler_class())

    def response_url(self, path='/cloudformation-response'):
        return f'{self.url}{path}?X-Amz-Signature=abc'

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
