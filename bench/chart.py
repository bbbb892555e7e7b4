"""The PNG chart: latency distributions per path, one panel per section."""
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def panels(results):
    """(title, [(label, samples_ms)]) for every section that has samples."""
    found = []
    for key, title in (('fleet_call', '1. Fleet call alone (local stack)'),
                       ('ride', '2. Whole ride, POST /ride (local stack)')):
        section = results.get(key) or {}
        if section.get('status') == 'ok':
            found.append((title, [(path['label'], path['samples'])
                                  for path in section['paths'].values()]))
    handlers = results.get('handlers') or {}
    if handlers:
        rows = []
        for pair in handlers.values():
            for name in (pair['project'], pair['bare']):
                rows.append((pair['labels'][name], pair['samples'][name]))
        found.append(('3. Handler cost in process, AWS stubbed', rows))
    coldstart = (results.get('coldstart') or {}).get('results') or {}
    if coldstart:
        found.append(('4. Cold start: spawn to first answer',
                       [(entry['label'], entry['samples']) for entry in coldstart.values()]))
    scale = (results.get('scale') or {}).get('sizes') or {}
    if scale:
        found.append(('5. Dispatch wall time by fleet size (moto)',
                      [(f'{size:,} unicorns', entry['samples'])
                       for size, entry in scale.items()]))
    return found


def write(results, path):
    found = panels(results)
    if not found:
        return None
    figure, axes = plt.subplots(len(found), 1, figsize=(10, 2.2 + 1.9 * len(found)
                                                        + 0.25 * sum(len(r) for _, r in found)),
                                squeeze=False)
    for axis, (title, rows) in zip(axes[:, 0], found, strict=True):
        labels = [label for label, _ in rows][::-1]
        data = [samples for _, samples in rows][::-1]
        axis.boxplot(data, orientation='horizontal', whis=(1, 99), showfliers=False, widths=0.6,
                     medianprops={'color': 'black', 'linewidth': 2})
        axis.set_yticks(range(1, len(labels) + 1), labels, fontsize=8)
        axis.set_title(title, fontsize=10, loc='left')
        axis.set_xlabel('ms (box: p25–p75, line: median, whiskers: p1–p99)', fontsize=8)
        axis.grid(axis='x', alpha=0.3)
        axis.set_xlim(left=0)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
