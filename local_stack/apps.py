"""Which functions exist, and how each one is configured.

An app's stage settings come from its `.chalice/config.json` through
Chalice's own `Config` (so the merge of top-level, stage and per-function
values — environment variables, `lambda_timeout`, `lambda_memory_size` — is
exactly the one `chalice deploy` makes). Which functions an app declares is
learnt by `local_stack.discovery`, in a process of its own, so nothing of
the app enters the process that hosts the endpoint.
"""
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from chalice.config import Config

from local_stack import function_arn

# Chalice's own defaults when a config says nothing.
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MEMORY_MB = 128
# How long a source fingerprint is trusted before files are stat()ed again.
FINGERPRINT_TTL_SECONDS = 0.25


class AppDirectory:
    """One Chalice project directory at one stage."""

    def __init__(self, app_dir, stage='dev', extra_sources=()):
        """`extra_sources`: folders outside the app whose code it imports
        (the project's `shared/` when no `vendor/` symlink reaches it)."""
        self.app_dir = Path(app_dir).resolve()
        self.stage = stage
        self.extra_sources = [Path(folder) for folder in extra_sources]
        self.config = json.loads((self.app_dir / '.chalice' / 'config.json').read_text())
        self.app_name = self.config['app_name']
        self._fingerprint = (0.0, None)
        self._fingerprint_lock = threading.Lock()

    def chalice_config(self, function_name=None):
        return Config(chalice_stage=self.stage, function_name=function_name,
                      config_from_disk=self.config,
                      default_params={'project_dir': str(self.app_dir)})

    def stage_environment(self):
        """The stage's environment variables (what `chalice local` sets)."""
        return dict(self.chalice_config().environment_variables)

    def deployed_name(self, function_name):
        return f'{self.app_name}-{self.stage}-{function_name}'

    def function(self, function_name, handler=''):
        config = self.chalice_config(function_name)
        deployed = self.deployed_name(function_name)
        reserved = config.reserved_concurrency
        return FunctionSpec(
            app=self, name=function_name, deployed_name=deployed,
            arn=function_arn(deployed), handler=handler or f'app.{function_name}',
            reserved_concurrency=None if reserved is None else int(reserved),
            timeout=float(config.lambda_timeout or DEFAULT_TIMEOUT_SECONDS),
            memory_mb=int(config.lambda_memory_size or DEFAULT_MEMORY_MB),
            environment={k: str(v) for k, v in config.environment_variables.items()})

    def source_files(self):
        """What a deployment package of this app holds: app.py, chalicelib/
        and vendor/ (whose symlinks, such as vendor/shared, are followed),
        and the `extra_sources` folders."""
        yield self.app_dir / 'app.py'
        folders = [self.app_dir / 'chalicelib', self.app_dir / 'vendor', *self.extra_sources]
        for folder in folders:
            for root, dirs, files in os.walk(folder, followlinks=True):
                dirs[:] = [d for d in dirs if d != '__pycache__']
                for name in files:
                    if not name.endswith(('.pyc', '.pyo')):
                        yield Path(root) / name

    def source_fingerprint(self):
        """Changes whenever a source file is edited, added or removed.
        Cached for a fraction of a second: invocations ask on every call."""
        with self._fingerprint_lock:
            checked_at, value = self._fingerprint
            if value is not None and time.monotonic() - checked_at < FINGERPRINT_TTL_SECONDS:
                return value
            digest = hashlib.sha1()
            for path in sorted(self.source_files()):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                digest.update(f'{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n'.encode())
            value = digest.hexdigest()
            self._fingerprint = (time.monotonic(), value)
            return value


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """One `@app.lambda_function` as it would be deployed."""

    app: AppDirectory
    name: str            # the name in the app, e.g. RequestUnicornInvoke
    deployed_name: str   # wild-rydes-ride-fleet-dev-RequestUnicornInvoke
    arn: str
    timeout: float
    memory_mb: int
    environment: dict
    handler: str = ''                        # app.<python name>, as Chalice deploys it
    reserved_concurrency: int | None = None  # `reserved_concurrency` in config.json


class Registry:
    """Every function of every app, by deployed name. An unknown name sends
    the registry back to an app whose source changed since it was last read,
    so a function added while the stack runs is found."""

    def __init__(self, apps, discover):
        """`discover(app)` returns {function name: handler} of the app."""
        self.apps = list(apps)
        self._discover = discover
        self._lock = threading.Lock()
        self._functions = {}       # deployed name -> FunctionSpec
        self._read_at = {}         # app dir -> source fingerprint when read

    def load(self):
        """Read every app, concurrently (each read imports the app in a process)."""
        threads = [threading.Thread(target=self._read, args=(app,), daemon=True)
                   for app in self.apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self

    def _read(self, app):
        fingerprint = app.source_fingerprint()
        names = self._discover(app)
        with self._lock:
            for deployed, spec in list(self._functions.items()):
                if spec.app is app:
                    del self._functions[deployed]
            for name, handler in names.items():
                spec = app.function(name, handler)
                self._functions[spec.deployed_name] = spec
            self._read_at[app.app_dir] = fingerprint

    def lookup(self, deployed_name):
        with self._lock:
            spec = self._functions.get(deployed_name)
        if spec is not None:
            return spec
        for app in self.apps:
            if deployed_name.startswith(f'{app.app_name}-{app.stage}-') and \
                    self._read_at.get(app.app_dir) != app.source_fingerprint():
                self._read(app)
        with self._lock:
            return self._functions.get(deployed_name)

    def functions(self):
        with self._lock:
            return sorted(self._functions.values(), key=lambda spec: spec.deployed_name)

