"""The sandbox: one process running one function of one app, like a Lambda
execution environment.

Started by `local_stack.pool` as `python -m local_stack.worker`, with the
app's directory as working directory and the function's environment only
(nothing of the parent's), it imports the app once (the cold start) and then
answers invocations one at a time over a pipe. It does what Lambda's Python
runtime does with a handler's outcome: the result goes through `json.dumps`,
an exception becomes `{"errorMessage", "errorType", "stackTrace"}`, and what
the invocation printed or logged is kept for `LogType=Tail`.

Without `--function` it only reports which functions the app declares.
"""
import argparse
import importlib
import json
import os
import resource
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection

from local_stack.declared import declared_functions

RESPONSE_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Keep this much of an invocation's log; only the last 4 KB is ever sent back.
LOG_KEEP_CHARS = 64 * 1024


class LogTee:
    """Stands in for sys.stdout/sys.stderr: writes go to the real stream,
    each line prefixed with the function's name, and to the invocation's log."""

    def __init__(self, stream, prefix):
        self._stream, self._prefix = stream, prefix
        self._at_line_start = True
        self.captured = None  # a list while an invocation runs

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        if self.captured is not None:
            self.captured.append(text)
            if len(self.captured) > 1024:  # a chatty handler: keep only the tail
                self.captured[:] = [''.join(self.captured)[-LOG_KEEP_CHARS:]]
        out = []
        for piece in text.splitlines(keepends=True):
            if self._at_line_start:
                out.append(self._prefix)
            out.append(piece)
            self._at_line_start = piece.endswith('\n')
        try:
            self._stream.write(''.join(out))
            self._stream.flush()
        except (OSError, ValueError):
            pass  # nobody is reading the terminal any more
        return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def isatty(self):
        return False

    def fileno(self):
        return self._stream.fileno()

    @property
    def encoding(self):
        return 'utf-8'


class LambdaContext:
    """The `context` argument, with the attributes Lambda's context has."""

    def __init__(self, request_id, deadline, client_context):
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get('AWS_LAMBDA_FUNCTION_NAME')
        self.function_version = env.get('AWS_LAMBDA_FUNCTION_VERSION', '$LATEST')
        self.invoked_function_arn = env.get('LOCAL_STACK_FUNCTION_ARN')
        self.memory_limit_in_mb = env.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')
        self.log_group_name = env.get('AWS_LAMBDA_LOG_GROUP_NAME')
        self.log_stream_name = env.get('AWS_LAMBDA_LOG_STREAM_NAME')
        self.identity = None
        self.client_context = client_context
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def main(argv=None):
    args = _parse(argv)
    # Ctrl-C in a terminal reaches the whole process group; the stack ends
    # its workers itself, and a worker whose parent is gone ends at EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox, outbox = Connection(args.read_fd, writable=False), Connection(args.write_fd,
                                                                         readable=False)
    _enter_app_directory(args.app_dir)
    prefix = f'[{args.function or os.path.basename(args.app_dir)}] '
    tees = LogTee(sys.__stdout__, prefix), LogTee(sys.__stderr__, prefix)
    sys.stdout, sys.stderr = tees
    try:
        functions = declared_functions(importlib.import_module('app'))
    except BaseException as error:  # noqa: BLE001 - any import failure is an init error
        _send(outbox, {'ready': False, **_init_error(error)})
        return 1
    names = list(functions)
    if not args.function:
        _send(outbox, {'ready': True, 'functions': names})
        return 0
    handler = functions.get(args.function)
    if handler is None:
        _send(outbox, {'ready': False, 'errorType': 'Runtime.HandlerNotFound',
                       'errorMessage': f"Handler '{args.function}' missing on module 'app'",
                       'stackTrace': []})
        return 1
    _send(outbox, {'ready': True, 'functions': names})
    _serve(handler, inbox, outbox, tees)
    return 0


def _parse(argv):
    parser = argparse.ArgumentParser(prog='python -m local_stack.worker')
    parser.add_argument('--app-dir', required=True)
    parser.add_argument('--function', default='')
    parser.add_argument('--read-fd', type=int, required=True)
    parser.add_argument('--write-fd', type=int, required=True)
    return parser.parse_args(argv)


def _enter_app_directory(app_dir):
    """sys.path as in /var/task: the app's folder and its vendor/ first,
    and nothing of the project this runtime lives in."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if p not in ('', '.', here, os.getcwd())]
    sys.path[:0] = [app_dir, os.path.join(app_dir, 'vendor')]
    os.chdir(app_dir)


def _serve(handler, inbox, outbox, tees):
    while True:
        try:
            request = json.loads(inbox.recv_bytes())
        except (EOFError, OSError):
            return
        _send(outbox, _invoke(handler, request, tees))


def _invoke(handler, request, tees):
    request_id = request['request_id']
    started = time.perf_counter()
    captured = [f'START RequestId: {request_id} Version: $LATEST\n']
    for tee in tees:
        tee.captured = captured
    error = None
    try:
        context = LambdaContext(request_id, time.time() + request['timeout'],
                                request.get('client_context'))
        result = handler(json.loads(request['payload']), context)
        payload = _marshal(result, request_id)
        if isinstance(payload, dict):
            error, payload = 'Unhandled', json.dumps(payload)
    except Exception as exc:  # noqa: BLE001 - Lambda reports every exception
        error = 'Unhandled'
        body = _error_body(exc, request_id)
        print(f'[ERROR] {body["errorType"]}: {body["errorMessage"]}', file=sys.stderr)
        payload = json.dumps(body)
    finally:
        for tee in tees:
            tee.captured = None
    elapsed_ms = (time.perf_counter() - started) * 1000
    captured.append(_report_lines(request_id, elapsed_ms))
    logs = ''.join(captured)[-LOG_KEEP_CHARS:]
    return {'payload': payload, 'error': error, 'logs': logs, 'duration_ms': elapsed_ms}


def _marshal(result, request_id):
    """The result as JSON text, or the error payload Lambda answers with."""
    try:
        text = json.dumps(result)
    except (TypeError, ValueError, RecursionError) as error:
        return {'errorMessage': f'Unable to marshal response: {error}',
                'errorType': 'Runtime.MarshalError', 'requestId': request_id,
                'stackTrace': []}
    if len(text.encode()) > RESPONSE_PAYLOAD_LIMIT:
        return {'errorMessage': 'Response payload size exceeded maximum allowed payload '
                                f'size ({RESPONSE_PAYLOAD_LIMIT} bytes).',
                'errorType': 'Function.ResponseSizeTooLarge'}
    return text


def _error_body(exc, request_id):
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # from the handler on, as on Lambda
    return {'errorMessage': str(exc), 'errorType': type(exc).__name__,
            'requestId': request_id, 'stackTrace': traceback.format_list(frames)}


def _init_error(error):
    if isinstance(error, SyntaxError):
        return {'errorType': 'Runtime.UserCodeSyntaxError',
                'errorMessage': f"Syntax error in module 'app': {error}",
                'stackTrace': traceback.format_exception_only(type(error), error)}
    if isinstance(error, ImportError):
        return {'errorType': 'Runtime.ImportModuleError',
                'errorMessage': f"Unable to import module 'app': {error}", 'stackTrace': []}
    return {'errorType': type(error).__name__, 'errorMessage': str(error),
            'stackTrace': traceback.format_list(traceback.extract_tb(error.__traceback__))}


def _report_lines(request_id, elapsed_ms):
    used_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    memory = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '?')
    return (f'END RequestId: {request_id}\n'
            f'REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t'
            f'Billed Duration: {max(1, int(elapsed_ms + 0.999))} ms\t'
            f'Memory Size: {memory} MB\tMax Memory Used: {used_mb} MB\t\n')


def _send(outbox, message):
    try:
        outbox.send_bytes(json.dumps(message).encode())
    except OSError:  # the runtime is gone (stopped, or gave up on this worker)
        os._exit(0)


if __name__ == '__main__':
    sys.exit(main())
