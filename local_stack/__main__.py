"""`python -m local_stack` (`make run`): the whole system on 127.0.0.1, in
the foreground, until Ctrl-C or SIGTERM; then every process it started is
stopped and every port released.

Ports and the transport come from options or the environment:
LOCAL_STACK_AWS_PORT (4566), LOCAL_STACK_RIDES_PORT (8000),
LOCAL_STACK_FLEET_PORT (8001), UNICORN_TRANSPORT (invoke | http).
"""
import argparse
import json
import os
import signal
import sys
import threading

TRANSPORTS = ('invoke', 'http')


class StoppedWhileStarting(Exception):
    """SIGINT or SIGTERM arrived before the stack was ready."""


def parse(argv=None):
    env = os.environ
    parser = argparse.ArgumentParser(prog='python -m local_stack', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--aws-port', type=int, default=int(env.get('LOCAL_STACK_AWS_PORT',
                                                                    4566)),
                        help='the local AWS endpoint (0: any free port)')
    parser.add_argument('--rides-port', type=int,
                        default=int(env.get('LOCAL_STACK_RIDES_PORT', 8000)))
    parser.add_argument('--fleet-port', type=int,
                        default=int(env.get('LOCAL_STACK_FLEET_PORT', 8001)))
    parser.add_argument('--transport', choices=TRANSPORTS,
                        default=env.get('UNICORN_TRANSPORT') or 'invoke',
                        help="how rides reaches the fleet (default: $UNICORN_TRANSPORT or invoke)")
    parser.add_argument('--stage', default='dev')
    parser.add_argument('--pool-size', type=int, default=2,
                        help='worker processes per function, at most')
    parser.add_argument('--max-waiting', type=int, default=8,
                        help='callers waiting for a busy function before 429')
    parser.add_argument('--no-chalice-local', dest='chalice_local', action='store_false',
                        help='only the AWS endpoint and the Lambda runtime')
    parser.add_argument('--no-provision', dest='provision', action='store_false',
                        help='create no table, topic or parameter; do not run LoadTable')
    parser.add_argument('--no-autoreload', dest='autoreload', action='store_false',
                        help='chalice local does not restart on code changes')
    parser.add_argument('--app', dest='app_dirs', action='append', default=[],
                        metavar='DIR', help='another Chalice app for the runtime (repeatable)')
    parser.add_argument('--quiet', dest='log_requests', action='store_false',
                        help='no line per AWS request')
    parser.add_argument('--moto-admin', action='store_true',
                        help="serve moto's admin routes (/moto-api/: reset, data.json); off by "
                             'default, as any local process could wipe or read the state')
    parser.add_argument('--ready-file', help='write the stack\'s URLs there (JSON) when ready')
    args = parser.parse_args(argv)
    for name in ('rides_port', 'fleet_port'):
        if not 0 < getattr(args, name) < 65536:
            parser.error(f'--{name.replace("_", "-")} must be a port number (1-65535)')
    if not 0 <= args.aws_port < 65536:
        parser.error('--aws-port must be a port number, or 0 for any free port')
    return args


def main(argv=None):
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


def _write_atomically(path, text):
    partial = f'{path}.partial'
    with open(partial, 'w') as handle:
        handle.write(text)
    os.replace(partial, path)


if __name__ == '__main__':
    sys.exit(main())
