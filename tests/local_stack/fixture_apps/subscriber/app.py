"""A fixture app subscribed to an SNS topic, as the ride-record service will
be: each message it gets is written, whole, to a file the test names (the
test reads what the function saw, event and Chalice's SNSEvent view)."""
import json
from pathlib import Path

from chalice import Chalice

app = Chalice(app_name='subscriber')


@app.on_sns_message(topic='wild-rydes-dev-rides', name='Record')  # the rides topic
def record(event):
    body = json.loads(event.message)
    Path(body['write_to']).write_text(json.dumps({
        'event': event.to_dict(), 'subject': event.subject, 'message': event.message,
        'attributes': event.message_attributes}))

