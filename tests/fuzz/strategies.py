"""Hypothesis strategies for what callers may send: JSON values of every
kind (nested junk, huge and tiny numbers, bools, unicode), bodies that are
almost right, raw bytes, and JSON texts JSON does not allow (NaN)."""
import json

from hypothesis import strategies as st

# Numbers JSON can carry that a float cannot, or only just.
HUGE_INTS = st.sampled_from([10**400, -10**400, 2**63, -2**63 - 1, 2**1024, 10**308 * 10])
EDGE_NUMBERS = st.sampled_from([0, -0.0, 90, -90, 180, -180, 90.0000001, -180.0000001,
                                1e308, -1e308, 5e-324, 1.7976931348623157e308])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS, EDGE_NUMBERS,
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
)
keys = st.one_of(st.text(max_size=12),
                 st.sampled_from(['PickupLocation', 'Latitude', 'Longitude', 'RideId',
                                  'Action', '__proto__', '', 'pickuplocation']))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)

coordinates = st.one_of(
    st.floats(min_value=-200, max_value=200), st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-200, max_value=200), HUGE_INTS, EDGE_NUMBERS, json_values,
)
in_range = st.fixed_dictionaries({
    'Latitude': st.one_of(st.floats(-90, 90), st.integers(-90, 90)),
    'Longitude': st.one_of(st.floats(-180, 180), st.integers(-180, 180)),
})
pickups = st.one_of(
    in_range,
    st.fixed_dictionaries({}, optional={'Latitude': coordinates, 'Longitude': coordinates,
                                        'Altitude': json_values}),
    json_values,
)
# Bodies of POST /ride (and payloads of RequestRideInvoke): mostly near
# misses of the right shape, some of them right, the rest anything.
ride_bodies = st.one_of(
    st.fixed_dictionaries({'PickupLocation': pickups}, optional={'RideId': json_values,
                                                                 'Extra': json_values}),
    json_values,
)


def _uuid_forms(value):
    text = str(value)
    return st.sampled_from([text, text.upper(), '{%s}' % text, 'urn:uuid:' + text,
                            value.hex, text[:-1], text + '0', text.replace('-', '_')])


ride_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().flatmap(_uuid_forms),
    st.text(max_size=60),
    json_values,
)
# Riders: mostly Cognito subs, then anything a caller could name.
rider_ids = st.one_of(
    st.uuids().map(str),
    st.text(max_size=140),
    json_values,
)
unicorn_payloads = st.one_of(
    st.fixed_dictionaries({}, optional={
        'Action': st.one_of(st.sampled_from(['Dispatch', 'Release', 'GetRide', 'release', '',
                                             'Fly']), json_values),
        'RideId': ride_ids,
        'RiderId': rider_ids,
        'PickupLocation': pickups,
        'RequestTime': st.one_of(st.just('2027-01-15T08:00:00.000+00:00'), json_values),
    }),
    json_values,
)

# Path segments for POST /ride/{id}/complete: no '/', '?' or '#', which
# would make it another URL.
path_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().flatmap(_uuid_forms).filter(lambda s: '/' not in s),
    st.text(alphabet=st.characters(blacklist_characters='/?#',
                                   blacklist_categories=('Cs', 'Cc')), max_size=60),
)

# JSON text that is not JSON, or only nearly.
_TOKENS = ['NaN', '-NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1' + '0' * 400,
           '1' * 5000, '0x10', '01', '.5', '1.', '+1', '1e-400', '-0', 'true', 'null',
           '"47.6"', '[]', '{}', '47.6', '-122.3', '"\\ud800"', '\u0661']


@st.composite
def raw_bodies(draw):
    """Bytes a client may put in a POST body."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.text(max_size=200)).encode('utf-8', 'surrogatepass')
    if kind == 2:
        lat, lon = draw(st.sampled_from(_TOKENS)), draw(st.sampled_from(_TOKENS))
        return ('{"PickupLocation": {"Latitude": %s, "Longitude": %s}}' % (lat, lon)).encode()
    if kind == 3:  # deep nesting: a parser's recursion limit
        depth = draw(st.integers(1, 30_000))
        opener, closer = draw(st.sampled_from([('[', ']'), ('{"a":', '}')]))
        return (opener * depth + '1' + closer * depth).encode()
    body = json.dumps(draw(ride_bodies)).encode()  # valid JSON, cut or corrupted
    cut = draw(st.integers(0, len(body)))
    return body[:cut] + draw(st.binary(max_size=3))


