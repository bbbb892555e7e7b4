"""An EMF line written from a cached template is the line Powertools' EMF
provider writes for the same metrics: only the timestamp and the values
change from one invocation to the next, whatever the metrics' shape."""
import json

from hypothesis import given
from hypothesis import strategies as st

from shared import metrics

NAMES = ('RideRequested', 'RideDispatched', 'RideRejected', 'FleetCallLatency', 'FleetBusy',
         'ColdStart')
UNITS = ('Count', 'Milliseconds')
DIMENSIONS = st.dictionaries(st.sampled_from(('transport', 'reason', 'function')),
                             st.sampled_from(('invoke', 'http', 'NoUnicornAvailable')),
                             max_size=2)
METRIC = st.tuples(st.sampled_from(NAMES), st.sampled_from(UNITS),
                   st.floats(min_value=0, max_value=1e6), DIMENSIONS)


def pending_of(emitted):
    """What `metrics.emit` keeps for these metrics, taken out of it unflushed."""
    for name, unit, value, dimensions in emitted:
        metrics.emit(name, unit, value, **dimensions)
    with metrics._lock:
        pending = dict(metrics._pending)
        metrics._pending.clear()
    return pending


@given(st.lists(METRIC, min_size=1, max_size=8), st.integers(min_value=1, max_value=2**42))
def test_a_templated_line_is_the_line_powertools_writes(emitted, timestamp):
    metrics.forget_sandbox()  # what earlier tests kept was made for their stage
    pending = pending_of(emitted)

    templated = [json.loads(metrics._LineTemplate.render(template, pending, timestamp))
                 for template in metrics._templates(metrics._shape(pending))]

    assert templated == metrics.powertools_lines(pending, timestamp)


def test_the_same_shape_is_serialized_once():
    first = pending_of([('RideRequested', 'Count', 1, {})])
    again = pending_of([('RideRequested', 'Count', 1, {})])

    assert metrics._templates(metrics._shape(first)) is metrics._templates(metrics._shape(again))
