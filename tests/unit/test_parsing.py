"""Parsing what callers send: numbers that JSON parsers let through but are
no place on Earth are refused, naming the field."""
import json

import pytest

from shared.domain.errors import InvalidRequest, UnsupportedMediaType
from shared.domain.parsing import parse_ride_request, parse_rider_id, parse_unicorn_request, require_json_content_type


@pytest.mark.parametrize('constant', ['NaN', 'Infinity', '-Infinity'])
@pytest.mark.parametrize('field', ['Latitude', 'Longitude'])
def test_a_coordinate_that_is_not_finite_is_refused_naming_the_field(constant, field):
    location = {'Latitude': 1.0, 'Longitude': 2.0}
    location[field] = json.loads(constant)  # what Lambda's JSON parser hands over

    with pytest.raises(InvalidRequest, match=f'PickupLocation.{field} must be a finite number'):
        parse_ride_request({'PickupLocation': location})
    with pytest.raises(InvalidRequest, match=f'PickupLocation.{field} must be a finite number'):
        parse_unicorn_request({'RideId': '6f1d2a3b-0000-4000-8000-000000000000',
                               'RiderId': 'rider-1', 'PickupLocation': location})


RIDE_ID = '6f1d2a3b-0000-4000-8000-000000000000'


@pytest.mark.parametrize('action', ['Dispatch', 'Release', 'GetRide'])
def test_a_ride_id_without_a_rider_is_refused_naming_the_rider(action):
    with pytest.raises(InvalidRequest, match='RiderId is required'):
        parse_unicorn_request({'Action': action, 'RideId': RIDE_ID})


@pytest.mark.parametrize('action', ['Release', 'GetRide'])
def test_releasing_or_reading_needs_a_ride_id(action):
    with pytest.raises(InvalidRequest, match=f'RideId is required for {action}'):
        parse_unicorn_request({'Action': action, 'RiderId': 'rider-1'})


@pytest.mark.parametrize('rider', ['', '   ', 7, ['a'], 'x' * 129, 'tab\there'])
def test_a_rider_id_must_be_a_short_printable_string(rider):
    with pytest.raises(InvalidRequest, match='RiderId must be a non-empty printable string'):
        parse_rider_id(rider)


def test_a_cognito_sub_is_a_rider_id():
    sub = '8a1f6d2e-3b4c-4d5e-9f60-718293a4b5c6'

    assert parse_rider_id(sub) == sub


@pytest.mark.parametrize('content_type', ['application/json', 'Application/JSON',
                                          'application/json; charset=utf-8'])
def test_json_content_types_are_accepted(content_type):
    require_json_content_type(content_type)


@pytest.mark.parametrize('content_type', [None, '', 'text/plain', 'application/x-www-form-urlencoded',
                                          'multipart/form-data; boundary=x',
                                          'application/jsonp', 'text/plain; application/json'])
def test_any_other_content_type_or_none_is_unsupported(content_type):
    with pytest.raises(UnsupportedMediaType, match='Content-Type: application/json'):
        require_json_content_type(content_type)
