"""The machine a run happened on, for the report."""
import datetime
import os
import platform
import sys
from importlib import metadata


def cpu_model():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return 'not installed'


def describe():
    return {
        'date': datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC'),
        'cpu': cpu_model(),
        'cores': os.cpu_count(),
        'usable_cores': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None,
        'python': platform.python_version(),
        'implementation': platform.python_implementation(),
        'os': f'{platform.system()} {platform.release()}',
        'load_average': os.getloadavg() if hasattr(os, 'getloadavg') else None,
        'packages': {name: _version(name) for name in ('boto3', 'botocore', 'chalice', 'moto')},
        'executable': sys.executable,
    }
