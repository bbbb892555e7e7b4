"""What a sandbox makes before and during its first invocation lives as long
as the sandbox: the modules, classes and functions imported, the boto3
clients and the service models they load. None of it is ever garbage, yet
each full collection of Python's garbage collector walks all of it, and
the first invocation triggers several while it builds its clients (parsing
botocore's endpoint data makes a hundred thousand objects): about 15 ms of
a cold start (`make bench`, section 4). `gc.freeze()` moves what exists
into a generation the collector no longer scans; what is made later is
collected as before.
"""
import gc


def keep_what_exists() -> None:
    """Tell the garbage collector that everything made so far stays."""
    gc.freeze()
