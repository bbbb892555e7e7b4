"""A threaded HTTP server on 127.0.0.1 for tests: a free port, a background
thread, a quick shutdown. Subclasses give the request handler."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QueuingServer(ThreadingHTTPServer):
    # Python's default backlog is 5: a burst of concurrent clients would
    # have its extra connections dropped and its callers' connect time out,
    # which no AWS endpoint does (nor the local stack, backlog 128).
    request_queue_size = 128


class LoopbackServer:
    def __init__(self, handler_class):
        self._server = _QueuingServer(('127.0.0.1', 0), handler_class)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05}, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self._server.server_address[1]}'

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
