"""The ride path's waits, added up, fit inside rides' Lambda timeout, which
fits inside API Gateway's 29 s: a rider always gets an answer from us."""
import json

import pytest

from shared import budget
from tests.support.apps import FLEET_DIR, RIDES_DIR


def lambda_timeout(app_dir, stage='dev', function=None):
    config = json.loads((app_dir / '.chalice' / 'config.json').read_text())
    stage_config = config['stages'][stage]
    per_function = stage_config.get('lambda_functions', {}).get(function, {})
    return per_function.get('lambda_timeout', stage_config.get(
        'lambda_timeout', config['lambda_timeout']))


def test_the_whole_ride_path_fits_in_rides_lambda_timeout():
    for stage in ('dev', 'prod'):
        rides_timeout = lambda_timeout(RIDES_DIR, stage)
        assert budget.ride_path_worst_case_seconds() < rides_timeout
        assert rides_timeout < budget.API_GATEWAY_TIMEOUT_SECONDS


def test_an_invoke_waits_long_enough_for_the_fleet_to_answer_or_time_out():
    fleet_timeout = lambda_timeout(FLEET_DIR, function='RequestUnicornInvoke')
    assert budget.FLEET_CALL.read_timeout > fleet_timeout


def test_the_worst_case_is_what_the_parts_add_up_to():
    assert budget.FLEET_CALL.worst_case_seconds() == pytest.approx(3 * (0.5 + 3.5) + 0.1 + 0.2)
    assert budget.ride_path_worst_case_seconds() == pytest.approx(23.5)
