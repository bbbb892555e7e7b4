"""Which functions a Chalice app declares, as a deploy creates them: every
`@app.lambda_function` and every event-source handler (`@app.on_sns_message`,
`on_sqs_message`, `on_s3_event`, `schedule`, ...), each a Lambda function
named `<app>-<stage>-<name>`. An event-source handler is called like a Lambda
handler, `(event, context)`: Chalice's wrapper turns the event into its
event object (an `SNSEvent` for SNS)."""
from types import ModuleType
from typing import Callable, Dict


def declared_functions(app_module: ModuleType) -> Dict[str, Callable]:
    """{name in the app: handler} for the app object `app_module.app`."""
    app = app_module.app
    functions = {function.name: function for function in app.pure_lambda_functions}
    for source in app.event_sources:
        attribute = source.handler_string.split('.', 1)[1]  # 'app.record' -> 'record'
        functions.setdefault(source.name, getattr(app_module, attribute))
    return functions


def sns_topics(app_module: ModuleType) -> Dict[str, str]:
    """{name in the app: topic} of every `@app.on_sns_message`, the topic as
    written (a name, or an ARN)."""
    from chalice.app import SNSEventConfig
    return {source.name: source.topic for source in app_module.app.event_sources
            if isinstance(source, SNSEventConfig)}


def main(argv=None) -> int:
    """`python -m local_stack.declared APP_DIR`: the app's SNS topics as one
    JSON line, last on stdout (the app may print while it is imported)."""
    import importlib
    import json
    import os
    import sys
    app_dir = os.path.abspath((argv or sys.argv[1:])[0])
    sys.path[:0] = [app_dir, os.path.join(app_dir, 'vendor')]
    os.chdir(app_dir)
    print(json.dumps(sns_topics(importlib.import_module('app'))))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
