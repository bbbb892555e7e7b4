"""`make bench` runs end to end on tiny inputs and writes a report with every
section. No timing is asserted: these machines are shared and noisy."""
import io
import math

import pytest

from bench import report, stats
from bench.__main__ import run
from bench.settings import TINY
from bench.stats import Summary
from testkit.stats import uniformity


def fake_local_measure(settings, tick):
    """Sections 1-2 as the local stack would fill them, without starting it."""
    def section(samples):
        paths = {key: {'label': f'{key} path', 'summary': Summary.of(values),
                       'samples': values} for key, values in samples.items()}
        return {'status': 'ok', 'paths': paths, 'baseline': 'invoke'}
    tick(4)
    return {'fleet_call': section({'invoke': [2.0, 3.0, 4.0], 'http': [5.0, 6.0, 9.0]}),
            'ride': section({'invoke': [8.0, 9.0, 10.0], 'http': [11.0, 12.0, 15.0]})}


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('bench')
    results, md_path, png_path = run(TINY, str(out), progress_stream=io.StringIO())
    return results, open(md_path, encoding='utf-8').read(), png_path


def test_a_tiny_run_writes_a_report_with_every_section(tiny_run):
    _, markdown, _ = tiny_run
    for heading in ('## Summary', '## 1. Fleet call alone', '## 2. A whole ride',
                    '## 3. Handler cost in process', '## 4. Cold start',
                    '## 5. Fleet scale', '## 6. Cost per million rides on AWS'):
        assert heading in markdown
    assert 'median ms' in markdown and 'p95 ms' in markdown and 'p99 ms' in markdown
    assert 'CPU:' in markdown and 'Python ' in markdown
    assert 'Not measured' in markdown  # sections 1-2 were turned off


def test_the_chart_is_a_png(tiny_run):
    _, _, png_path = tiny_run
    with open(png_path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_every_handler_is_compared_with_its_bare_twin(tiny_run):
    results, _, _ = tiny_run
    assert set(results['handlers']) == {'fleet_invoke', 'fleet_get', 'rides_post'}
    for pair in results['handlers'].values():
        assert pair['summaries'][pair['project']].count == TINY.handler_rounds
        assert pair['ratio_median'] > 0


def test_dispatch_requests_are_counted_at_every_fleet_size(tiny_run):
    results, _, _ = tiny_run
    sizes = results['scale']['sizes']
    assert list(sizes) == list(TINY.scale_sizes)
    for entry in sizes.values():
        # One GetItem fewer than before riders had a lock: the claim's condition finds a busy rider.
        assert entry['by_operation'] == {'GetItem': 1, 'Query': 1, 'TransactWriteItems': 1}


def test_the_cost_model_prices_every_pattern(tiny_run):
    results, markdown, _ = tiny_run
    names = [pattern['name'] for pattern in results['cost']['patterns']]
    assert len(names) == 3 and names[0].startswith('direct invoke')
    # Now a whole ride (dispatch 1 RRU + 7 WRU, completion 1 RRU + 5 WRU); the dispatch
    # alone was 2.5 RRU + 7 WRU, the budget it must stay within.
    assert results['cost']['units'].reads == 2 and results['cost']['units'].writes == 12
    dispatch = results['scale']['sizes'][max(TINY.scale_sizes)]['units']['dispatch']
    assert dispatch['reads'] <= 2.5 and dispatch['writes'] <= 7
    assert '$3.50' in markdown and 'https://aws.amazon.com/lambda/pricing/' in markdown


def test_local_stack_sections_render_with_ratios(tiny_run, tmp_path):
    results, _, _ = tiny_run
    results = dict(results, **fake_local_measure(TINY, lambda n=1: None))
    markdown = report.render(results)
    section = markdown.split('## 1. Fleet call alone')[1].split('## 2.')[0]
    assert '| http path | 3 | 6.0 | ' in section
    assert '2.00×' in section  # http median 6.0 against invoke 3.0


def test_percentiles_and_uniformity():
    assert stats.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert stats.percentile([0, 10], 0.95) == pytest.approx(9.5)
    assert uniformity([10, 10, 10]) == (0.0, 1.0)
    statistic, p_value = uniformity([30, 10])
    assert statistic == pytest.approx(10.0)
    assert p_value == pytest.approx(0.00157, abs=1e-5)
    assert math.isnan(stats.ratio(1, 0))


def test_failed_requests_are_counted_and_left_out_until_there_are_too_many():
    from bench.interleave import Path, TooManyFailures, alternate

    answers = iter([1, ValueError('slow'), 1, 1, 1, 1])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    failures = {}
    samples = alternate([Path('a', flaky), Path('b', lambda: 2)], rounds=3,
                        failures=failures, max_failures=1)
    assert failures == {'a': ['ValueError: slow']}
    assert len(samples['a']) == 2 and len(samples['b']) == 3
    with pytest.raises(TooManyFailures):
        alternate([Path('c', lambda: 1 / 0)], rounds=3, failures={}, max_failures=1)


def test_a_time_budget_stops_measuring_after_the_round_it_ran_out_in():
    from bench.interleave import Path, alternate

    samples = alternate([Path('a', lambda: 1), Path('b', lambda: 2)], rounds=50, warmup=2,
                        time_budget_s=0)
    assert len(samples['a']) == len(samples['b']) == 1
