"""A CloudFormation Update of the catalog (a new unicorns.json deployed)
reloads the fleet while riders are out: no unicorn on a ride is freed."""
import json
import uuid

import pytest
from chalice.test import Client

from tests.deploy.response_server import ResponseServer
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR

STACK_ID = ('arn:aws:cloudformation:us-east-1:123456789012:stack/'
            'wild-rydes-ride-fleet-dev/5b2a1e70-0000-11ef-8000-0a1b2c3d4e5f')


def invoke(client, function, payload):
    return json.loads(json.dumps(client.lambda_.invoke(function, payload).payload))


def rider_of(ride_id):
    """Each ride its own rider here."""
    return f'rider-{ride_id}'


def new_ride_payload():
    ride_id = str(uuid.uuid4())
    return {'RideId': ride_id, 'RiderId': rider_of(ride_id)}


def update_event(server):
    """What CloudFormation sends LoadTable when the catalog's hash changed."""
    return {
        'RequestType': 'Update',
        'ServiceToken': 'arn:aws:lambda:us-east-1:123456789012:function:'
                        'wild-rydes-ride-fleet-dev-LoadTable',
        'ResponseURL': server.response_url(),
        'StackId': STACK_ID,
        'RequestId': 'req-update',
        'LogicalResourceId': 'FleetCatalog',
        'PhysicalResourceId': 'FleetCatalog-1',
        'ResourceType': 'AWS::CloudFormation::CustomResource',
        'ResourceProperties': {'ServiceToken': 'x', 'CatalogSha256': 'new'},
        'OldResourceProperties': {'ServiceToken': 'x', 'CatalogSha256': 'old'},
    }


@pytest.fixture
def response_server():
    with ResponseServer() as server:
        yield server


def test_a_custom_resource_update_keeps_every_unicorn_on_its_ride(
        fleet_module, fleet_table, response_server):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        rides = [str(uuid.uuid4()) for _ in range(3)]
        held = {invoke(client, 'RequestUnicornInvoke', {'RideId': ride, 'RiderId': rider_of(ride)})['Name']: ride
                for ride in rides}

        invoke(client, 'LoadTable', update_event(response_server))

        [document] = response_server.documents
        assert document['Status'] == 'SUCCESS'
        assert aws_support.held_unicorns(fleet_table) == held
        free = len(fleet_table.unicorn_names()) - len(held)
        others = {invoke(client, 'RequestUnicornInvoke', new_ride_payload())['Name']
                  for _ in range(free)}
        assert others.isdisjoint(held)
