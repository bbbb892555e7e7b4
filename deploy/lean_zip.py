"""Deployment zips that carry only what Lambda's Python runtime lacks.

The X-Ray SDK depends on botocore, so Chalice's packager bundles botocore
and its dependencies (about 16 MB of an 18 MB zip), although every Lambda
Python runtime ships "the AWS SDK for Python (Boto3) and its dependencies"
(AWS Lambda developer guide, "Working with .zip file archives for Python
Lambda functions"). Worse, the zip's root comes first on sys.path: a
bundled botocore or urllib3 would shadow the runtime's while boto3 still
came from the runtime, the version skew that guide warns about.

Chalice has no way to leave a dependency out (it runs `pip download` on
requirements.txt with every dependency; a pip constraint can pin a package
but not omit it). So the zip Chalice builds is rewritten without those
distributions, each found by its own `*.dist-info/RECORD` (the wheel's list
of every file it installed), and without bytecode. Both routes take their
zip from Chalice's cache in `<app>/.chalice/deployments/`: `make package`
copies it, `chalice deploy` uploads it when its hash still matches, so the
cached zip is the one made lean.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import pathlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from project.model import AppEntry, ChaliceApp

# boto3 and its dependencies, as the runtime provides them (distribution
# names, PEP 503-normalized): boto3 -> botocore, jmespath, s3transfer;
# botocore -> python-dateutil (-> six), urllib3.
RUNTIME_DISTRIBUTIONS = frozenset({
    'boto3', 'botocore', 's3transfer', 'jmespath', 'urllib3', 'python-dateutil', 'six'})
# What those distributions install at the zip's root, to check a zip by.
RUNTIME_TOP_LEVEL = frozenset({
    'boto3', 'botocore', 's3transfer', 'jmespath', 'urllib3', 'dateutil', 'six.py'})

_DIST_INFO = re.compile(r'^(?P<name>[^/-]+)-[^/-]+\.dist-info/RECORD$')


@dataclass(frozen=True)
class Slimmed:
    """What one rewrite removed."""

    distributions: tuple[str, ...]
    bytes_before: int
    bytes_after: int


def normalized(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def runtime_provided(source: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    """(files, distributions) of the runtime's distributions in a zip, from
    each one's RECORD, plus anything else in its dist-info folder."""
    names = source.namelist()
    files: set[str] = set()
    distributions: set[str] = set()
    for name in names:
        match = _DIST_INFO.match(name)
        if match is None or normalized(match['name']) not in RUNTIME_DISTRIBUTIONS:
            continue
        distributions.add(normalized(match['name']))
        dist_info = name.rsplit('/', 1)[0] + '/'
        record = csv.reader(io.StringIO(source.read(name).decode()))
        files |= {row[0] for row in record if row}
        files |= {other for other in names if other.startswith(dist_info)}
    return files, distributions


def is_bytecode(name: str) -> bool:
    """Chalice copies `vendor/shared/__pycache__` from the working tree:
    bytecode of this machine's Python, stale in Lambda."""
    return '__pycache__/' in name or name.endswith('.pyc')


def slim(zip_path: pathlib.Path) -> Slimmed:
    """Rewrite the zip without the runtime's distributions and bytecode."""
    before = zip_path.stat().st_size
    with zipfile.ZipFile(zip_path) as source:
        dropped, distributions = runtime_provided(source)
        entries = [(info, source.read(info)) for info in source.infolist()
                   if info.filename not in dropped and not is_bytecode(info.filename)]
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info, data)
    return Slimmed(tuple(sorted(distributions)), before, zip_path.stat().st_size)


def top_level(zip_path: pathlib.Path) -> set[str]:
    """The names at the zip's root (packages, modules, dist-info folders)."""
    with zipfile.ZipFile(zip_path) as archive:
        return {name.split('/', 1)[0] for name in archive.namelist()}


@contextlib.contextmanager
def cache_lock(app: AppEntry) -> Iterator[None]:
    """One build per app at a time (parallel test workers, a `make package`
    beside `make test`): Chalice caches the zip in the app's
    .chalice/deployments/, which two writers would corrupt."""
    cache = app.directory / '.chalice' / 'deployments'
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / '.package.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lean_cached_package(app: AppEntry, stage: str) -> tuple[pathlib.Path, Slimmed]:
    """Chalice's cached deployment zip of the app (built by Chalice's own
    packager if missing, as `chalice deploy` and `chalice package` would),
    made lean. Call it under `cache_lock`."""
    from chalice.deploy.packager import (
        DependencyBuilder,
        LambdaDeploymentPackager,
        PipRunner,
        SubprocessPip,
    )
    from chalice.utils import UI, OSUtils

    config = ChaliceApp(app.directory, stage).chalice_config()
    osutils = OSUtils()
    builder = DependencyBuilder(
        osutils=osutils, pip_runner=PipRunner(pip=SubprocessPip(osutils=osutils), osutils=osutils),
        architecture=config.lambda_architecture)
    packager = LambdaDeploymentPackager(osutils=osutils, dependency_builder=builder,
                                        ui=UI(out=io.StringIO()),
                                        architecture=config.lambda_architecture)
    path = pathlib.Path(packager.create_deployment_package(
        str(app.directory), config.lambda_python_version))
    return path, slim(path)


def make_cached_package_lean(app: AppEntry, stage: str) -> pathlib.Path:
    """What the `chalice deploy` route runs before each `chalice deploy`."""
    with cache_lock(app):
        path, _ = lean_cached_package(app, stage)
    return path
