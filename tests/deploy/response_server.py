"""A loopback server standing in for CloudFormation's pre-signed
`ResponseURL`: it records every PUT (path, headers, JSON body)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ResponseServer:
    def __init__(self, status=200):
        self.status = status
        self.requests = []
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05}, daemon=True)

    def url(self, path='/cloudformation-response'):
        return f'http://127.0.0.1:{self._server.server_address[1]}{path}?X-Amz-Signature=abc'

    @property
    def documents(self):
        return [request['body'] for request in self.requests]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                length = int(self.headers.get('Content-Length') or 0)
                server.requests.append({
                    'method': 'PUT', 'path': self.path, 'headers': dict(self.headers),
                    'body': json.loads(self.rfile.read(length))})
                self.send_response(server.status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
