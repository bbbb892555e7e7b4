"""An invocation's metrics leave in as few EMF lines as the format allows,
and CloudWatch reads each metric with its own dimensions from them.

CloudWatch's reading, from the EMF specification
(docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
`_aws.CloudWatchMetrics` is a list of metric directives; each directive's
`Metrics` are published under every dimension set in its `Dimensions`, a
dimension's value and a metric's value(s) being the root members of that
name. So one line may hold several directives, as long as no root member
has to hold two values.
"""
import json

import pytest

from shared import metrics


@pytest.fixture
def lines(capsys):
    """The EMF lines written by a flush, as JSON objects."""
    metrics.flush()  # what earlier tests left behind is not this test's
    capsys.readouterr()
    metrics.forget_sandbox()  # a new sandbox: its stage is read again

    def flushed():
        metrics.flush()
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return flushed


def published(line):
    """(namespace, metric, unit, {dimension: value}, values) for each metric
    CloudWatch publishes from one EMF line."""
    found = []
    for directive in line['_aws']['CloudWatchMetrics']:
        for dimension_set in directive['Dimensions']:
            for metric in directive['Metrics']:
                values = line[metric['Name']]
                found.append((directive['Namespace'], metric['Name'], metric['Unit'],
                              {name: line[name] for name in dimension_set},
                              values if isinstance(values, list) else [values]))
    return found


def test_a_rides_metrics_in_two_dimension_sets_leave_in_one_line(lines):
    stage = metrics.stage()
    metrics.count('RideRequested')
    metrics.emit('FleetCallLatency', 'Milliseconds', 12.5, transport='invoke')
    metrics.count('RideDispatched')

    [line] = lines()

    assert sorted(published(line), key=lambda metric: metric[1]) == [
        ('WildRydes', 'FleetCallLatency', 'Milliseconds', {'stage': stage, 'transport': 'invoke'},
         [12.5]),
        ('WildRydes', 'RideDispatched', 'Count', {'stage': stage}, [1.0]),
        ('WildRydes', 'RideRequested', 'Count', {'stage': stage}, [1.0]),
    ]
    assert isinstance(line['_aws']['Timestamp'], int)


def test_two_values_of_one_dimension_take_a_line_each(lines):
    stage = metrics.stage()
    metrics.count('RideRejected', reason='BadRequest')
    metrics.count('RideRejected', reason='NoUnicornAvailable')

    written = lines()

    assert len(written) == 2
    assert sorted((metric for line in written for metric in published(line)),
                  key=lambda metric: metric[3]['reason']) == [
        ('WildRydes', 'RideRejected', 'Count', {'stage': stage, 'reason': 'BadRequest'}, [1.0]),
        ('WildRydes', 'RideRejected', 'Count', {'stage': stage, 'reason': 'NoUnicornAvailable'},
         [1.0]),
    ]


def test_a_metric_measured_twice_keeps_both_values(lines):
    metrics.emit('FleetCallLatency', 'Milliseconds', 3, transport='http')
    metrics.emit('FleetCallLatency', 'Milliseconds', 4.5, transport='http')

    [line] = lines()

    [(_, _, _, dimensions, values)] = published(line)
    assert dimensions['transport'] == 'http' and values == [3.0, 4.5]


def test_a_flush_writes_each_metric_once(lines):
    metrics.count('RideRequested')

    assert len(lines()) == 1
    assert lines() == []


def test_powertools_switch_turns_the_lines_off(lines, monkeypatch):
    monkeypatch.setenv('POWERTOOLS_METRICS_DISABLED', 'true')
    metrics.count('RideRequested')

    assert lines() == []


def test_a_unit_cloudwatch_does_not_know_is_refused():
    with pytest.raises(KeyError):
        metrics.emit('FleetCallLatency', 'Fortnights', 1)
