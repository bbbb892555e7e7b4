"""Section 4: cold start. A fresh interpreter per sample, from spawn to the
first answer (import plus first request, AWS stubbed), project handlers
and bare handlers alternating; and the top import costs from
`python -X importtime`."""
import json
import os
import subprocess
import sys
import time

from bench import targets
from bench.environment import bench_environment
from bench.stats import Summary, ratio
from testkit import xray

PROBE = 'bench.coldstart_probe'
TIMEOUT_SECONDS = 60


def _env():
    env = dict(os.environ)
    env.update(bench_environment())
    # As Lambda starts a function with active tracing (Powertools' Tracer
    # turns on, the X-Ray SDK is imported and patches botocore); a sandbox's
    # first request is sampled (X-Ray's default rule: the first each second).
    env.update({'LAMBDA_TASK_ROOT': targets.ROOT,
                xray.XRAY_TRACE_ID_ENV: xray.trace_header(xray.new_trace_root(1))})
    env['PYTHONPATH'] = targets.ROOT
    env.pop('PYTHONDONTWRITEBYTECODE', None)  # a deployed package has its .pyc files
    return env


def probe(key, python=sys.executable):
    """One fresh process: phase times in ms, and the total from spawn."""
    spawned = time.perf_counter()
    done = subprocess.run([python, '-m', PROBE, key], capture_output=True, text=True,
                          cwd=targets.ROOT, env=_env(), timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f'cold start probe {key} failed:\n{done.stderr[-2000:]}')
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        'total': (phases['t_answer'] - spawned) * 1000,
        'interpreter': (phases['t_main'] - spawned) * 1000,
        'boto3': phases['boto3_s'] * 1000,
        'import': phases['import_s'] * 1000,
        'first_request': phases['first_request_s'] * 1000,
    }


def measure(keys, rounds, tick, warmup=True, python=sys.executable):
    """Every key once per round, in the same order; with `warmup`, one
    untimed round first (fills the .pyc cache, as a deployment package
    would ship it)."""
    for key in keys if warmup else ():
        probe(key, python)
    samples = {key: [] for key in keys}
    for _ in range(rounds):
        for key in keys:
            samples[key].append(probe(key, python))
        tick()
    results = {}
    for key, runs in samples.items():
        results[key] = {
            'label': targets.TARGETS[key].label,
            'total': Summary.of([run['total'] for run in runs]),
            'phases': {phase: Summary.of([run[phase] for run in runs]).median
                       for phase in ('interpreter', 'boto3', 'import', 'first_request')},
            'samples': [run['total'] for run in runs],
        }
    for key, bare in targets.BASELINE_OF.items():
        if key in results and bare in results:
            results[key]['ratio_median'] = ratio(results[key]['total'].median,
                                                 results[bare]['total'].median)
    return results


def import_times(key, top=12, python=sys.executable):
    """The imports that cost most when the target is loaded, from
    `python -X importtime` (cumulative and self, in ms)."""
    done = subprocess.run([python, '-X', 'importtime', '-m', PROBE, key, '--import-only'],
                          capture_output=True, text=True, cwd=targets.ROOT, env=_env(),
                          timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f'importtime {key} failed:\n{done.stderr[-2000:]}')
    return parse_importtime(done.stderr, top)


def parse_importtime(text, top):
    """Rows of `import time: self [us] | cumulative | name`; a row's nesting
    is the indentation of its name. Returns the `top` top-level packages by
    the self time of all their modules, and the `top` modules by self time."""
    rows = []
    for line in text.splitlines():
        if not line.startswith('import time:') or 'self [us]' in line:
            continue
        self_us, cumulative_us, name = line[len('import time:'):].split('|', 2)
        depth = (len(name) - len(name.lstrip(' ')) - 1) // 2
        rows.append({'name': name.strip(), 'self_ms': int(self_us) / 1000,
                     'cumulative_ms': int(cumulative_us) / 1000, 'depth': depth})
    packages = {}
    for row in rows:
        package = row['name'].split('.')[0]
        if package != 'bench':
            packages[package] = packages.get(package, 0.0) + row['self_ms']
    return {
        'packages': packages,
        'by_package': sorted(packages.items(), key=lambda item: -item[1])[:top],
        'by_self': sorted(rows, key=lambda r: -r['self_ms'])[:top],
        'total_ms': sum(row['self_ms'] for row in rows),
    }


def findings(coldstart):
    """Plain statements the import profile supports, for the report."""
    lines = []
    for key, imports in coldstart.get('imports', {}).items():
        packages = imports['packages']
        aws = sum(packages.get(name, 0) for name in ('botocore', 'boto3', 'urllib3',
                                                     's3transfer', 'jmespath', 'dateutil'))
        total = imports['total_ms'] or float('nan')
        own = packages.get('shared', 0) + packages.get('chalice', 0)
        lines.append(f'{targets.TARGETS[key].label}: the AWS SDK (boto3, botocore, urllib3, '
                     f's3transfer, …) is {aws / total:.0%} of import time; chalice plus '
                     f'`shared` is {own / total:.0%} ({own:.1f} ms).')
    return lines
