"""Run in a fresh interpreter by `bench.coldstart`: import one target and
answer its first request, AWS stubbed; print the phase times as JSON.

    python -m bench.coldstart_probe <target key> [--import-only]

`perf_counter` is CLOCK_MONOTONIC on Linux, shared by every process, so
the parent subtracts its own spawn time from `t_answer`. Only the standard
library is imported before `t_main`.
"""
import json
import sys
import time

t_main = time.perf_counter()


def main(key, import_only=False):
    import os

    from bench import stubs, targets

    target = targets.TARGETS[key]  # its environment is bench.environment's, set by the parent
    if import_only:  # for -X importtime: the target's own import tree
        targets.handler_of(target)
        return {}
    t_boto3 = time.perf_counter()
    targets.install_auto_stub(prequeue=True)  # imports boto3 + botocore.stub
    t_stubbed = time.perf_counter()
    handler = targets.handler_of(target)
    t_imported = time.perf_counter()
    event, context = target.make_event(), stubs.Context()
    with open(os.devnull, 'w') as devnull:
        stdout, sys.stdout = sys.stdout, devnull  # the app's JSON log lines
        try:
            t_request = time.perf_counter()
            result = handler(event, context)
            t_answer = time.perf_counter()
        finally:
            sys.stdout = stdout
    if not targets.answered_ok(target, result):
        raise SystemExit(f'{key} answered {result!r}')
    return {'t_main': t_main, 'boto3_s': t_stubbed - t_boto3,
            'import_s': t_imported - t_stubbed, 'first_request_s': t_answer - t_request,
            't_answer': t_answer}


if __name__ == '__main__':
    outcome = main(sys.argv[1], import_only='--import-only' in sys.argv)
    print(json.dumps(outcome))
