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


def test_a_cold_fleet_invocation_can_last_lambdas_init_limit_plus_its_timeout():
    # AWS: the Init phase is limited to 10 s, then the invocation's timeout applies.
    assert budget.LAMBDA_INIT_MAX_SECONDS == 10
    for stage in STAGES:
        fleet_timeout = Project(stage).fleet_function.timeout
        assert budget.cold_invoke_worst_case_seconds(fleet_timeout) == 10 + fleet_timeout


def test_a_slow_cold_start_is_covered_by_the_read_timeout_or_by_a_safe_bounded_retry():
    for stage in STAGES:
        project = Project(stage)
        fleet_timeout = project.fleet_function.timeout
        if budget.read_timeout_covers_a_cold_invoke(budget.FLEET_CALL, fleet_timeout):
            continue
        # Not covered by one attempt: the retry must exist, and stay bounded
        # inside rides' timeout, which is inside API Gateway's.
        assert budget.FLEET_CALL.retry.attempts >= 2
        assert budget.FLEET_CALL.worst_case_seconds() < project.rides_function.timeout
        assert budget.FLEET_CALL.worst_case_seconds() == pytest.approx(12.3)
        assert project.rides_function.timeout < budget.API_GATEWAY_TIMEOUT_SECONDS


def test_a_read_timeout_covering_a_cold_invoke_would_not_fit_the_ride_path():
    """Why the retry, not the read timeout, covers a slow Init: the same
    Lambda client (one read timeout) dispatches and releases."""
    covering = budget.CallBudget(
        connect_timeout=budget.FLEET_CALL.connect_timeout,
        read_timeout=budget.cold_invoke_worst_case_seconds(3) + 0.5,
        retry=budget.FLEET_CALL.retry.__class__(attempts=1))
    release = budget.CallBudget(covering.connect_timeout, covering.read_timeout,
                                budget.FLEET_RELEASE.retry)
    path = (budget.SSM_LOOKUP, covering, budget.SNS_PUBLISH, release)
    rides_timeout = Project('dev').rides_function.timeout
    assert sum(call.worst_case_seconds() for call in path) > rides_timeout


def test_a_ride_cancelled_after_an_unknown_publish_still_fits_in_rides_lambda_timeout():
    """The longest POST /ride: the publish timed out, the unicorn went back,
    and RideCancelled (one attempt, its own read timeout) followed."""
    assert budget.SNS_CANCEL.retry.attempts == 1
    assert budget.cancelled_ride_path_worst_case_seconds() == pytest.approx(23.5 + 1.4)
    for stage in STAGES:
        project = Project(stage)
        for rides_function in (project.rides.api_handler, project.rides_function):
            assert budget.cancelled_ride_path_worst_case_seconds() < rides_function.timeout


def test_a_riders_history_fits_in_rides_lambda_timeout():
    """GET /rides: ListRideRecords' ARN from SSM, then up to three invokes."""
    assert budget.history_path_worst_case_seconds() == pytest.approx(3.1 + 12.3)
    for stage in STAGES:
        assert budget.history_path_worst_case_seconds() < Project(stage).rides.api_handler.timeout
