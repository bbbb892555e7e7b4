"""`python -m bench.fleet_call_anatomy` runs its three paths through a local
stack and prints one row each. No timing is asserted."""
import pytest

from bench import fleet_call_anatomy
from local_stack import testing


def test_every_path_dispatches_and_is_summarised_with_the_callers_cpu():
    with testing.local_stack(transport='invoke', throttle=False) as stack:
        results = fleet_call_anatomy.measure(stack, rounds=2, warmup=1)
    assert list(results) == ['invoke', 'invoke_lean', 'http']
    for result in results.values():
        assert result['latency'].count == 2
        assert result['caller_cpu'].count == 2
        assert result['latency'].median > 0
    table = fleet_call_anatomy.render(results)
    assert table.count('\n') == 4  # header, rule, three rows
    assert 'the same Invoke, SigV4-signed' in table


def test_the_lean_client_takes_a_function_error_for_a_failure(monkeypatch):
    """As rides' transport does: an invalid payload, which the fleet raises
    on, fails the call instead of passing for a result."""
    with testing.local_endpoint(throttle=False) as endpoint:
        for name, value in endpoint.aws_environment().items():
            monkeypatch.setenv(name, value)
        lean = fleet_call_anatomy.SignedInvoke(endpoint.aws_url, endpoint.fleet_arn)
        try:
            with pytest.raises(RuntimeError, match='Unhandled'):
                lean.dispatch({'RideId': 42})
        finally:
            lean.close()
