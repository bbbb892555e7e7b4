"""`make package STAGE=dev`: every app (fleet, rides, ride-record, in their
deploy order) as CloudFormation (SAM) templates plus deployment zips in
build/<stage>/<app>/, then cfn-lint and checkov on all of them (any finding
fails; deploy/scan.py says how findings are skipped).

    python -m deploy.package --stage dev [--out build] [--no-lint] [--no-scan]
        [--transport invoke|http]

Each app is `chalice package --merge-template build/<stage>/<app>.merge.json`;
the merge template comes from deploy/templates.py (the table from the same
definition the tests use, the policies from the same statements as the
committed policy files).
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pathlib
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence

from deploy import scan, templates
from project.model import APP_ENTRIES, ROOT, STAGES, TRANSPORTS, AppEntry

TEMPLATE_NAME = 'sam.json'
ZIP_NAME = 'deployment.zip'


def _bin(name: str) -> str:
    """A console script of this interpreter's environment (the venv)."""
    candidate = pathlib.Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def package_app(app: AppEntry, stage: str, out_root: str | pathlib.Path,
                transport: str | None = None) -> pathlib.Path:
    """Run `chalice package`; returns build/<stage>/<app>/."""
    out_root = pathlib.Path(out_root).resolve()
    merge = templates.write_merge_template(
        app, stage, out_root / stage / f'{app.folder}.merge.json', transport)
    out_dir = out_root / stage / app.folder
    env = dict(os.environ)
    # chalice wants a region even to package; the template itself uses
    # ${AWS::Region}, so which one does not matter.
    env.setdefault('AWS_DEFAULT_REGION', 'us-east-1')
    with _cache_lock(app):
        subprocess.run(
            [_bin('chalice'), '--project-dir', str(app.directory), 'package',
             '--stage', stage, '--merge-template', str(merge), str(out_dir)],
            check=True, env=env, stdout=subprocess.DEVNULL)
    drop_bytecode(out_dir / ZIP_NAME)
    return out_dir


@contextlib.contextmanager
def _cache_lock(app: AppEntry) -> Iterator[None]:
    """One `chalice package` per app at a time (parallel test workers, a
    `make package` beside `make test`): Chalice caches the dependency zip in
    the app's .chalice/deployments/, which two writers would corrupt."""
    cache = app.directory / '.chalice' / 'deployments'
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / '.package.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def drop_bytecode(zip_path: pathlib.Path) -> None:
    """Chalice copies `vendor/shared/__pycache__` from the working tree:
    bytecode of this machine's Python, stale in Lambda (the zip's file
    times never match it). Rewrite the zip without it."""
    with zipfile.ZipFile(zip_path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()
                   if '__pycache__/' not in info.filename
                   and not info.filename.endswith('.pyc')]
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info, data)


def lint(template_paths: Sequence[str | pathlib.Path]) -> tuple[int, str]:
    """cfn-lint: any error or warning fails (informational notes do not)."""
    result = subprocess.run(
        [_bin('cfn-lint'), '--format', 'parseable', '--'] + [str(p) for p in template_paths],
        capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def package(stage: str, out_root: str | pathlib.Path, run_lint: bool = True,
            run_scan: bool = False, transport: str | None = None) -> dict[AppEntry, pathlib.Path]:
    outputs = {app: package_app(app, stage, out_root, transport) for app in APP_ENTRIES}
    for app, out_dir in outputs.items():
        size = (out_dir / ZIP_NAME).stat().st_size
        print(f'{app.folder}: {out_dir / TEMPLATE_NAME} and {ZIP_NAME} ({size / 1024:.0f} KiB)')
    if run_lint:
        code, report = lint([out / TEMPLATE_NAME for out in outputs.values()])
        if code != 0:
            print(report, file=sys.stderr)
            raise SystemExit(f'cfn-lint failed (exit {code})')
        print('cfn-lint: no errors, no warnings')
    if run_scan:
        failed, report = scan.scan([out / TEMPLATE_NAME for out in outputs.values()])
        if failed:
            print(report, file=sys.stderr)
            raise SystemExit(f'checkov: {len(failed)} finding(s); fix each, or skip it in the '
                             "resource's Metadata with its reason (deploy/scan.py)")
        print('checkov: no findings (each skip has its reason in the template)')
    return outputs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description='package every app for CloudFormation')
    parser.add_argument('--stage', default='dev', choices=STAGES)
    parser.add_argument('--out', default=str(ROOT / 'build'))
    parser.add_argument('--no-lint', action='store_true')
    parser.add_argument('--no-scan', action='store_true', help='skip checkov')
    parser.add_argument('--transport', choices=TRANSPORTS,
                        help="how rides calls the fleet (default: the stage's setting)")
    args = parser.parse_args(argv)
    package(args.stage, args.out, run_lint=not args.no_lint, run_scan=not args.no_scan,
            transport=args.transport)


if __name__ == '__main__':
    main()
