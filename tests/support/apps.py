"""Loading the Chalice apps side by side in one test process.

Each is a module named `app`, loaded under its own name so none shadows
another. rides imports its own `chalicelib`, so its folder is put
on sys.path first.
"""
import importlib.util
import sys

from project.model import FLEET, RECORD, RIDES

FLEET_DIR = FLEET.directory
RIDES_DIR = RIDES.directory
RECORD_DIR = RECORD.directory


def load_app(app_dir, module_name):
    if module_name in sys.modules:
        return sys.modules[module_name]
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location(module_name, app_dir / 'app.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def fleet_app():
    return load_app(FLEET_DIR, 'ride_fleet_app')


def rides_app():
    return load_app(RIDES_DIR, 'rides_app')


def record_app():
    return load_app(RECORD_DIR, 'ride_record_app')
