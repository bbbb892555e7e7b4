"""The project's quick way of formatting a log line writes the very line
Powertools' formatter writes, whatever the record's extras and the
invocation's keys (the exception path is Powertools' own)."""
import logging
import string

from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, LambdaPowertoolsFormatter
from hypothesis import given
from hypothesis import strategies as st

from shared import logs

names = st.text(string.ascii_letters + '_', min_size=1, max_size=12).filter(
    lambda name: name not in RESERVED_LOG_ATTRS and name not in ('message', 'asctime'))
# An invocation's other keys: any name but the identity's own (bound apart).
key_names = names.filter(lambda name: name not in logs.IDENTITY)
values = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.lists(
    st.integers(), max_size=3)


def powertools_line(record):
    return LambdaPowertoolsFormatter.format(logs._formatter, record)


def record(message, extra, level=logging.INFO, args=None):
    logger = logging.getLogger('shared.test')
    return logger.makeRecord(logger.name, level, 'file.py', 7, message, args, None, extra=extra)


@given(message=st.text(max_size=30), extra=st.dictionaries(names, values, max_size=5),
       keys=st.dictionaries(key_names, values, max_size=3),
       identity=st.fixed_dictionaries({name: st.none() | st.text(max_size=8)
                                       for name in logs.IDENTITY}),
       level=st.sampled_from([logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR]))
def test_a_line_is_the_one_powertools_writes(message, extra, keys, identity, level):
    logs._formatter.thread_safe_clear_keys()
    logs._formatter.thread_safe_append_keys(**identity, **keys)

    made = record(message, extra, level)

    assert logs._formatter.format(made) == powertools_line(made)


def test_an_invocation_key_named_like_a_secret_is_redacted_as_powertools_redacts_it():
    """Hypothesis found one: a key appended for the invocation, not passed
    as an extra, whose name says token."""
    for value in ('eyJhbGciOi', None):
        logs._formatter.thread_safe_clear_keys()
        logs._formatter.thread_safe_append_keys(function='POST /ride', request_id='req-1',
                                                ride_id=None, TOKEN=value)
        made = record('shown', {})

        line = logs._formatter.format(made)
        assert line == powertools_line(made)
        assert '"TOKEN":"[redacted]"' in line and 'eyJhbGciOi' not in line


def test_a_line_with_arguments_secrets_and_a_trace_is_the_one_powertools_writes(monkeypatch):
    monkeypatch.setenv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0')
    logs.start_request('POST /ride', 'req-1')
    logs.bind_ride('ride-1')

    made = record('dispatched %s to %s', {'api_token': 'hunter2', 'unicorn': 'Shadowfax'},
                  args=('Shadowfax', 'ride-1'))

    line = logs._formatter.format(made)
    assert line == powertools_line(made)
    assert 'hunter2' not in line and '"xray_trace_id":"1-5759e988-bd862e3fe1be46a994272793"' in line
