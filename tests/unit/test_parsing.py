"""Parsing what callers send: numbers that JSON parsers let through but are
no place on Earth are refused, naming the field."""
import json

import pytest

from shared.domain.errors import InvalidRequest
from shared.domain.parsing import parse_ride_request, parse_unicorn_request


@pytest.mark.parametrize('constant', ['NaN', 'Infinity', '-Infinity'])
@pytest.mark.parametrize('field', ['Latitude', 'Longitude'])
def test_a_coordinate_that_is_not_finite_is_refused_naming_the_field(constant, field):
    location = {'Latitude': 1.0, 'Longitude': 2.0}
    location[field] = json.loads(constant)  # what Lambda's JSON parser hands over

    with pytest.raises(InvalidRequest, match=f'PickupLocation.{field} must be a finite number'):
        parse_ride_request({'PickupLocation': location})
    with pytest.raises(InvalidRequest, match=f'PickupLocation.{field} must be a finite number'):
        parse_unicorn_request({'RideId': '6f1d2a3b-0000-4000-8000-000000000000',
                               'PickupLocation': location})
