"""The local AWS endpoint and the Lambda runtime behind it, put together in
one place for the stack (`stack.Stack`) and for tests (`testing`).

The port is bound first, so its URL is known before the runtime is made
(sandboxes get it as `AWS_ENDPOINT_URL`) and a busy port fails before any
process starts; then the runtime, the endpoint that answers with it, and the
server on that port.
"""
from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from local_stack.apps import AppDirectory
from local_stack.endpoint import Endpoint, EndpointServer
from local_stack.options import Options
from local_stack.runtime import LambdaRuntime

HOST = '127.0.0.1'  # loopback only, always


@dataclass
class LocalAws:
    endpoint: Endpoint
    server: EndpointServer
    runtime: LambdaRuntime

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> LocalAws:
        """Read every app's functions, then serve."""
        self.runtime.start()
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving, then end every sandbox. Safe to call twice."""
        self.server.stop()
        self.runtime.close()


def assemble(apps: Iterable[AppDirectory], options: Options,
             log: Callable[[str], None] | None = None,
             request_log: Callable[[str], None] | None = None) -> LocalAws:
    """Endpoint + runtime for `apps` on `options.aws_port` (0: any free
    port); nothing runs until `start`."""
    listener = _listen(HOST, options.aws_port)
    try:
        url = f'http://{HOST}:{listener.getsockname()[1]}'
        runtime = LambdaRuntime(apps, url, options, log=log)
        endpoint = Endpoint(runtime, log=request_log, notices=log)
        server = EndpointServer(endpoint, HOST, listener=listener,
                                page_ports=(options.rides_port,),
                                moto_admin=options.moto_admin, log=request_log)
    finally:
        listener.close()  # the server holds its own descriptor of it
    return LocalAws(endpoint, server, runtime)


def _listen(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise OSError(f'port {port} on {host} is in use ({error.strerror}); stop what uses it '
                      'or choose another port') from None
    return listener
