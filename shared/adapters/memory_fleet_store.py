"""The fleet store in memory, for the fast unit tests and for trying rules
out without AWS.

It keeps the DynamoDB store's promises, checked by the same behavioural
tests: a claim holds the unicorn only if its lease ran out and the rider
holds no other unicorn and not this ride yet, all checked and written under
one lock (DynamoDB's transaction); a rider keeps only the latest ride; a
release frees the unicorn only while the ride still holds it; a reload
keeps every lease. Values go in and come out as copies, as
they would through a database.
"""
import copy
import dataclasses
import threading

from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, Claim, ClaimConflict, RideOrder, Unicorn


class InMemoryFleetStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unicorns: dict[str, Unicorn] = {}
        self._riders: dict[str, Claim] = {}
        self._size = 0

    # -- reads -------------------------------------------------------------

    def fleet_size(self) -> int:
        return self._size

    def unicorn_at(self, slot: int) -> Unicorn | None:
        with self._lock:
            for unicorn in self._unicorns.values():
                if unicorn['Slot'] == slot:
                    return copy.deepcopy(unicorn)
        return None

    def free_unicorn_names(self, now: int) -> list[str]:
        with self._lock:
            return [name for name, unicorn in self._unicorns.items()
                    if unicorn['BusyUntil'] < now]

    def unicorn(self, name: str) -> Unicorn | None:
        with self._lock:
            unicorn = self._unicorns.get(name)
            return copy.deepcopy(unicorn) if unicorn is not None else None

    def ride_of(self, rider_id: str) -> Claim | None:
        with self._lock:
            claim = self._riders.get(rider_id)
            return copy.deepcopy(claim)

    # -- writes ------------------------------------------------------------

    def claim(self, unicorn: Unicorn, order: RideOrder, now: int, busy_until: int,
              expires_at: int) -> None:
        with self._lock:
            held = self._unicorns.get(unicorn['Name'])
            unicorn_taken = held is None or not held['BusyUntil'] < now
            latest = self._riders.get(order.rider_id)
            rider_busy = latest is not None and (
                latest.active(now) or latest.ride_id == order.ride_id)
            if unicorn_taken or rider_busy:
                raise ClaimConflict(unicorn_taken=unicorn_taken, rider_busy=rider_busy)
            assert held is not None
            held.update(BusyUntil=busy_until, RideId=order.ride_id)
            self._riders[order.rider_id] = Claim(
                ride_id=order.ride_id, unicorn=copy.deepcopy(unicorn), busy_until=busy_until,
                rider_id=order.rider_id, pickup=copy.deepcopy(order.pickup),
                request_time=order.request_time)

    def release(self, claim: Claim) -> None:
        with self._lock:
            latest = self._riders.get(claim.rider_id)
            if latest is not None and latest.ride_id == claim.ride_id:
                self._riders[claim.rider_id] = dataclasses.replace(latest, completed=True)
            unicorn = self._unicorns.get(claim.unicorn['Name'])
            if unicorn is not None and unicorn.get('RideId') == claim.ride_id:
                unicorn['BusyUntil'] = 0
                del unicorn['RideId']

    def put_unicorn(self, unicorn: Unicorn, slot: int) -> None:
        catalog = {key: copy.deepcopy(value) for key, value in unicorn.items()
                   if key not in INTERNAL_ATTRIBUTES}
        with self._lock:
            stored = self._unicorns.setdefault(unicorn['Name'], {'BusyUntil': 0})
            stored.update(catalog, Slot=slot)

    def set_fleet_size(self, size: int) -> None:
        self._size = size

    def unicorn_names(self) -> list[str]:
        with self._lock:
            return list(self._unicorns)

    def delete_unicorn(self, name: str) -> None:
        with self._lock:
            self._unicorns.pop(name, None)
