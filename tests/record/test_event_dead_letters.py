"""The local runtime's Event queue: a failed event is retried twice, then
goes to the on-failure step, once; the message a dead-letter queue gets is
the one Lambda's `DeadLetterConfig` sends (Lambda developer guide,
"Dead-letter queues": the event unchanged, `RequestID` String, `ErrorCode`
Number, `ErrorMessage` String truncated to 1 KB)."""
import json
import threading

from local_stack.dead_letters import DeadLetterQueues, dead_letter_message
from local_stack.events import Event, EventQueue
from local_stack.sandbox import Outcome

ERROR = json.dumps({'errorMessage': 'RideId is required', 'errorType': 'InvalidRequest',
                    'requestId': 'r-1', 'stackTrace': []}).encode()


def failing_queue(on_failure, lines):
    attempts = []

    def run(event):
        attempts.append(event.attempt)
        return Outcome(ERROR, 'Unhandled', b'')
    return EventQueue(run, lines.append, workers=1, retry_delays=(0.01, 0.01),
                      on_failure=on_failure), attempts


def test_the_last_failure_goes_to_the_on_failure_step_once_after_two_retries():
    lines, failed = [], []
    done = threading.Event()

    def on_failure(event, outcome):
        failed.append((event.request_id, event.payload, outcome.payload))
        done.set()
        return 'the-dlq'
    queue, attempts = failing_queue(on_failure, lines)
    queue.put(Event('fn', 'req-1', b'{"Records": []}', 'trace'))

    assert queue.wait_until_done(10)
    queue.close()
    assert attempts == [1, 2, 3]
    assert failed == [('req-1', b'{"Records": []}', ERROR)]
    assert lines[-1] == ('event  fn req-1: failed after 3 attempts: InvalidRequest; '
                         'sent to dead-letter queue the-dlq')


def test_without_a_queue_the_event_is_dropped_and_the_log_says_so():
    lines = []
    queue, _ = failing_queue(lambda event, outcome: None, lines)
    queue.put(Event('fn', 'req-2', b'{}', 'trace'))

    assert queue.wait_until_done(10)
    queue.close()
    assert lines[-1] == 'event  fn req-2: failed after 3 attempts: InvalidRequest; dropped'


def test_a_function_without_a_dead_letter_queue_has_no_on_failure_target():
    queues = DeadLetterQueues('http://127.0.0.1:9', {'with-dlq': 'its-queue'})
    assert queues(Event('without-dlq', 'req', b'{}', 'trace'), Outcome(ERROR, 'Unhandled', b'')) \
        is None


def test_the_dead_letter_is_the_event_unchanged_with_lambdas_three_attributes():
    event = json.dumps({'Records': [{'Sns': {'Message': 'not json'}}]}).encode()

    message = dead_letter_message(event, 'req-3', ERROR)

    assert message['MessageBody'] == event.decode()
    assert message['MessageAttributes'] == {
        'RequestID': {'DataType': 'String', 'StringValue': 'req-3'},
        'ErrorCode': {'DataType': 'Number', 'StringValue': '200'},
        'ErrorMessage': {'DataType': 'String', 'StringValue': 'RideId is required'}}


def test_the_error_message_is_cut_to_1_kb():
    error = json.dumps({'errorMessage': 'é' * 1000, 'errorType': 'X'}).encode()

    text = dead_letter_message(b'{}', 'req-4', error)['MessageAttributes'][
        'ErrorMessage']['StringValue']
    assert len(text.encode()) <= 1024
    assert text == 'é' * 512
