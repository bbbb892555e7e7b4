"""A fleet transport that reports every call: its latency by transport, and
a FleetError, FleetTimeout or FleetBusy when the call fails (each attempt
counts, so retries show). The fleet's own "no" is an answer, not a failure.
Each call is a trace subsegment annotated with the ride and the transport."""
import time
from collections.abc import Callable
from typing import Any

from shared import metrics, tracing
from shared.domain.fleet_client import FleetTransport
from shared.domain.retry import Retryable


class MeasuredTransport:
    def __init__(self, transport: FleetTransport, name: str) -> None:
        self._transport = transport
        self._name = name

    def dispatch(self, payload: dict[str, Any]) -> Any:
        return self._measured('dispatch', payload.get('RideId'),
                              lambda: self._transport.dispatch(payload))

    def release(self, ride_id: str, rider_id: str | None = None) -> Any:
        return self._measured('release', ride_id,
                              lambda: self._transport.release(ride_id, rider_id))

    def get_ride(self, ride_id: str, rider_id: str) -> Any:
        return self._measured('get_ride', ride_id,
                              lambda: self._transport.get_ride(ride_id, rider_id))

    def _measured(self, operation: str, ride_id: object, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        failure = None
        try:
            with tracing.subsegment(f'## fleet {operation}', RideId=ride_id,
                                    Transport=self._name):
                return call()
        except Exception as error:  # counted by its domain code, then raised as it is
            cause = error.error if isinstance(error, Retryable) else error
            failure = getattr(cause, 'code', None)
            raise
        finally:
            metrics.fleet_call(self._name, (time.perf_counter() - started) * 1000, failure)
