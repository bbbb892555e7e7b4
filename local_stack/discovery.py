"""Which functions a Chalice app declares, and the handler of each.

Learnt the way Chalice learns it: by importing the app, in a process of its
own (`python -m local_stack.discovery APP_DIR`), so nothing of the app enters
the process that hosts the endpoint. Every `@app.lambda_function` and every
event handler (`@app.on_sns_message`, ...) is a function, deployed as
`<app>-<stage>-<name>` with the handler `app.<python name>`.

An app that does not import is still served: its functions are read from
the source (`ast`), and invoking one answers Lambda's init error, as on AWS.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

# Chalice decorators that each make one Lambda function named by `name=`
# (or the Python name).
EVENT_DECORATORS = ('lambda_function', 'on_sns_message', 'on_sqs_message', 'on_s3_event',
                    'schedule', 'on_cw_event', 'on_dynamodb_record', 'on_kinesis_record',
                    'on_ws_connect', 'on_ws_message', 'on_ws_disconnect')


def discover(app_dir: Path, env: dict[str, str],
             timeout: float = 60) -> tuple[dict[str, str], str | None]:
    """{function name: handler} of the app in `app_dir`, and why the app
    did not import (None when it did)."""
    vendor = os.path.join(app_dir, 'vendor')
    here = str(Path(__file__).resolve().parents[1])
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'local_stack.discovery', str(app_dir)],
            cwd=str(app_dir), capture_output=True, timeout=timeout,
            env={**env, 'PYTHONPATH': os.pathsep.join([here, str(app_dir), vendor])})
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as error:
        answer = {'error': f'{type(error).__name__}: {error}'}
    functions = answer.get('functions')
    if functions is None:
        return from_source(app_dir), str(answer.get('error'))
    return dict(functions), None


def from_source(app_dir: Path) -> dict[str, str]:
    """The functions `app.py` declares, read without running it."""
    try:
        tree = ast.parse((Path(app_dir) / 'app.py').read_text())
    except (OSError, SyntaxError, ValueError):
        return {}
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if isinstance(target, ast.Attribute) and target.attr in EVENT_DECORATORS:
                name = node.name
                for keyword in (call.keywords if call else []):
                    if keyword.arg == 'name' and isinstance(keyword.value, ast.Constant):
                        name = str(keyword.value.value)
                found[name] = f'app.{node.name}'
    return found


def _declared(app: object) -> dict[str, str]:
    functions = {f.name: f.handler_string for f in getattr(app, 'pure_lambda_functions', [])}
    for source in getattr(app, 'event_sources', []):
        functions[source.name] = source.handler_string
    return functions


def main(argv: list[str]) -> int:
    app_dir = argv[0]
    sys.path[:0] = [app_dir, os.path.join(app_dir, 'vendor')]
    os.chdir(app_dir)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # whatever the app prints at import is not the answer
    try:
        app = importlib.import_module('app').app
        answer: dict[str, object] = {'functions': _declared(app)}
    except BaseException as error:  # noqa: BLE001 - any import failure: read the source
        answer = {'error': f'{type(error).__name__}: {error}'}
    real_stdout.write(json.dumps(answer) + '\n')
    real_stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
