"""checkov on the packaged templates: `make package` fails on any finding.

Each finding is either fixed in the templates or skipped here, in that
resource's `Metadata.checkov.skip`, with the one-line reason a reviewer
would accept. `skips(...)` is what the merge templates add; `scan(...)`
runs checkov (from its own venv, `.venv-scan`: checkov pins boto3 and
packaging to versions the dev venv cannot take).
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from project.model import ROOT, Project

SCAN_PYTHON = ROOT / '.venv-scan' / 'bin' / 'python'

NO_VPC = ('CKV_AWS_117', 'no VPC: the functions reach only AWS APIs, nothing private, '
                         'and a VPC adds cold-start time and NAT cost')
NO_ENV_KMS = ('CKV_AWS_173', 'no KMS key for environment variables: none holds a secret '
                             '(names, ARNs, settings); Lambda encrypts them at rest already')
SYNC_NO_DLQ = ('CKV_AWS_116', 'no DLQ: invoked synchronously (API Gateway or lambda.invoke), '
                              'so the caller gets the error; a DLQ only serves async invokes')
LOADER_NO_DLQ = ('CKV_AWS_116', 'no DLQ: CloudFormation invokes it and the custom resource '
                                'always answers FAILED itself; nothing would read a DLQ')
NO_CONCURRENCY_DEV = ('CKV_AWS_115', 'no reserved concurrency in dev: a dev stage shares the '
                                     "account's pool; prod reserves it (config.json)")
NO_CONCURRENCY_API = ('CKV_AWS_115', 'no reserved concurrency: API Gateway stage throttling '
                                     'bounds this function (README, "Security model")')
NO_CONCURRENCY_LOADER = ('CKV_AWS_115', 'no reserved concurrency: only CloudFormation invokes it, '
                                        'once per stack change')
LOGS_NO_KMS = ('CKV_AWS_158', 'no KMS key: the logs hold no secrets (logs.py redacts them) and '
                              'CloudWatch Logs encrypts at rest already')
NO_API_CACHE = ('CKV_AWS_120', 'no API cache: every answer is per ride or per rider and most '
                               'routes are POST; a cache would serve stale or private data')
TABLE_NO_CMK = ('CKV_AWS_119', 'no customer-managed key: unicorn names and leases are not '
                               'sensitive; DynamoDB encrypts with an AWS-owned key already')
DEV_NO_PITR = ('CKV_AWS_28', 'no PITR in dev: LoadTable rebuilds the table from the catalog; '
                             'prod has PITR')
RECORD_TABLE_NO_CMK = ('CKV_AWS_119', 'no customer-managed key: DynamoDB encrypts at rest already '
                                      'and the rides kept are what the rider sees on the page')
DEV_RECORD_NO_PITR = ('CKV_AWS_28', 'no PITR in dev: a dev stage\'s ride history is test data; '
                                    'prod has PITR')
DLQ_SQS_MANAGED_SSE = ('CKV_AWS_27', 'encrypted with SQS-managed SSE (SqsManagedSseEnabled); a KMS '
                                     'key would add key grants to every writer for no gain')
WAF_NO_LOG4J = ('CKV_AWS_192', 'no Log4j rule: nothing behind this ACL runs Java (Python '
                               'functions only), so the managed rule would cost WCUs for nothing')


def skips(*findings: tuple[str, str]) -> dict[str, Any]:
    """`Metadata` for one resource, skipping `findings` with their reasons."""
    return {'Metadata': {'checkov': {'skip': [{'id': check, 'comment': reason}
                                              for check, reason in findings]}}}


def function_skips(project: Project, logical_id: str, reserved: bool, loader: bool,
                   dead_letters: bool = False) -> dict[str, Any]:
    findings = [NO_VPC, NO_ENV_KMS]
    if not dead_letters:
        findings.append(LOADER_NO_DLQ if loader else SYNC_NO_DLQ)
    if not reserved:
        if loader:
            findings.append(NO_CONCURRENCY_LOADER)
        elif logical_id == 'APIHandler':
            findings.append(NO_CONCURRENCY_API if project.stage == 'prod' else NO_CONCURRENCY_DEV)
        else:
            findings.append(NO_CONCURRENCY_DEV)
    return skips(*findings)


def scan(template_paths: Sequence[str | pathlib.Path],
         python: str | pathlib.Path = SCAN_PYTHON) -> tuple[list[dict[str, Any]], str]:
    """(failed checks, checkov's report) for the templates."""
    command = [str(python), '-m', 'checkov.main', '--framework', 'cloudformation', '--quiet',
               '--compact', '--output', 'json', '--skip-download']
    for path in template_paths:
        command += ['-f', str(path)]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f'checkov did not answer JSON (exit {result.returncode}): '
                           f'{(result.stdout + result.stderr)[-2000:]}') from None
    reports = reports if isinstance(reports, list) else [reports]
    failed = [check for report in reports
              for check in report.get('results', {}).get('failed_checks', [])]
    for report in reports:  # a template checkov could not read is not a clean one
        if report.get('summary', {}).get('parsing_errors'):
            failed.append({'file_path': ', '.join(map(str, template_paths)), 'check_id': 'PARSE',
                           'resource': '-', 'check_name': 'checkov could not parse a template'})
    return failed, '\n'.join(
        f"{check['file_path']}: {check['check_id']} {check['resource']}: {check['check_name']}"
        for check in failed)


def skipped(template: dict[str, Any]) -> dict[str, list[str]]:
    """Every skip in a rendered template, by resource."""
    return {name: [skip['id'] for skip in resource.get('Metadata', {}).get('checkov', {})
                   .get('skip', [])]
            for name, resource in template['Resources'].items()
            if resource.get('Metadata', {}).get('checkov')}


if __name__ == '__main__':
    failures, report = scan(sys.argv[1:])
    print(report or 'checkov: no findings')
    sys.exit(1 if failures else 0)
