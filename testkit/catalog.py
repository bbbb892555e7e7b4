"""A synthetic unicorn catalog of any size."""
from typing import Any


def make_unicorns(count: int) -> list[dict[str, Any]]:
    """A synthetic catalog of any size (benchmarks and tests), shaped like
    ride_fleet/chalicelib/unicorns.json, numbers included (DynamoDB's Decimals)."""
    colors = ('White', 'Golden', 'Black', 'Yellow', 'Rainbow')
    return [{'Name': f'Unicorn{index:05d}', 'Color': colors[index % len(colors)],
             'DeviceId': f'device-{index}', 'Gender': 'Female' if index % 2 else 'Male',
             'TopSpeedKph': 40 + index % 30}
            for index in range(count)]
