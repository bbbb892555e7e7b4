"""`python -m bench [--quick] [--out DIR] [--no-local]`: run every section with
a progress bar, print the report and write it (Markdown + PNG) to DIR."""
import argparse
import os
import sys
import time

from bench import chart, coldstart, cost, fleet_scale, handlers, machine, report, targets
from bench.progress import Progress
from bench.settings import FULL, QUICK


def _coldstart_keys(settings):
    return list(settings.coldstart_targets or targets.TARGETS)


def _weights(settings):
    """Expected seconds per stage on a two-core machine, for the progress bar."""
    return {
        'local': 12 + 2 * min(settings.local_budget_s,
                              (settings.local_rounds + settings.local_warmup) * 0.18)
        if settings.local else 0.1,
        'handlers': len(handlers.PAIRS) * 2 * (settings.handler_rounds
                                               + settings.handler_warmup) * 0.0007,
        'coldstart': (settings.coldstart_rounds + settings.coldstart_warmup)
        * len(_coldstart_keys(settings)) * 0.4
        + len(settings.import_profiled) * 0.4,
        'scale': sum(settings.scale_sizes) * 0.0005 + settings.scale_dispatches
        * sum(0.003 + size * 0.00005 for size in settings.scale_sizes),
        'uniformity': settings.uniformity_size * settings.uniformity_draws_per_unicorn * 0.003,
        'runtime': 3 + (settings.local_rounds + settings.local_warmup) * 0.004
        + 2 * max(2, settings.coldstart_rounds) * 0.5 if settings.local else 0.1,
    }


def run(settings, out_dir, progress_stream=None, local_measure=None):
    """Every section; returns (results, markdown path, png path)."""
    started = time.monotonic()
    weights = _weights(settings)
    progress = Progress(sum(weights.values()), stream=progress_stream)
    results = {'meta': {'mode': settings.mode, 'machine': machine.describe()}}

    if settings.local:
        tick = progress.stage('1-2. local stack: fleet call and whole ride', weights['local'],
                              2 * settings.local_rounds + 2)
        if local_measure is None:
            from bench import local_paths
            local_measure = local_paths.measure
        results.update(local_measure(settings, tick))
    else:
        skipped = {'status': 'skipped', 'reason': 'the local stack sections were turned off '
                                                  '(`--no-local`)'}
        results.update({'fleet_call': skipped, 'ride': skipped})

    tick = progress.stage('3. handler cost in process', weights['handlers'],
                          len(handlers.PAIRS) * settings.handler_rounds)
    results['handlers'] = handlers.measure(handlers.PAIRS, settings.handler_rounds,
                                           settings.handler_warmup, tick)

    tick = progress.stage('4. cold start', weights['coldstart'],
                          settings.coldstart_rounds + len(settings.import_profiled))
    keys = _coldstart_keys(settings)
    cold = {'results': coldstart.measure(keys, settings.coldstart_rounds, tick,
                                         warmup=settings.coldstart_warmup)}
    cold['imports'] = {}
    for key in settings.import_profiled:
        cold['imports'][key] = coldstart.import_times(key)
        tick()
    cold['findings'] = coldstart.findings(cold)
    results['coldstart'] = cold

    tick = progress.stage('5. fleet scale (moto)', weights['scale'], settings.scale_dispatches)
    sizes = fleet_scale.measure_scale(settings.scale_sizes, settings.scale_dispatches, tick)
    tick = progress.stage('5. selection uniformity (moto)', weights['uniformity'], 10)
    uniformity = fleet_scale.measure_uniformity(settings.uniformity_size,
                                                settings.uniformity_draws_per_unicorn, tick)
    results['scale'] = {'sizes': sizes, 'uniformity': uniformity}

    if settings.local:
        from bench import local_runtime
        tick = progress.stage('7. local Lambda runtime: warm invoke, cold start',
                              weights['runtime'], settings.local_rounds + settings.local_warmup)
        results['local_runtime'] = local_runtime.measure(settings, tick)
    else:
        results['local_runtime'] = {'status': 'skipped',
                                    'reason': 'the local sections were turned off (`--no-local`)'}

    results['cost'] = cost.estimate(results)
    results['meta']['elapsed_s'] = time.monotonic() - started
    progress.finish()

    os.makedirs(out_dir, exist_ok=True)
    png = chart.write(results, os.path.join(out_dir, 'report.png'))
    markdown = report.render(results, chart_name=os.path.basename(png) if png else None)
    md_path = os.path.join(out_dir, 'report.md')
    with open(md_path, 'w', encoding='utf-8') as f:
        f.write(markdown)
    return results, md_path, png


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__)
    parser.add_argument('--quick', action='store_true', help='under a minute, fewer samples')
    parser.add_argument('--no-local', action='store_true',
                        help='skip sections 1-2 (they start the local stack)')
    parser.add_argument('--out', default=os.path.join(targets.ROOT, 'bench', 'results'),
                        help='where report.md and report.png go (default bench/results)')
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.no_local:
        from dataclasses import replace
        settings = replace(settings, local=False)
    _, md_path, png = run(settings, args.out)
    with open(md_path, encoding='utf-8') as f:
        sys.stdout.write(f.read())
    print(f'\nReport: {os.path.relpath(md_path)}' + (f', chart: {os.path.relpath(png)}' if png else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
