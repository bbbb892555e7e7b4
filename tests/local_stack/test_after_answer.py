"""Work that may wait until the caller has its answer (`local_stack.after_answer`):
queued inside `deferred()`, run at its end in order; run at once elsewhere."""
import threading

import pytest

from local_stack import after_answer


def test_outside_a_deferred_block_an_action_runs_at_once():
    done = []
    after_answer.later(lambda: done.append('now'))
    assert done == ['now']


def test_inside_a_deferred_block_actions_wait_for_its_end_and_keep_their_order():
    done = []
    with after_answer.deferred():
        after_answer.later(lambda: done.append('acknowledge'))
        after_answer.later(lambda: done.append('release'))
        done.append('answer')
    assert done == ['answer', 'acknowledge', 'release']


def test_every_action_runs_even_when_one_before_it_fails():
    done = []

    def fail():
        raise OSError('the sandbox went away')

    with pytest.raises(OSError), after_answer.deferred():
        after_answer.later(fail)
        after_answer.later(lambda: done.append('release'))
    assert done == ['release']


def test_a_block_defers_only_its_own_threads_actions():
    done = []
    with after_answer.deferred():
        other = threading.Thread(target=after_answer.later, args=(lambda: done.append('other'),))
        other.start()
        other.join()
        assert done == ['other']
