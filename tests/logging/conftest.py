"""Log capture for the logging tests, and the fault tests' wiring: rides
reaches the fleet through a loopback Lambda endpoint, so the fleet runs in a
thread of its own, with its own logging context, as it would in its own
Lambda sandbox."""
import json
import logging

import pytest

from testkit import xray
from tests.faults.conftest import endpoint, rides, sleeps  # noqa: F401 (fixtures)
from tests.logging.lambda_events import LambdaContext


@pytest.fixture
def log_lines(capsys):
    """What both apps write to stdout, as parsed JSON objects. The root
    logger starts bare, so `shared.logs.configure()` installs its handler on
    the captured stdout, as it does on Lambda's."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    root.handlers = []

    def read():
        out = capsys.readouterr().out
        lines = [line for line in out.splitlines() if line.strip()]
        parsed = []
        for line in lines:
            entry = json.loads(line)  # every line is one JSON object
            assert isinstance(entry, dict), line
            if '_aws' not in entry:  # an EMF line is a metric, not a log line
                parsed.append((line, entry))
        return parsed

    yield read
    root.handlers = saved_handlers
    root.setLevel(saved_level)


@pytest.fixture
def rides_lambda(request, rides_module, rides_env, monkeypatch):
    """rides' Lambda handler, as API Gateway calls it, in its stage environment
    (with the fleet behind the loopback Lambda endpoint of `rides`)."""
    request.getfixturevalue('rides')
    for name, value in rides_env.items():
        monkeypatch.setenv(name, value)
    return lambda event: rides_module.app(event, LambdaContext())


class RecordingEmitter:
    """Takes the X-Ray SDK's documents instead of sending them over UDP to a
    daemon: what would go on the wire, as JSON objects."""

    def __init__(self):
        self.documents = []

    def send_entity(self, entity):
        self.documents.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address):
        pass

    def subsegments(self):
        """Every subsegment sent, nested ones included."""
        found = []

        def walk(document):
            found.append(document)
            for child in document.get('subsegments', []):
                walk(child)
        for document in self.documents:
            walk(document)
        return found


# The header Lambda hands a traced function (`_X_AMZN_TRACE_ID`), sampled.
LAMBDA_TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793'
LAMBDA_TRACE_HEADER = xray.trace_header(LAMBDA_TRACE_ROOT)


@pytest.fixture
def traced(monkeypatch):
    """Tracing on, as in a Lambda sandbox with active tracing, Lambda's trace
    header in `_X_AMZN_TRACE_ID` and the documents recorded instead of sent;
    afterwards no other test sees X-Ray (testkit.xray)."""
    monkeypatch.setenv(xray.XRAY_TRACE_ID_ENV, LAMBDA_TRACE_HEADER)
    emitter = RecordingEmitter()
    with xray.lambda_tracing(emitter):
        yield emitter
