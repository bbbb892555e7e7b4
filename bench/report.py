"""The report, as Markdown: one section per measurement, tables first."""
import math

from bench.targets import BASELINE_OF


def _ms(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '—'
    return f'{value:.3f}' if value < 1 else f'{value:.1f}' if value < 100 else f'{value:.0f}'


def _x(value):
    return '—' if value is None or math.isnan(value) else f'{value:.2f}×'


def _table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' if i == 0 else '---:' for i in range(len(header))) + '|']
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)


def latency_table(paths, baseline):
    """paths: {key: {'label', 'summary'}}; ratios against `baseline`."""
    base = paths[baseline]['summary']
    rows = []
    for path in paths.values():
        s = path['summary']
        rows.append([path['label'], s.count, _ms(s.median), _ms(s.p95), _ms(s.p99),
                     _x(s.median / base.median), _x(s.p95 / base.p95), _x(s.p99 / base.p99)])
    return _table(['path', 'n', 'median ms', 'p95 ms', 'p99 ms',
                   'median ratio', 'p95 ratio', 'p99 ratio'], rows)


def machine_section(meta):
    m = meta['machine']
    packages = ', '.join(f'{k} {v}' for k, v in m['packages'].items())
    load = ', '.join(f'{x:.2f}' for x in m['load_average']) if m.get('load_average') else '—'
    return '\n'.join([
        f'- date: {m["date"]}; mode: {meta["mode"]}; wall time: {meta["elapsed_s"]:.0f} s',
        f'- CPU: {m["cpu"]}, {m["cores"]} cores ({m["usable_cores"]} usable)',
        f'- Python {m["python"]} ({m["implementation"]}), {m["os"]}; {packages}',
        f'- load average at the start: {load} (shared machine: read ratios, not absolutes)',
    ])


def local_section(number, title, section, what):
    head = f'## {number}. {title}\n\n{what}\n'
    if section.get('status') != 'ok':
        verb = 'Failed' if section.get('status') == 'failed' else 'Not measured'
        return head + f'\n{verb}: {section.get("reason", "no local stack")}.\n'
    notes = section.get('notes', '')
    return head + '\n' + latency_table(section['paths'], section['baseline']) + '\n' + (
        f'\n{notes}\n' if notes else '')


def handler_section(handlers):
    parts = ['## 3. Handler cost in process\n',
             'Each handler called as Lambda calls it (the Chalice app object with an API '
             'Gateway proxy event, or the `@app.lambda_function` with a direct-invoke '
             "payload), AWS answered by botocore's `Stubber`: no network is timed, only the "
             'code. Each project handler alternates with a bare handler shaped like the '
             'workshop\'s original one (`bench/baseline/`: plain boto3, no framework) making '
             'the same AWS '
             'calls; the ratio is what Chalice plus this project\'s code add per request. '
             'The project runs as on Lambda with active tracing: Powertools\' Tracer on, '
             'the X-Ray SDK\'s botocore wrappers in sampled requests, one request in 20 sampled '
             '(X-Ray\'s default '
             'rule at this rate); the bare handlers use no X-Ray SDK '
             '(`bench/handlers.py`).\n']
    for pair in handlers.values():
        paths = {name: {'label': pair['labels'][name], 'summary': pair['summaries'][name]}
                 for name in (pair['project'], pair['bare'])}
        parts.append(latency_table(paths, pair['bare']) + '\n')
    return '\n'.join(parts)


def coldstart_section(coldstart):
    results = coldstart['results']
    rows = []
    for entry in results.values():
        s, p = entry['total'], entry['phases']
        rows.append([entry['label'], s.count, _ms(s.median), _ms(s.p95),
                     _ms(p['interpreter']), _ms(p['boto3']), _ms(p['import']),
                     _ms(p['first_request']), _x(entry.get('ratio_median', float('nan')))])
    parts = ['## 4. Cold start\n',
             'A fresh interpreter per sample, from spawn to the first answer: interpreter '
             'start, `import boto3` (with the stubbing hook), importing the handler\'s module, '
             'and the first request (which, for the project, creates its boto3 clients; the '
             'bare handlers make theirs at import, as the workshop\'s original handlers do). '
             'Every probe starts as Lambda starts a traced function (`LAMBDA_TASK_ROOT`, a '
             'sampled trace header): the project imports the X-Ray SDK and patches botocore. '
             'Targets alternate; one '
             'warm-up round fills the `.pyc` cache, as a deployment package ships it.\n',
             _table(['function', 'n', 'median ms', 'p95 ms', 'interpreter', 'boto3 import',
                     'module import', 'first request', 'vs bare (median)'], rows), '']
    for key, imports in coldstart.get('imports', {}).items():
        packages = ', '.join(f'{name} {ms:.1f}' for name, ms in imports['by_package'][:8])
        modules = ', '.join(f'`{row["name"]}` {row["self_ms"]:.1f}'
                            for row in imports['by_self'][:6])
        parts.append(f'- `python -X importtime`, {results[key]["label"] if key in results else key}: '
                     f'{imports["total_ms"]:.0f} ms of imports; by package (ms, self time '
                     f'summed): {packages}; slowest modules: {modules}.')
    findings = coldstart.get('findings')
    if findings:
        parts += ['', 'What the profile says:', ''] + [f'- {line}' for line in findings]
    return '\n'.join(parts) + '\n'


def scale_section(scale):
    rows = []
    for size, entry in scale['sizes'].items():
        ops = ', '.join(f'{op} {n:g}' for op, n in entry['by_operation'].items())
        t = entry['time']
        rows.append([f'{size:,}', f'{entry["requests_per_dispatch"]:g}', ops,
                     _ms(t.median), _ms(t.p95), _ms(t.p99)])
    u = scale['uniformity']
    return '\n'.join([
        '## 5. Fleet scale\n',
        'Dispatches against moto (in process), fleet sizes alternating; DynamoDB requests '
        'counted with a botocore `before-call` hook on the client. Flat request counts are '
        'the goal; moto\'s wall time is not DynamoDB\'s (moto answers a GSI query by '
        'walking every item, DynamoDB by key), so only the request counts carry over to AWS.\n',
        _table(['fleet size', 'requests / dispatch', 'by operation', 'median ms (moto)',
                'p95 ms', 'p99 ms'], rows), '',
        f'Uniformity of selection: {u["draws"]:,} reproducible picks (random seed '
        f'{u["seed"]}) over '
        f'{u["fleet_size"]} unicorns, {u["expected_per_unicorn"]:g} expected each, '
        f'observed {u["min_count"]}–{u["max_count"]}: chi-square = {u["chi_square"]:.1f} '
        f'with {u["degrees_of_freedom"]} degrees of freedom, p = {u["p_value"]:.3f} '
        f'(a p-value far below 0.001 would mean the picks are not uniform).\n'])


def cost_section(cost):
    prices = cost['prices']
    u = cost['units']
    parts = [
        '## 6. Cost per million rides on AWS\n',
        f'List prices, us-east-1, first volume tier, free tier ignored, as quoted on '
        f'{cost["quoted_on"]} (copied from the pricing pages below; this program has no '
        f'network and did not fetch them): API Gateway REST ${prices["apigw_rest_per_million"]:.2f} '
        f'and HTTP API ${prices["apigw_http_per_million"]:.2f} per million requests; Lambda '
        f'${prices["lambda_per_million"]:.2f} per million requests and '
        f'${prices["lambda_per_gb_second"]:.10f} per GB-second (x86); DynamoDB on-demand '
        f'${prices["dynamodb_read_per_million"]} per million read and '
        f'${prices["dynamodb_write_per_million"]} per million write request units. '
        'Sources: ' + '; '.join(cost['sources']) + '.\n',
        f'Memory from the `.chalice/config.json` files: rides {cost["memory"]["rides"]} MB, '
        f'fleet RequestUnicornInvoke {cost["memory"]["fleet_invoke"]} MB, fleet API handler '
        f'{cost["memory"]["fleet_api"]} MB. Durations: {cost["duration_source"]}.\n',
        f'DynamoDB per ride, dispatch plus completion ({u.detail}): {u.reads:g} RRU and '
        f'{u.writes:g} WRU — strongly consistent GetItem 1 RRU, GSI Query 0.5 RRU, standard '
        'write 1 WRU, transactional write 2 WRU per item, GSI writes 1 WRU each (2 when an '
        'index key changes), metered per call by bench/request_units.py. SNS (one publish '
        'per ride) is the same in every pattern and left out.\n']
    for pattern in cost['patterns']:
        rows = [[name, f'${value:.3f}'] for name, value in pattern['items']]
        rows.append(['**total per million rides**', f'**${pattern["total"]:.2f}**'])
        parts += [f'**{pattern["name"]}**\n', _table(['item', 'USD per million rides'], rows), '']
    parts.append(f'API Gateway REST for the fleet call costs '
                 f'{cost["ratio_rest_to_invoke"]:.2f}× the direct invoke per ride.\n')
    parts.append('Published API Gateway latency, beside the local figures above (quoted '
                 'from stored copies of the pages, not fetched by this program):\n')
    parts += [f'- {figure}. Source: {source}.' for figure, source in cost['published_latency']]
    return '\n'.join(parts) + '\n'


def summary_section(results):
    rows = []
    fc, ride = results.get('fleet_call', {}), results.get('ride', {})
    for section, what in ((fc, 'fleet call alone (local stack)'),
                          (ride, 'whole ride, POST /ride (local stack)')):
        if section.get('status') == 'ok':
            inv, http = section['paths']['invoke']['summary'], section['paths']['http']['summary']
            rows.append([what, f'invoke {_ms(inv.median)} ms, http {_ms(http.median)} ms',
                         _x(http.median / inv.median), 'http ÷ invoke'])
    for pair in results['handlers'].values():
        project = pair['summaries'][pair['project']]
        bare = pair['summaries'][pair['bare']]
        rows.append([f'handler cost, {pair["labels"][pair["project"]]}',
                     f'{_ms(project.median)} ms, bare {_ms(bare.median)} ms',
                     _x(pair['ratio_median']), 'project ÷ bare'])
    cold = results['coldstart']['results']
    for key, entry in cold.items():
        bare = cold.get(BASELINE_OF.get(key))
        if bare is not None:
            rows.append([f'cold start, {entry["label"]}',
                         f'{_ms(entry["total"].median)} ms, bare {_ms(bare["total"].median)} ms',
                         _x(entry['ratio_median']), 'project ÷ bare'])
    sizes = results['scale']['sizes']
    counts = ' / '.join(f'{entry["requests_per_dispatch"]:g}' for entry in sizes.values())
    rows.append([f'DynamoDB requests per dispatch at {" / ".join(f"{s:,}" for s in sizes)} '
                 'unicorns', counts, '—', ''])
    patterns = results['cost']['patterns']
    rows.append(['cost per million rides: invoke / REST / HTTP API for the fleet call',
                 ' / '.join(f'${p["total"]:.2f}' for p in patterns),
                 _x(results['cost']['ratio_rest_to_invoke']), 'REST ÷ invoke'])
    return ('## Summary\n\n' + _table(['measure', 'medians', 'ratio', 'of'], rows) + '\n\n'
            + reading(results) + '\n')


def reading(results):
    """What the figures say about choosing a pattern, in a few sentences."""
    patterns = results['cost']['patterns']
    invoke, rest, http_api = (p['total'] for p in patterns)
    lines = [f'- Cost: routing the fleet call through API Gateway REST adds '
             f'${rest - invoke:.2f} per million rides (+{rest / invoke - 1:.0%}); an HTTP API '
             f'would add ${http_api - invoke:.2f} (+{http_api / invoke - 1:.0%}). DynamoDB '
             f'(${patterns[0]["items"][-1][1]:.2f}) and the rider-facing REST API ($3.50) '
             f'are the same in every pattern; Lambda time is cents.']
    fleet_call, ride = results.get('fleet_call', {}), results.get('ride', {})
    if fleet_call.get('status') == 'ok' and ride.get('status') == 'ok':
        f_inv, f_http = (fleet_call['paths'][k]['summary'].median for k in ('invoke', 'http'))
        r_inv, r_http = (ride['paths'][k]['summary'].median for k in ('invoke', 'http'))
        lines.append(f'- Latency on loopback: the fleet call takes {_ms(f_inv)} ms by invoke and '
                     f'{_ms(f_http)} ms over HTTP ({f_http / f_inv:.2f}×); a whole ride '
                     f'{_ms(r_inv)} against {_ms(r_http)} ms ({r_http / r_inv:.2f}×). These '
                     f'compare the local Lambda runtime with `chalice local`, not Lambda with '
                     f'API Gateway: on AWS the HTTP path also crosses API Gateway, whose '
                     f'published overhead is in section 6.')
    pairs = results['handlers'].values()
    extra = [(p['summaries'][p['project']].median - p['summaries'][p['bare']].median) * 1000
             for p in pairs]
    lines.append(f'- Chalice plus this project\'s code cost {min(extra):.0f}–{max(extra):.0f} µs '
                 f'per request over a bare handler making the same AWS calls: noise next to '
                 f'any network round trip.')
    cold = results['coldstart']['results']
    ratios = [entry['ratio_median'] for entry in cold.values() if 'ratio_median' in entry]
    if ratios:
        shares = [entry['phases']['boto3'] / entry['total'].median for entry in cold.values()]
        lines.append(f'- Cold start: {min(ratios):.2f}–{max(ratios):.2f}× the bare handler; '
                     f'importing boto3 alone is {min(shares):.0%}–{max(shares):.0%} of every '
                     f'function\'s cold start, framework or not.')
    return '\n'.join(lines)


def render(results, chart_name=None):
    meta = results['meta']
    parts = [
        '# Wild Rydes benchmark: direct invoke against API Gateway\n',
        machine_section(meta) + '\n',
        'Compared paths run alternately (A, B, A, B, …) in one loop after a warm-up, so '
        'machine noise falls on both alike; read the ratios first.\n',
        summary_section(results),
    ]
    if chart_name:
        parts.append(f'![latency distributions per path]({chart_name})\n')
    parts += [
        local_section(1, 'Fleet call alone', results.get('fleet_call', {}),
                      'boto3 `lambda.invoke` of `RequestUnicornInvoke` through the local Lambda '
                      'runtime against an HTTP GET of the fleet\'s `/unicorn` through `chalice '
                      'local`, both on loopback, DynamoDB in the local moto server; each call '
                      'made by the project\'s own transport classes, as rides makes it. Every '
                      'ride is released and its record deleted after it is timed (DynamoDB\'s '
                      'TTL does that on AWS; moto walks every item on a GSI query, so records '
                      'left behind would slow later samples).'),
        local_section(2, 'A whole ride', results.get('ride', {}),
                      '`POST /ride` to rides\' `chalice local`, with `UNICORN_TRANSPORT=invoke` '
                      'against `http` (one local stack per transport, requests alternating).'),
        handler_section(results['handlers']),
        coldstart_section(results['coldstart']),
        scale_section(results['scale']),
        cost_section(results['cost']),
    ]
    if 'local_runtime' in results:
        from bench import local_runtime
        parts.append(local_runtime.render(results['local_runtime']))
    return '\n'.join(parts)
