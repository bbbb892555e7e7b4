"""The ride-record store in memory, for the fast unit tests.

It keeps the DynamoDB store's promises, checked by the same rule tests:
each event is folded under one lock (DynamoDB's conditional writes), a
rider's listed rides come newest first (`RequestTime`, then `RideId`,
descending) and a page starts strictly after the key it is given.
"""
import threading

from shared.domain.page_tokens import PageKey
from shared.domain.ride_events import RideEvent
from shared.domain.ride_history import RideRecord, fold


class InMemoryRideRecordStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, RideRecord] = {}

    def apply(self, event: RideEvent) -> RideRecord:
        with self._lock:
            record = fold(self._records.get(event.ride_id), event)
            self._records[event.ride_id] = record
            return record

    def record(self, ride_id: str) -> RideRecord | None:
        with self._lock:
            return self._records.get(ride_id)

    def rides_of(self, rider_id: str, limit: int, after: PageKey | None) -> list[RideRecord]:
        with self._lock:
            listed = [record for record in self._records.values()
                      if record.rider_id == rider_id and record.listed]
        listed.sort(key=lambda record: record.page_key, reverse=True)
        if after is not None:
            listed = [record for record in listed if record.page_key < after]
        return listed[:limit]
