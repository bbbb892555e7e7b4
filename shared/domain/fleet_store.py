"""What the fleet needs from its storage, and the answers storage gives back.

A store holds the unicorns (catalog attributes plus `Slot`, `BusyUntil`
and, while on a ride, `RideId`), the fleet's size, and one claim per ride.
Its one rule is `claim`: atomically, the unicorn must be free (its lease
ran out) and the ride must hold nothing yet. Values come back as plain
Python (int, float, str, list, dict), whatever the storage keeps inside.
"""
from dataclasses import dataclass
from typing import Any, Protocol

Unicorn = dict[str, Any]

# Attributes the fleet keeps for itself; a client never sees them.
INTERNAL_ATTRIBUTES = frozenset({'Slot', 'Fleet', 'BusyUntil', 'RideId'})


@dataclass(frozen=True)
class Claim:
    """What a ride holds: the unicorn and until when."""

    ride_id: str
    unicorn: Unicorn
    busy_until: int
    completed: bool = False


class ClaimConflict(Exception):
    """The conditional write lost: `unicorn_taken` or `ride_exists` says why."""

    def __init__(self, unicorn_taken: bool, ride_exists: bool) -> None:
        super().__init__('conditional write lost')
        self.unicorn_taken = unicorn_taken
        self.ride_exists = ride_exists


class FleetStore(Protocol):
    def fleet_size(self) -> int:
        """Number of slots; 0 when the fleet was never loaded."""

    def unicorn_at(self, slot: int) -> Unicorn | None:
        """The unicorn in `slot`, or None (a reload may be under way)."""

    def free_unicorn_names(self, now: int) -> list[str]:
        """Names of the unicorns whose lease ran out before `now`."""

    def unicorn(self, name: str) -> Unicorn | None:
        """One unicorn by name, or None."""

    def claim_for(self, ride_id: str) -> Claim | None:
        """The ride's claim, or None when no such ride was dispatched."""

    def claim(self, unicorn: Unicorn, ride_id: str, now: int, busy_until: int,
              expires_at: int) -> None:
        """Hold `unicorn` for `ride_id` until `busy_until`, atomically: the
        unicorn's `BusyUntil` must be before `now` and the ride must hold
        nothing; else ClaimConflict. The ride's record may go at `expires_at`."""

    def release(self, claim: Claim) -> None:
        """Mark the ride completed and free its unicorn, if the ride still
        holds it (after its lease ran out it may be on another ride)."""

    def put_unicorn(self, unicorn: Unicorn, slot: int) -> None:
        """Write a unicorn's catalog attributes into `slot`; its lease and
        ride are kept (a reload never frees a busy unicorn)."""

    def set_fleet_size(self, size: int) -> None:
        """Record how many slots the fleet has."""

    def unicorn_names(self) -> list[str]:
        """Every unicorn's name (for the loader, not for requests)."""

    def delete_unicorn(self, name: str) -> None:
        """Remove a unicorn that left the catalog."""
