"""Every option of the local stack, its default and its help, in one place.

`python -m local_stack`'s command line is derived from `Options` (each
field's metadata says its flag), `stack.Stack` and `testing` take `Options`,
and `pool_settings` turns them into what the runtime's pools use.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from local_stack.pool import PoolSettings

TRANSPORTS = ('invoke', 'http')


def _option(default: Any, help: str, *, env: str | None = None, flag: str | None = None,  # noqa: A002
            **argparse_extra: Any) -> Any:
    metadata = {'help': help, 'env': env, 'flag': flag, 'extra': argparse_extra}
    if isinstance(default, list):
        return field(default_factory=list, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class Options:
    aws_port: int = _option(4566, 'the local AWS endpoint (0: any free port)',
                            env='LOCAL_STACK_AWS_PORT')
    rides_port: int = _option(8000, "rides' chalice local", env='LOCAL_STACK_RIDES_PORT')
    fleet_port: int = _option(8001, "the fleet's chalice local", env='LOCAL_STACK_FLEET_PORT')
    record_port: int = _option(8002, "ride-record's chalice local",
                               env='LOCAL_STACK_RECORD_PORT')
    transport: str = _option('invoke', 'how rides reaches the fleet', env='UNICORN_TRANSPORT',
                             choices=TRANSPORTS)
    stage: str = _option('dev', 'the Chalice stage whose configuration is used')
    account_concurrency: int = _option(
        1000, 'invocations in flight across every function before 429 (the local account '
              "limit, AWS's default; reserved_concurrency in config.json bounds one function)")
    warm_wait_ms: int = _option(
        200, 'how long an invocation waits for a warm sandbox before a new one is started')
    parallel_starts: int = _option(
        PoolSettings.parallel_starts, 'sandboxes of one function starting at once, at most')
    max_sandboxes: int = _option(0, 'sandboxes per function, at most (0: no bound)')
    debug: str = _option('', 'run this function (its name in the app, or its deployed '
                             'name) under debugpy on 127.0.0.1:5678, one sandbox without '
                             'timeout, and wait for an IDE to attach (make run DEBUG=...)',
                         metavar='FUNCTION')
    chalice_local: bool = _option(True, 'only the AWS endpoint and the Lambda runtime',
                                  flag='--no-chalice-local')
    provision: bool = _option(True, 'create no table, topic or parameter; do not run LoadTable',
                              flag='--no-provision')
    autoreload: bool = _option(True, 'chalice local does not restart on code changes',
                               flag='--no-autoreload')
    app_dirs: list[str] = _option([], 'another Chalice app for the runtime (repeatable)',
                                  flag='--app', metavar='DIR')
    log_requests: bool = _option(True, 'no line per AWS request', flag='--quiet')
    throttle: bool = _option(True, "no stage throttling on rides' chalice local (the "
                                   "stage's rate and burst, Project.rides_throttle)",
                             flag='--no-throttle')
    moto_admin: bool = _option(False, "serve moto's admin routes (/moto-api/: reset, "
                                      'data.json); off by default, as any local process '
                                      'could wipe or read the state')


def argument_parser(**kwargs: Any) -> argparse.ArgumentParser:
    """`Options` as a command line; defaults from the environment where a
    field names a variable."""
    parser = argparse.ArgumentParser(**kwargs)
    for option in fields(Options):
        meta = option.metadata
        flag = meta['flag'] or '--' + option.name.replace('_', '-')
        default = [] if option.default is MISSING else option.default
        if isinstance(default, bool):
            parser.add_argument(flag, dest=option.name, help=meta['help'],
                                action='store_false' if default else 'store_true')
        elif isinstance(default, list):
            parser.add_argument(flag, dest=option.name, help=meta['help'], action='append',
                                default=[], **meta['extra'])
        else:
            if meta['env'] and os.environ.get(meta['env']):
                default = type(default)(os.environ[meta['env']])
            extra_help = f' (default: ${meta["env"]} or %(default)s)' if meta['env'] else \
                ' (default: %(default)s)'
            parser.add_argument(flag, dest=option.name, type=type(default), default=default,
                                help=meta['help'] + extra_help, **meta['extra'])
    return parser


def pool_settings(options: Options, *function_names: str) -> PoolSettings:
    """What the pool of the function known by `function_names` (its name in
    the app, its deployed name) runs with."""
    return PoolSettings(warm_wait_seconds=options.warm_wait_ms / 1000,
                        parallel_starts=max(1, options.parallel_starts),
                        max_sandboxes=max(0, options.max_sandboxes),
                        debug=bool(options.debug) and options.debug in function_names)
