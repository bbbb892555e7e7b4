"""`python -m local_stack` (`make run`): the whole system on 127.0.0.1, in
the foreground, until Ctrl-C or SIGTERM; then every process it started is
stopped and every port released.

Ports and the transport come from options or the environment:
LOCAL_STACK_AWS_PORT (4566), LOCAL_STACK_RIDES_PORT (8000),
LOCAL_STACK_FLEET_PORT (8001), LOCAL_STACK_RECORD_PORT (8002),
UNICORN_TRANSPORT (invoke | http).
`make run DEBUG=<function>` passes `--debug <function>`. `--help` lists
every option (`local_stack.options`).
"""
import argparse
import gc
import json
import os
import signal
import sys
import threading


class StoppedWhileStarting(Exception):
    """SIGINT or SIGTERM arrived before the stack was ready."""


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The options of `local_stack.options.Options`, plus --ready-file."""
    from local_stack.options import argument_parser

    parser = argument_parser(prog='python -m local_stack', description=__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--ready-file', help='write the stack\'s URLs there (JSON) when ready')
    args = parser.parse_args(argv)
    for name in ('rides_port', 'fleet_port', 'record_port'):
        if not 0 < getattr(args, name) < 65536:
            parser.error(f'--{name.replace("_", "-")} must be a port number (1-65535)')
    if not 0 <= args.aws_port < 65536:
        parser.error('--aws-port must be a port number, or 0 for any free port')
    return args


def main(argv: list[str] | None = None) -> int:
    # No collection while starting: the imports and moto's services make
    # objects that all live on, and walking them cost ~2 s of CPU per start
    # (six full collections). Collection resumes once the stack is ready.
    gc.disable()
    args = parse(argv)
    ready_file = args.ready_file
    options = {key: value for key, value in vars(args).items() if key != 'ready_file'}
    stopping = threading.Event()
    starting = [True]

    def on_signal(*_):
        stopping.set()
        if starting[0]:  # interrupt the start; Stack.start stops what it began
            starting[0] = False
            raise StoppedWhileStarting()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:  # imported after the handlers are in place: a second or more of imports
        from local_stack.children import ChildFailed
        from local_stack.provision import ProvisioningFailed
        from local_stack.stack import Options, Stack, banner, say
    except StoppedWhileStarting:
        return 0
    try:
        stack = Stack(Options(**options))
        stack.start()
    except StoppedWhileStarting:
        say('stopped before it was ready')
        return 0
    except (OSError, ChildFailed, ProvisioningFailed) as error:
        print(f'local stack failed to start: {error}', file=sys.stderr, flush=True)
        return 1
    finally:
        starting[0] = False
    # Everything made while starting (moto's backends, botocore's models,
    # every import) lives as long as the stack: kept out of the collector's
    # sight, a full collection walks a few thousand objects, not 250,000
    # (measured under `make bench`: ~5 ms instead of ~300 ms each).
    gc.freeze()
    gc.enable()
    status = 0
    try:
        info = stack.info()
        say(banner(info))
        if ready_file:
            _write_atomically(ready_file, json.dumps(info))
        while not stopping.wait(0.5):
            child = stack.failed_child()
            if child is not None:
                print(f'{child.label} stopped unexpectedly (status {child.process.returncode}); '
                      'stopping everything', file=sys.stderr, flush=True)
                status = 1
                break
    finally:
        say('stopping...')
        stack.stop()
        say('stopped')
    return status


def _write_atomically(path: str, text: str) -> None:
    partial = f'{path}.partial'
    with open(partial, 'w') as handle:
        handle.write(text)
    os.replace(partial, path)


if __name__ == '__main__':
    sys.exit(main())
