"""Where the fleet call's time goes, locally: `python -m bench.fleet_call_anatomy [ROUNDS]`.

Section 1 of `make bench` finds the fleet call by `lambda.invoke` slower than
the one over HTTP. The two differ on both ends: the server (the local
runtime's endpoint and a sandbox running AWS's runtime client, or `chalice
local`) and the caller's client (boto3, or urllib with botocore's SigV4
signer). This tells the two apart, alternating in one loop through one
stack, as section 1 does:

- `invoke`: boto3's `lambda.invoke`, as rides makes it (`InvokeTransport`);
- `invoke_lean`: the same Invoke request to the same endpoint, signed with
  botocore's SigV4 as the http transport signs its GET, sent on one kept-alive
  `http.client` connection (boto3 keeps its connection too);
- `http`: `GET /unicorn` through `chalice local`, as rides makes it (`HttpTransport`).

For each: the median latency and the caller's own CPU per call (its
thread's CPU time, the kernel's share of its sends included). `invoke`
minus `invoke_lean` is what the caller's client adds; `invoke_lean` against
`http` compares the servers. A path is faster right after one that woke the
same processes moments before (the sandbox, after an invoke's release), so
half the rounds run the paths in one order and half in the reverse one:
each path follows each other path equally often. Nothing here is part of
`make bench`.
"""
import http.client
import json
import sys
import time
import urllib.parse
from typing import Any

from bench.interleave import Path, alternate
from bench.local_paths import (
    RideRecords,
    _aws_environment,
    _dispatch_path,
    _quiet_transports,
)
from bench.stats import Summary

WARMUP = 20
LABELS = {'invoke': 'lambda.invoke, boto3 (as rides)',
          'invoke_lean': 'the same Invoke, SigV4-signed, http.client',
          'http': 'GET /unicorn, chalice local (as rides)'}


class SignedInvoke:
    """A synchronous Invoke as the Lambda API takes it, without boto3: the
    request boto3 sends (POST .../functions/{arn}/invocations, JSON body,
    SigV4 for `lambda`), on a connection kept open between calls."""

    def __init__(self, endpoint_url: str, function_arn: str, region: str = 'us-east-1') -> None:
        import boto3

        url = urllib.parse.urlsplit(endpoint_url)
        self._host, self._port = url.hostname or '127.0.0.1', url.port or 80
        self._url = (f'{endpoint_url.rstrip("/")}/2015-03-31/functions/'
                     f'{urllib.parse.quote(function_arn, safe="")}/invocations')
        self._path = urllib.parse.urlsplit(self._url).path
        self._credentials = boto3.session.Session().get_credentials().get_frozen_credentials()
        self._region = region
        self._connection: http.client.HTTPConnection | None = None

    def dispatch(self, payload: dict[str, Any]) -> Any:
        """The function's result; raises when the answer is not a 200 that ran cleanly."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps(payload).encode()
        request = AWSRequest(method='POST', url=self._url, data=body,
                             headers={'Content-Type': 'application/json'})
        SigV4Auth(self._credentials, 'lambda', self._region).add_auth(request)
        status, function_error, answer = self._send(body, dict(request.headers.items()))
        if status != 200 or function_error:
            raise RuntimeError(f'Invoke answered {status} {function_error or ""}: {answer[:200]!r}')
        return json.loads(answer)

    def _send(self, body: bytes, headers: dict[str, str]) -> tuple[int, str | None, bytes]:
        for attempt in (1, 2):  # a kept connection the server closed meanwhile: once more
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=10)
            try:
                self._connection.request('POST', self._path, body=body, headers=headers)
                response = self._connection.getresponse()
                return (response.status, response.getheader('X-Amz-Function-Error'),
                        response.read())
            except (http.client.RemoteDisconnected, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError('unreachable')

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def measure(stack: Any, rounds: int, warmup: int = WARMUP) -> dict[str, dict[str, Any]]:
    """{path: {'label', 'latency': Summary (ms), 'caller_cpu': Summary (ms)}},
    from `rounds` rounds (half in each order) after `warmup` ones per order."""
    from shared import budget, wiring
    from shared.adapters import aws_clients
    from shared.adapters.transports.http import HttpTransport
    from shared.adapters.transports.invoke import InvokeTransport
    from shared.domain.errors import WildRydesError

    records = RideRecords(stack)
    with _aws_environment(stack['aws_url']), _quiet_transports():
        aws_clients.reset()
        lean = SignedInvoke(stack['aws_url'], stack['fleet_arn'])
        try:
            invoke = InvokeTransport(aws_clients.lambda_client(), stack['fleet_arn'])
            transports = {'invoke': invoke, 'invoke_lean': lean,
                          'http': HttpTransport(stack['fleet_url'], budget.FLEET_CALL,
                                                signer=wiring._signer())}
            last_ride: dict[str, tuple[str, str]] = {}

            def release(name: str, unicorn: Any) -> None:
                if not isinstance(unicorn, dict) or not unicorn.get('Name'):
                    raise RuntimeError(f'the fleet over {name} answered {unicorn!r}')
                ride_id, rider_id = last_ride[name]
                releaser: Any = transports['http'] if name == 'http' else invoke
                try:  # best effort: the lease frees the unicorn anyway
                    releaser.release(ride_id, rider_id)
                except WildRydesError:
                    pass
                records.forget(rider_id)

            names = list(transports)
            samples: dict[str, list[float]] = {name: [] for name in names}
            caller_cpu: dict[str, list[float]] = {name: [] for name in names}
            for turn, order in enumerate((names, names[::-1])):
                cpu: dict[str, list[float]] = {name: [] for name in names}
                paths = [_with_caller_cpu(_dispatch_path(name, transports[name], last_ride),
                                          cpu[name])
                         for name in order]
                share = rounds // 2 + (turn < rounds % 2)
                for name, values in alternate(paths, share, warmup=warmup,
                                              check=release).items():
                    samples[name] += values
                    caller_cpu[name] += cpu[name][warmup:]
        finally:
            lean.close()
            aws_clients.reset()
    return {name: {'label': LABELS[name], 'latency': Summary.of(values),
                   'caller_cpu': Summary.of(caller_cpu[name])}
            for name, values in samples.items()}


def _with_caller_cpu(path: Path, cpu_ms: list[float]) -> Path:
    """`path`, also recording the CPU its run took in this thread (ms)."""
    run = path.run

    def timed() -> object:
        started = time.thread_time()
        try:
            return run()
        finally:
            cpu_ms.append((time.thread_time() - started) * 1000)

    return Path(path.name, timed, path.prepare)


def render(results: dict[str, dict[str, Any]]) -> str:
    lines = ['| path | median ms | p95 ms | caller CPU, median ms |', '|---|---:|---:|---:|']
    for result in results.values():
        latency, cpu = result['latency'], result['caller_cpu']
        lines.append(f'| {result["label"]} | {latency.median:.2f} | {latency.p95:.2f} | '
                     f'{cpu.median:.2f} |')
    return '\n'.join(lines)


def main(argv: list[str]) -> int:
    from local_stack import testing

    rounds = int(argv[0]) if argv else 300
    with testing.local_stack(transport='invoke', throttle=False) as stack:
        print(render(measure(stack, rounds)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
