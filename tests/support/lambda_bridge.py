"""A stand-in for boto3's Lambda client that runs the fleet's handler in
process, with real Lambda's payload semantics: the payload and the result
both go through JSON, and a handler that raises answers with
`FunctionError: Unhandled` and `{"errorMessage", "errorType", "stackTrace"}`.
"""
import io
import json
import traceback


class InProcessLambda:
    def __init__(self, chalice_client, functions):
        """`functions` maps a function ARN to its name in the Chalice app."""
        self._client = chalice_client
        self._functions = functions
        self.calls = []

    def invoke(self, FunctionName, Payload, InvocationType='RequestResponse', ClientContext=None):
        assert InvocationType == 'RequestResponse'
        self.calls.append(FunctionName)
        name = self._functions[FunctionName]
        return invoke_response(lambda event: self._client.lambda_.invoke(name, event).payload,
                               Payload)


def invoke_response(handler, payload):
    """What `lambda.invoke` answers for `handler(event)`: the payload and
    the result through JSON; a raise is `FunctionError: Unhandled`."""
    try:
        body, error = json.dumps(handler(json.loads(payload))), None
    except Exception as exc:  # noqa: BLE001 - what Lambda's runtime does with any error
        body = json.dumps({'errorMessage': str(exc), 'errorType': type(exc).__name__,
                           'stackTrace': traceback.format_tb(exc.__traceback__)})
        error = 'Unhandled'
    response = {'StatusCode': 200, 'Payload': io.BytesIO(body.encode()),
                'ExecutedVersion': '$LATEST'}
    if error:
        response['FunctionError'] = error
    return response
