"""Which functions exist, and how each one is configured.

An app's stage settings come from the project model (`project.model`,
which reads `.chalice/config.json` through Chalice's own `Config`, so the
merge is exactly the one `chalice deploy` makes). Which functions an app
declares is learnt by `local_stack.discovery`, in a process of its own, so
nothing of the app enters the process that hosts the endpoint.
"""
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from project.model import ChaliceApp, Function

# How long a source fingerprint is trusted before files are stat()ed again.
FINGERPRINT_TTL_SECONDS = 0.25


@dataclass(frozen=True, eq=False)
class FunctionSpec(Function):
    """A function as the runtime serves it: the project model's, plus its
    handler, `app.<python name>` as Chalice deploys it."""

    app: 'AppDirectory'  # the same field, narrowed: the runtime asks it for its fingerprint
    handler: str = ''


class AppDirectory(ChaliceApp):
    """One Chalice project directory at one stage, with a fingerprint of its
    source so the runtime sees code changes."""

    def __init__(self, app_dir: str | Path, stage: str = 'dev',
                 extra_sources: Iterable[str | Path] = ()) -> None:
        """`extra_sources`: folders outside the app whose code it imports
        (the project's `shared/` when no `vendor/` symlink reaches it)."""
        super().__init__(app_dir, stage)
        self.extra_sources = [Path(folder) for folder in extra_sources]
        self._fingerprint: tuple[float, str | None] = (0.0, None)
        self._fingerprint_lock = threading.Lock()

    def function(self, function_name: str, handler: str = '') -> FunctionSpec:
        spec = super().function(function_name)
        return FunctionSpec(**{f.name: getattr(spec, f.name) for f in fields(spec)},
                            handler=handler or f'app.{function_name}')

    def source_files(self) -> Iterator[Path]:
        """What a deployment package of this app holds: app.py, chalicelib/
        and vendor/ (whose symlinks, such as vendor/shared, are followed),
        and the `extra_sources` folders."""
        return (Path(path) for path in self._source_paths())

    def _source_paths(self) -> Iterator[str]:
        """`source_files` as strings: the fingerprint stats each of them
        several times a second while invocations come, and making a `Path`
        of each, then sorting those, was half its cost."""
        yield os.path.join(self.app_dir, 'app.py')
        folders = [self.app_dir / 'chalicelib', self.app_dir / 'vendor', *self.extra_sources]
        for folder in folders:
            for root, dirs, files in os.walk(folder, followlinks=True):
                dirs[:] = [d for d in dirs if d != '__pycache__']
                for name in files:
                    if not name.endswith(('.pyc', '.pyo')):
                        yield os.path.join(root, name)

    def source_fingerprint(self) -> str:
        """Changes whenever a source file is edited, added or removed.
        Cached for a fraction of a second: invocations ask on every call."""
        with self._fingerprint_lock:
            checked_at, value = self._fingerprint
            if value is not None and time.monotonic() - checked_at < FINGERPRINT_TTL_SECONDS:
                return value
            return self._take_fingerprint()

    def refresh_fingerprint_ahead(self) -> None:
        """Take the fingerprint again once it is past half its lifetime, so
        that the next invocation finds a fresh one instead of walking the
        source tree (about 0.3 ms) while its caller waits. Called after an
        invocation's answer; the next one still checks the age itself."""
        with self._fingerprint_lock:
            checked_at, value = self._fingerprint
            if value is None or \
                    time.monotonic() - checked_at >= FINGERPRINT_TTL_SECONDS / 2:
                self._take_fingerprint()

    def _take_fingerprint(self) -> str:
        """Under the lock: every source file's path, mtime and size, hashed."""
        stamps = []
        for path in sorted(self._source_paths()):
            try:
                stat = os.stat(path)
            except OSError:
                continue
            stamps.append(f'{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n')
        value = hashlib.sha1(''.join(stamps).encode()).hexdigest()
        self._fingerprint = (time.monotonic(), value)
        return value


class Registry:
    """Every function of every app, by deployed name. An unknown name sends
    the registry back to an app whose source changed since it was last read,
    so a function added while the stack runs is found."""

    def __init__(self, apps: Iterable[AppDirectory],
                 discover: Callable[[AppDirectory], dict[str, str]]) -> None:
        """`discover(app)` returns {function name: handler} of the app."""
        self.apps = list(apps)
        self._discover = discover
        self._lock = threading.Lock()
        self._functions: dict[str, FunctionSpec] = {}  # by deployed name
        self._read_at: dict[Path, str] = {}  # app dir -> source fingerprint when read

    def load(self) -> 'Registry':
        """Read every app, concurrently (each read imports the app in a process)."""
        threads = [threading.Thread(target=self._read, args=(app,), daemon=True)
                   for app in self.apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self

    def _read(self, app: AppDirectory) -> None:
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

    def lookup(self, deployed_name: str) -> FunctionSpec | None:
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

    def functions(self) -> list[FunctionSpec]:
        with self._lock:
            return sorted(self._functions.values(), key=lambda spec: spec.deployed_name)

