"""The text Lambda's platform writes around an invocation, in one place.

A function's own output (print, `logging`, the runtime's `[ERROR]` lines)
comes from the sandbox, written by AWS's runtime client; what Lambda adds
around it — `START`, `END`, `REPORT`, the timeout line — is written here, in
the format CloudWatch shows. `tail` is what `LogType=Tail` sends back.
"""
from __future__ import annotations

import base64
import functools
import importlib.metadata
import sys
import time

TAIL_BYTES = 4096
# Keep this much of one invocation's output: only the last 4 KB is ever sent.
KEEP_BYTES = 64 * 1024


def init_start_line(region: str) -> str:
    """What Lambda writes when it starts an execution environment, before
    the init's own output ("Identifying Lambda runtime version changes",
    AWS Lambda developer guide): `INIT_START Runtime Version:
    python:3.13.v14<TAB>Runtime Version ARN: arn:aws:lambda:<region>::runtime:<id>`.
    Here the version names this machine's Python and AWS's runtime client."""
    python = f'{sys.version_info.major}.{sys.version_info.minor}'
    return (f'INIT_START Runtime Version: python:{python}.local	'
            f'Runtime Version ARN: arn:aws:lambda:{region}::runtime:'
            f'local-awslambdaric-{_awslambdaric_version()}\n')


@functools.cache
def _awslambdaric_version() -> str:
    try:
        return importlib.metadata.version('awslambdaric')
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'


def start_line(request_id: str, version: str = '$LATEST') -> str:
    return f'START RequestId: {request_id} Version: {version}\n'


def end_line(request_id: str) -> str:
    return f'END RequestId: {request_id}\n'


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_memory_mb: int,
                init_ms: float | None = None) -> str:
    billed = max(1, int(duration_ms + 0.999))
    init = f'Init Duration: {init_ms:.2f} ms\t' if init_ms is not None else ''
    return (f'REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t'
            f'Billed Duration: {billed} ms\tMemory Size: {memory_mb} MB\t'
            f'Max Memory Used: {max_memory_mb} MB\t{init}\n')


def timed_out_line(request_id: str, timeout_seconds: float) -> str:
    stamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())
    return f'{stamp}.000Z {request_id} Task timed out after {timeout_seconds:.2f} seconds\n'


def exited_line(request_id: str, reason: str) -> str:
    return f'RequestId: {request_id} Error: {reason}\nRuntime.ExitError\n'


def invocation_log(request_id: str, output: bytes, closing: str, report: str,
                   init: bytes = b'') -> bytes:
    """The init's lines on a cold start (`init`: INIT_START and what the
    import wrote), then START, what the function wrote, any platform line,
    END, REPORT. The runtime client ends the lines of one multi-line record
    (`[ERROR]` and its traceback) with CR on stdout; Lambda's log shows them
    as lines."""
    output = output[-KEEP_BYTES:].replace(b'\r', b'\n')
    return (init[-KEEP_BYTES:].replace(b'\r', b'\n') + start_line(request_id).encode()
            + output + closing.encode() + end_line(request_id).encode() + report.encode())


def tail(log: bytes) -> str:
    """`X-Amz-Log-Result`: base64 of the last 4 KB."""
    return base64.b64encode(log[-TAIL_BYTES:]).decode('ascii')
