"""The handlers measured in process and in cold start, each with the event
it is given and the AWS services it calls.

Project targets are the real Chalice apps, loaded from their folders under
their own module names (both are modules named `app`); bare targets are the
handlers in `bench.baseline`, shaped like the workshop's original ones. Every boto3 client made while
`install_auto_stub()` is in force gets a botocore `Stubber`.
"""
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass

from bench import stubs
from project.model import FLEET, RIDES
from project.model import ROOT as PROJECT_ROOT

ROOT = str(PROJECT_ROOT)


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    module: str          # 'ride_fleet' / 'rides' (an app folder) or a dotted module
    handler: str         # attribute of the module; 'app' for Chalice's own entry point
    event: str           # name of an event factory in bench.stubs
    services: tuple      # AWS services one request calls, in order
    bare: bool = False

    def make_event(self):
        return getattr(stubs, self.event)()


TARGETS = {target.key: target for target in (
    Target('fleet_invoke', 'fleet RequestUnicornInvoke (Chalice)', FLEET.folder,
           'request_unicorn_invoke', 'invoke_event', ('dynamodb',)),
    Target('fleet_get', 'fleet GET /unicorn (Chalice)', FLEET.folder, 'app',
           'get_unicorn_event', ('dynamodb',)),
    Target('rides_post', 'rides POST /ride (Chalice, invoke transport)', RIDES.folder, 'app',
           'post_ride_event', ('lambda', 'sns')),
    Target('bare_fleet_invoke', 'bare fleet handler, invoke payload',
           'bench.baseline.fleet_handler', 'lambda_handler', 'invoke_event',
           ('dynamodb',), bare=True),
    Target('bare_fleet_get', 'bare fleet handler, API Gateway event',
           'bench.baseline.fleet_handler', 'api_handler', 'get_unicorn_event',
           ('dynamodb',), bare=True),
    Target('bare_rides_post', 'bare rides handler, API Gateway event',
           'bench.baseline.rides_handler', 'lambda_handler', 'post_ride_event',
           ('lambda', 'sns'), bare=True),
)}

# Which bare target each project target is compared with.
BASELINE_OF = {'fleet_invoke': 'bare_fleet_invoke', 'fleet_get': 'bare_fleet_get',
               'rides_post': 'bare_rides_post'}

# Stubbers of every client created under install_auto_stub, by id(client).
STUBBERS = {}


def install_auto_stub(prequeue):
    """From now on every boto3 client is stubbed; with `prequeue`, one
    request's answers are queued as it is made (a cold start's first call).
    Returns a function that puts boto3 back as it was."""
    import boto3.session

    original = boto3.session.Session.client
    if getattr(original, 'bench_stubbed', False):
        return lambda: None

    def client(self, *args, **kwargs):
        made = original(self, *args, **kwargs)
        stubber = stubs.stub(made)
        if prequeue:
            stubs.queue(stubber, stubs.service_of(made))
        STUBBERS[id(made)] = (made, stubber)
        return made

    client.bench_stubbed = True
    boto3.session.Session.client = client

    def uninstall():
        boto3.session.Session.client = original
    return uninstall


def load_module(target):
    """The target's module, imported once per process."""
    if target.bare:
        return importlib.import_module(target.module)
    name = f'bench_{target.module}_app'
    if name in sys.modules:
        return sys.modules[name]
    app_dir = os.path.join(ROOT, target.module)
    if app_dir not in sys.path:  # the app imports its own chalicelib, as in Lambda
        sys.path.insert(0, app_dir)
    spec = importlib.util.spec_from_file_location(name, os.path.join(app_dir, 'app.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def handler_of(target):
    return getattr(load_module(target), target.handler)


def clients_of(target):
    """The boto3 clients the target's requests go through."""
    if target.bare:
        module = load_module(target)
        names = {'dynamodb': 'dynamodb', 'lambda': 'lambda_client', 'sns': 'sns'}
        return [getattr(module, names[service]) for service in target.services]
    from shared.adapters import aws_clients
    makers = {'dynamodb': aws_clients.dynamodb_client, 'lambda': aws_clients.lambda_client,
              'sns': aws_clients.sns_client}
    return [makers[service]() for service in target.services]


def answered_ok(target, result):
    """Did the handler give the answer a healthy request gets?"""
    if target.key in ('fleet_invoke', 'bare_fleet_invoke'):  # a direct-invoke answer
        return isinstance(result, dict) and result.get('Name') == stubs.UNICORN['Name']
    expected = 201 if target.key.endswith('rides_post') else 200
    return isinstance(result, dict) and result.get('statusCode') == expected
