"""The ride path's waits, added up, fit inside rides' Lambda timeout, which
fits inside API Gateway's 29 s: a rider always gets an answer from us."""
import pytest

from project.model import STAGES, Project
from shared import budget


def test_the_whole_ride_path_fits_in_rides_lambda_timeout():
    for stage in STAGES:
        project = Project(stage)
        for rides_function in (project.rides.api_handler, project.rides_function):
            rides_timeout = rides_function.timeout
            assert budget.ride_path_worst_case_seconds() < rides_timeout
            assert rides_timeout < budget.API_GATEWAY_TIMEOUT_SECONDS


def test_an_invoke_waits_long_enough_for_the_fleet_to_answer_or_time_out():
    for stage in STAGES:
        fleet_timeout = Project(stage).fleet_function.timeout
        assert budget.FLEET_CALL.read_timeout > fleet_timeout


def test_the_worst_case_is_what_the_parts_add_up_to():
    assert budget.FLEET_CALL.worst_case_seconds() == pytest.approx(3 * (0.5 + 3.5) + 0.1 + 0.2)
    assert budget.ride_path_worst_case_seconds() == pytest.approx(23.5)
