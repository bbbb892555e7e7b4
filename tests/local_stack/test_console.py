"""What the local stack prints about a request is one printable line, whatever
the request carried."""
from hypothesis import given
from hypothesis import strategies as st

from local_stack.console import escape


@given(st.text())
def test_an_escaped_text_is_one_printable_line(text):
    escaped = escape(text)
    assert escaped.isprintable()
    assert len(escaped.splitlines()) <= 1


@given(st.text(alphabet=st.characters(blacklist_categories=('Cc', 'Cf', 'Cs', 'Co', 'Cn',
                                                            'Zl', 'Zp', 'Zs'))))
def test_printable_text_is_printed_as_it_is(text):
    assert escape(text) == text


def test_a_forged_line_stays_on_the_line_it_came_in():
    assert escape('Echo\nlambda 200 forged\x1b[2J') == 'Echo\\nlambda 200 forged\\x1b[2J'
