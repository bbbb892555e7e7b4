"""A sandbox's first invocation keeps what exists out of the garbage
collector's scans (the imports, then the clients it built), once: later
invocations leave the collector as it is."""
import json
import subprocess
import sys

from project.model import ROOT

FIRST_AND_SECOND_INVOCATION = '''
import gc, json
from shared import logs
freezes = []
freeze = gc.freeze
gc.freeze = lambda: (freezes.append(len(freezes)), freeze())
seen = [gc.get_freeze_count()]
logs._invocation('wild-rydes', 'POST /ride', None,
                 lambda: seen.extend([gc.get_freeze_count(), len(freezes)]))
seen.append(len(freezes))
logs._invocation('wild-rydes', 'POST /ride', None, lambda: None)
seen.append(len(freezes))
print(json.dumps(seen))
'''


def test_the_first_invocation_freezes_what_exists_and_the_next_ones_do_not():
    done = subprocess.run([sys.executable, '-c', FIRST_AND_SECOND_INVOCATION],
                          capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    frozen_before, frozen_during_first, freezes_during_first, freezes_after_first, \
        freezes_after_second = json.loads(done.stdout.splitlines()[-1])

    assert frozen_before == 0
    assert frozen_during_first > 10_000  # what every import made
    assert freezes_during_first == 1
    assert freezes_after_first == 2  # and the clients the first invocation built
    assert freezes_after_second == 2
