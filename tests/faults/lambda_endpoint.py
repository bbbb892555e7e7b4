"""A loopback endpoint speaking the Lambda Invoke wire protocol, in front of
the fleet app running in process. By default every invoke reaches the fleet
(through `tests.support.lambda_bridge.InProcessLambda`, so payloads and
errors take Lambda's JSON round trip); a test scripts faults, one per
invoke, in the order they should happen.

rides reaches it with a real boto3 Lambda client (`endpoint_url`), so what
rides sees of a fault is what botocore really parses: status codes,
`x-amzn-ErrorType`, `X-Amz-Function-Error`, a read timeout.
"""
import json

from tests.support.fake_lambda_server import FakeLambdaServer, service_error_answer

# -- faults: each takes the endpoint and the invoke, and gives an answer ----

def reach_fleet(endpoint, function, payload):
    """No fault: the fleet runs and its answer goes back as Lambda sends it."""
    response = endpoint.fleet.invoke(FunctionName=function, Payload=json.dumps(payload))
    headers = {}
    if response.get('FunctionError'):
        headers['X-Amz-Function-Error'] = response['FunctionError']
    return {'status': 200, 'body': response['Payload'].read().decode(), 'headers': headers}


def throttled(endpoint, function, payload):
    """Lambda refuses the invoke (concurrency limit); the fleet never runs."""
    return service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.')


def function_not_found(endpoint, function, payload):
    return service_error_answer(404, 'ResourceNotFoundException',
                                f'Function not found: {function}')


def late(seconds):
    """The fleet runs (and dispatches), but its answer comes `seconds` late."""
    def fault(endpoint, function, payload):
        answer = reach_fleet(endpoint, function, payload)
        return dict(answer, delay=seconds)
    return fault


def answers_with(value):
    """The fleet runs (and dispatches), then its answer is replaced by
    `value`: a fleet bug that garbles what it returns."""
    def fault(endpoint, function, payload):
        reach_fleet(endpoint, function, payload)
        return {'status': 200, 'body': json.dumps(value)}
    return fault


class LambdaEndpoint(FakeLambdaServer):
    """Every invoke reaches the fleet unless a fault was scripted for it."""

    def __init__(self, fleet):
        self.fleet = fleet
        super().__init__(default=reach_fleet)

    def script(self, *faults):
        """The next invokes meet these faults, one each; later ones reach the fleet."""
        self.answer(*faults)

    def payloads(self):
        return [request['body'] for request in self.requests]
