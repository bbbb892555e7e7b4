"""Settings shared by the property-based tests, and a count of the cases
they generated (shown at the end of the run)."""
import collections

from hypothesis import HealthCheck, settings

# Fixtures (moto, the apps' test clients) are set up once per test and shared
# by its examples: each example leaves the fleet as it found it.
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

CASES = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    if CASES:
        total = sum(CASES.values())
        terminalreporter.write_line(
            f'fuzz: {total} generated cases ('
            + ', '.join(f'{name} {count}' for name, count in sorted(CASES.items())) + ')')
