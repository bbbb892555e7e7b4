"""The fleet catalog (ride_fleet/chalicelib/unicorns.json) and loading it
into a fleet store.

Loading is idempotent: running it twice leaves the same fleet, unicorns
removed from the catalog leave the store, and a unicorn on a ride stays on
its ride.
"""
import json
import logging
from pathlib import Path
from typing import Any

from shared.domain.errors import InvalidRequest
from shared.domain.fleet_store import FleetStore, Unicorn

log = logging.getLogger(__name__)

REQUIRED_TEXT = ('Name', 'Color', 'DeviceId')


def read_catalog(path: str | Path) -> list[Unicorn]:
    with open(path, encoding='utf-8') as handle:
        return validate_catalog(json.load(handle))


def validate_catalog(unicorns: object) -> list[Unicorn]:
    """The catalog as a list of unicorn dicts, or InvalidRequest naming the flaw."""
    if not isinstance(unicorns, list) or not unicorns:
        raise InvalidRequest('the fleet catalog must be a non-empty JSON list')
    seen = set()
    for index, unicorn in enumerate(unicorns):
        where = f'unicorn #{index}'
        if not isinstance(unicorn, dict):
            raise InvalidRequest(f'{where} must be a JSON object')
        for field in REQUIRED_TEXT:
            value = unicorn.get(field)
            if not isinstance(value, str) or not value.strip():
                raise InvalidRequest(f'{where}: {field} must be a non-empty string')
        name = unicorn['Name']
        if '#' in name:
            raise InvalidRequest(f'{where}: Name must not contain "#"')
        if name in seen:
            raise InvalidRequest(f'{where}: Name {name!r} appears twice')
        seen.add(name)
    return unicorns


def load_fleet(store: FleetStore, unicorns: list[Unicorn]) -> dict[str, Any]:
    """Write the catalog into numbered slots, then drop unicorns no longer in it."""
    ordered = sorted(unicorns, key=lambda unicorn: str(unicorn['Name']))
    for slot, unicorn in enumerate(ordered):
        store.put_unicorn(unicorn, slot)
    store.set_fleet_size(len(ordered))
    wanted = {unicorn['Name'] for unicorn in ordered}
    removed = sorted(set(store.unicorn_names()) - wanted)
    for name in removed:
        store.delete_unicorn(name)
    log.info('catalog loaded', extra={'loaded': len(ordered), 'removed': removed})
    return {'Loaded': len(ordered), 'Removed': removed}
