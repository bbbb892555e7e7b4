"""What Lambda hands rides' API handler: an API Gateway event and a context."""
import json
import pathlib

EVENTS = pathlib.Path(__file__).parents[1] / 'events'


class LambdaContext:
    aws_request_id = '0d5e3c1a-0000-4000-8000-0000000000aa'
    function_name = 'wild-rydes-dev-APIHandler'
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self):
        return 25_000


def api_gateway_event(body=None, **headers):
    event = json.loads((EVENTS / 'post_ride_apigw.json').read_text())
    event['headers'].update(headers)
    event['multiValueHeaders'].update({name: [value] for name, value in headers.items()})
    if body is not None:
        event['body'] = json.dumps(body)
    return event
