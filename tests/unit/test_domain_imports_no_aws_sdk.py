"""The domain is plain Python: every module of `shared.domain` imports with
boto3, botocore and Chalice made unimportable, in a fresh interpreter (so
nothing an earlier test imported can hide an import)."""
import subprocess
import sys
import textwrap

from project.model import ROOT

FORBIDDEN = ('boto3', 'botocore', 'chalice')

CHECK = textwrap.dedent('''
    import importlib, pkgutil, sys

    FORBIDDEN = {forbidden!r}

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in FORBIDDEN:
                raise ImportError(f'the domain must not import {{name}}')
            return None

    sys.meta_path.insert(0, Refuse())
    import shared.domain
    names = [info.name for info in pkgutil.walk_packages(shared.domain.__path__, 'shared.domain.')]
    for name in names:
        importlib.import_module(name)
    print(' '.join(sorted(names)))
''')


def test_every_domain_module_imports_without_an_aws_sdk_or_chalice():
    result = subprocess.run([sys.executable, '-c', CHECK.format(forbidden=FORBIDDEN)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    imported = result.stdout.split()
    assert {'shared.domain.fleet', 'shared.domain.rides', 'shared.domain.parsing'} <= set(imported)


def test_the_check_does_catch_an_adapter_that_needs_botocore():
    check = CHECK.replace('import shared.domain\n',
                          'import shared.domain\nimport shared.adapters.dynamodb_fleet_store\n')
    result = subprocess.run([sys.executable, '-c', check.format(forbidden=FORBIDDEN)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert 'must not import boto' in result.stderr
