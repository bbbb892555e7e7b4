"""A sandbox's descriptors are its own: ending it twice (its pool closing
while its start gives up, as when a debugged function's pool closes) must
not close a descriptor that the process opened since. A second close of a
reused number once broke another thread's `Popen` with `OSError: [Errno 9]
Bad file descriptor` under load."""
import os

from local_stack.sandbox import Sandbox
from tests.local_stack.conftest import TOOLBOX


def test_killing_a_sandbox_twice_leaves_descriptors_opened_in_between_open():
    sandbox = Sandbox('toolbox-dev-Echo', 'app.echo', str(TOOLBOX), dict(os.environ),
                      timeout=3, memory_mb=128)
    sandbox.kill()
    # the lowest free numbers: the ones the first kill just gave back among them
    pipes = [os.pipe() for _ in range(8)]
    try:
        sandbox.kill()
        for read_end, write_end in pipes:
            os.fstat(read_end)
            os.fstat(write_end)
            os.write(write_end, b'still mine')
            assert os.read(read_end, 64) == b'still mine'
    finally:
        for pipe in pipes:
            for fd in pipe:
                os.close(fd)
