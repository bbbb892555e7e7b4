"""JSON for DynamoDB items.

DynamoDB hands numbers back as `Decimal`, which `json.dumps` refuses; real
Lambda serializes a handler's return value with JSON, so every answer goes
through `jsonable` first.
"""
from decimal import Decimal
from typing import Any


def jsonable(value: Any) -> Any:
    """A copy of `value` that `json.dumps` accepts, numbers kept exact."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(item) for item in value)
    return value
