"""Section 7: the local Lambda runtime's own overhead.

A warm no-op invoke through the local runtime (endpoint -> sandbox running
AWS's runtime client -> back) against its floor: the same boto3 client
calling a bare loopback server that answers like Lambda and runs nothing.
The paths alternate in one loop. Then the cold start of one sandbox (the
process, awslambdaric's import of the app, its first `GET .../next`) for a
no-op app and for the fleet function.
"""
import json
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import interleave, targets
from bench.stats import Summary, ratio

NOOP_APP = '''from chalice import Chalice

app = Chalice(app_name='noop')


@app.lambda_function(name='Noop')
def noop(event, context):
    return {}
'''
NOOP_CONFIG = {'version': '2.0', 'app_name': 'noop', 'stages': {'dev': {}}}
NOOP_FUNCTION = 'noop-dev-Noop'
FLEET_FUNCTION = 'wild-rydes-ride-fleet-dev-RequestUnicornInvoke'


class _LambdaLikeHandler(BaseHTTPRequestHandler):
    """Answers every invoke as Lambda answers a no-op function: 200, `{}`."""

    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        body = b'{}'
        self.send_response(200)
        for key, value in (('Content-Type', 'application/json'),
                           ('x-amzn-RequestId', str(uuid.uuid4())),
                           ('X-Amz-Executed-Version', '$LATEST'),
                           ('Content-Length', str(len(body)))):
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _lambda_client(url):
    """One boto3 client configuration for both paths; only the URL differs."""
    import boto3
    from botocore.config import Config
    return boto3.session.Session(
        aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1',
    ).client('lambda', endpoint_url=url, config=Config(retries={'total_max_attempts': 1}))


def _noop_app(folder):
    app_dir = Path(folder) / 'noop'
    (app_dir / '.chalice').mkdir(parents=True)
    (app_dir / 'app.py').write_text(NOOP_APP)
    (app_dir / '.chalice' / 'config.json').write_text(json.dumps(NOOP_CONFIG))
    return app_dir


def measure(settings, tick=lambda: None):
    """{'warm': {...}, 'coldstart': {...}} for the report."""
    from local_stack import testing
    from local_stack.sandbox import Sandbox

    rounds, warmup = settings.local_rounds, settings.local_warmup
    floor = ThreadingHTTPServer(('127.0.0.1', 0), _LambdaLikeHandler)
    floor.daemon_threads = True
    threading.Thread(target=floor.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as folder, \
                testing.lambda_runtime([_noop_app(folder), Path(targets.ROOT) / 'ride_fleet']) as local:
            runtime_client = _lambda_client(local.aws_url)
            floor_client = _lambda_client(f'http://127.0.0.1:{floor.server_port}')

            def call(client):
                return lambda: client.invoke(FunctionName=NOOP_FUNCTION, Payload=b'{}')[
                    'Payload'].read()

            samples = interleave.alternate(
                [interleave.Path('runtime', call(runtime_client)),
                 interleave.Path('floor', call(floor_client))],
                rounds, warmup=warmup, tick=tick, time_budget_s=settings.local_budget_s)
            warm = {name: Summary.of(values) for name, values in samples.items()}
            cold = {}
            for name in (NOOP_FUNCTION, FLEET_FUNCTION):
                spec = local.runtime.registry.lookup(name)
                env = local.runtime.sandbox_environment(spec)
                times = []
                for _ in range(max(2, settings.coldstart_rounds)):
                    started = time.perf_counter()
                    sandbox = Sandbox(name, spec.handler, str(spec.app.app_dir), env,
                                      spec.timeout, spec.memory_mb)
                    try:
                        sandbox.start()
                        times.append((time.perf_counter() - started) * 1000)
                    finally:
                        sandbox.kill()
                cold[name] = Summary.of(times)
    finally:
        floor.shutdown()
        floor.server_close()
    return {'warm': warm, 'ratio_p50': ratio(warm['runtime'].median, warm['floor'].median),
            'coldstart': cold}


def render(section):
    """Markdown for section 7."""
    if section.get('status') == 'skipped':
        return f'## 7. Local Lambda runtime\n\nSkipped: {section["reason"]}\n'
    warm, cold = section['warm'], section['coldstart']
    lines = ['## 7. Local Lambda runtime', '',
             'A warm no-op invoke through the local runtime (endpoint, sandbox running '
             "AWS's runtime client, back) against its floor: the same boto3 client calling a "
             'bare loopback server that answers like Lambda. Alternating, one loop.', '',
             '| path | n | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|---|']
    for name, label in (('runtime', 'local runtime, no-op function'),
                        ('floor', 'bare loopback server (floor)')):
        s = warm[name]
        lines.append(f'| {label} | {s.count} | {s.median:.2f} | {s.p95:.2f} | {s.p99:.2f} |')
    lines += ['', f'At p50 the runtime takes **{section["ratio_p50"]:.2f}×** the floor '
                  f'(+{warm["runtime"].median - warm["floor"].median:.2f} ms; goal: at most '
                  '1.3×).', '',
              'Cold start of one sandbox (process start, awslambdaric importing the app, '
              'its first `GET /runtime/invocation/next`):', '',
              '| function | n | p50 ms | max ms |', '|---|---|---|---|']
    for name, s in cold.items():
        lines.append(f'| {name} | {s.count} | {s.median:.0f} | {s.maximum:.0f} |')
    return '\n'.join(lines) + '\n'
