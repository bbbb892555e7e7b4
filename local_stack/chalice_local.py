"""`chalice local`, exactly, except for stage variables the stack must set.

`chalice local` puts the stage's `environment_variables` over the process
environment, so a value in config.json always wins. The stack needs one
override when its ports are not the default ones: rides' dev config names
the fleet's URL (`REQUEST_UNICORN_URL`, port 8001). This launcher runs
Chalice's own CLI with the values of `LOCAL_STACK_STAGE_OVERRIDES` (JSON)
merged over the stage's, and re-runs itself when Chalice's reloader restarts.
It also checks tokens on Cognito routes and, when `LOCAL_STACK_THROTTLE`
(JSON `{"rate": ..., "burst": ...}`) is set, throttles as a stage does
(`local_stack.api_gateway`). It ends with the process that started it, its reloader also watches
`vendor/shared` (a symlink to the project's `shared/`) and the folders in
`LOCAL_STACK_WATCH_DIRS` (the stack names the project's `shared/`, which
rides reaches without a symlink), and it accepts a burst of connections.

    python -m local_stack.chalice_local --project-dir rides local --port 8000
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from collections.abc import Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from local_stack import api_gateway

if TYPE_CHECKING:
    from chalice.app import Chalice

OVERRIDES_VARIABLE = 'LOCAL_STACK_STAGE_OVERRIDES'
WATCH_VARIABLE = 'LOCAL_STACK_WATCH_DIRS'
THROTTLE_VARIABLE = 'LOCAL_STACK_THROTTLE'
_PR_SET_PDEATHSIG = 1


def _say(line: str) -> None:
    print(f'authorizer {line}', flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _end_with_parent()
    overrides = json.loads(os.environ.get(OVERRIDES_VARIABLE) or '{}')
    if overrides:
        _override_stage_environment(overrides)
    _watch_through_symlinks(_project_dir(argv), [
        folder for folder in os.environ.get(WATCH_VARIABLE, '').split(os.pathsep) if folder])
    _accept_bursts()
    api_gateway.install_cognito_authorizer(log=_say)
    if os.environ.get(THROTTLE_VARIABLE):
        api_gateway.install_throttle(*api_gateway.parse_throttle(os.environ[THROTTLE_VARIABLE]))
    # Chalice's reloader restarts the server by running sys.argv again.
    sys.argv = [sys.executable, '-m', 'local_stack.chalice_local', *argv]
    from chalice.cli import cli
    return cli.main(args=argv, prog_name='chalice', obj={})


def _override_stage_environment(overrides: dict[str, str]) -> None:
    from chalice.cli.factory import CLIFactory

    load = CLIFactory.load_chalice_app

    def load_with_overrides(self: CLIFactory,
                            environment_variables: MutableMapping[str, Any] | None = None,
                            *args: Any, **kwargs: Any) -> Chalice:
        if environment_variables is not None:
            environment_variables = {**environment_variables, **overrides}
        return load(self, environment_variables, *args, **kwargs)

    # Chalice has no hook for it: its method is wrapped, for this process only
    CLIFactory.load_chalice_app = load_with_overrides  # type: ignore[method-assign]


def _project_dir(argv: list[str]) -> str:
    for index, arg in enumerate(argv):
        if arg == '--project-dir' and index + 1 < len(argv):
            return os.path.realpath(argv[index + 1])
        if arg.startswith('--project-dir='):
            return os.path.realpath(arg.split('=', 1)[1])
    return os.path.realpath(os.getcwd())


def _watch_through_symlinks(project_dir: str, extra_dirs: Iterable[str] = ()) -> None:
    """Chalice's reloader walks the project without following symlinks, so
    an edit to `shared/` (reached through `vendor/shared`) would not restart
    the server. Walk through them, and walk `extra_dirs` with the project
    (the stack sets PYTHONDONTWRITEBYTECODE, so no new .pyc file there looks
    like an edit)."""
    from chalice.utils import OSUtils

    walk = OSUtils.walk

    def walk_following_links(self: OSUtils, path: str,
                             followlinks: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
        yield from walk(self, path, followlinks=True)
        if os.path.realpath(path) == project_dir:
            for folder in extra_dirs:
                yield from walk(self, folder, followlinks=True)

    # Chalice has no option for it: its method is replaced, in its own process only
    OSUtils.walk = walk_following_links  # type: ignore[method-assign]


def _accept_bursts() -> None:
    """Chalice's server listens with Python's default backlog of 5, so a
    burst of riders connecting at once would be partly reset; API Gateway
    queues them instead."""
    from chalice.local import ThreadedHTTPServer

    ThreadedHTTPServer.request_queue_size = 128


def _end_with_parent() -> None:
    """SIGINT when the parent dies (Linux), so no server outlives the stack
    even when the stack is killed outright; SIGINT lets Chalice's reloader
    stop its own worker first."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        sys.exit(0)


if __name__ == '__main__':
    sys.exit(main())
