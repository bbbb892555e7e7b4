"""Packaged builds, made once per test session (and per xdist worker)."""
import json
import threading
import zipfile

from deploy import package as packager
from deploy import templates

_lock = threading.Lock()


class Builds:
    """`chalice package` output per stage, built on first use."""

    def __init__(self, root):
        self._root = root
        self._built = {}

    def outputs(self, stage='dev'):
        with _lock:
            if stage not in self._built:
                self._built[stage] = packager.package(stage, self._root, run_lint=False)
            return self._built[stage]

    def template(self, app, stage='dev'):
        return json.loads((self.outputs(stage)[app] / packager.TEMPLATE_NAME).read_text())

    def zip_path(self, app, stage='dev'):
        return self.outputs(stage)[app] / packager.ZIP_NAME

    def unzipped(self, app, stage='dev'):
        """The zip extracted next to it (once)."""
        target = self.outputs(stage)[app] / 'unzipped'
        if not target.exists():
            with zipfile.ZipFile(self.zip_path(app, stage)) as archive:
                archive.extractall(target)
        return target


def role_policies(template):
    """{role logical id: [policy document, ...]} for every IAM role."""
    return {name: [policy['PolicyDocument'] for policy in resource['Properties']['Policies']]
            for name, resource in template['Resources'].items()
            if resource['Type'] == 'AWS::IAM::Role'}


def functions(template):
    return {name: resource for name, resource in template['Resources'].items()
            if resource['Type'] in ('AWS::Serverless::Function', 'AWS::Lambda::Function')}


APPS = templates.APPS
