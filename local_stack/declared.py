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

