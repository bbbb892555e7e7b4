"""What the fleet needs from its storage, and the answers storage gives back.

A store holds the unicorns (catalog attributes plus `Slot`, `BusyUntil`
and, while on a ride, `RideId`), the fleet's size, and one record per
rider: the rider's latest ride, which is also the rider's lock. Its one
rule is `claim`: atomically, the unicorn must be free (its lease ran out)
and the rider must hold no other unicorn (no ride yet, or the latest one
completed or its lease ran out, and not this very ride). Values come back
as plain Python (int, float, str, list, dict), whatever the storage keeps
inside.
"""
from dataclasses import dataclass
from typing import Any, Protocol

Unicorn = dict[str, Any]

# Attributes the fleet keeps for itself; a client never sees them.
INTERNAL_ATTRIBUTES = frozenset({'Slot', 'Fleet', 'BusyUntil', 'RideId'})


@dataclass(frozen=True)
class RideOrder:
    """A ride asking for a unicorn: whose it is and what the rider sees of it."""

    ride_id: str
    rider_id: str
    pickup: dict[str, float] | None = None
    request_time: str | None = None


@dataclass(frozen=True)
class Claim:
    """A rider's ride as stored: the unicorn it holds and until when."""

    ride_id: str
    unicorn: Unicorn
    busy_until: int
    completed: bool = False
    rider_id: str = ''
    pickup: dict[str, float] | None = None
    request_time: str | None = None

    def active(self, now: int) -> bool:
        """Whether the ride still holds its unicorn (the same rule as a
        unicorn's: free once `BusyUntil` is before now)."""
        return not self.completed and not self.busy_until < now


class ClaimConflict(Exception):
    """The conditional write lost: `unicorn_taken` or `rider_busy` (the
    rider's record holds an active ride, or this very ride) says why."""

    def __init__(self, unicorn_taken: bool, rider_busy: bool) -> None:
        super().__init__('conditional write lost')
        self.unicorn_taken = unicorn_taken
        self.rider_busy = rider_busy


class FleetStore(Protocol):
    def fleet_size(self) -> int:
        """Number of slots; 0 when the fleet was never loaded."""

    def unicorn_at(self, slot: int) -> Unicorn | None:
        """The unicorn in `slot`, or None (a reload may be under way)."""

    def free_unicorn_names(self, now: int) -> list[str]:
        """Names of the unicorns whose lease ran out before `now`."""

    def unicorn(self, name: str) -> Unicorn | None:
        """One unicorn by name, or None."""

    def ride_of(self, rider_id: str) -> Claim | None:
        """The rider's latest ride, or None when the rider has none on record."""

    def claim(self, unicorn: Unicorn, order: RideOrder, now: int, busy_until: int,
              expires_at: int) -> None:
        """Hold `unicorn` for the order's ride until `busy_until`, in one
        atomic write: the unicorn's `BusyUntil` must be before `now`, and the
        rider's latest ride must be completed or past its lease and not this
        ride; else ClaimConflict. The rider's record may go at `expires_at`."""

    def release(self, claim: Claim) -> None:
        """Mark the ride completed (if it is still the rider's latest) and
        free its unicorn (if the ride still holds it: after its lease ran
        out it may be on another ride). Safe to repeat."""

    def put_unicorn(self, unicorn: Unicorn, slot: int) -> None:
        """Write a unicorn's catalog attributes into `slot`; its lease and
        ride are kept (a reload never frees a busy unicorn)."""

    def set_fleet_size(self, size: int) -> None:
        """Record how many slots the fleet has."""

    def unicorn_names(self) -> list[str]:
        """Every unicorn's name (for the loader, not for requests)."""

    def delete_unicorn(self, name: str) -> None:
        """Remove a unicorn that left the catalog."""
