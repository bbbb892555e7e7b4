"""ride-record's `chalice local` port is an option like the others: 8002 by
default, LOCAL_STACK_RECORD_PORT or --record-port, a real port number."""
import pytest

from local_stack.__main__ import parse


def test_the_record_port_is_8002_by_default(monkeypatch):
    monkeypatch.delenv('LOCAL_STACK_RECORD_PORT', raising=False)
    assert parse([]).record_port == 8002


def test_the_record_port_comes_from_the_environment_or_the_command_line(monkeypatch):
    monkeypatch.setenv('LOCAL_STACK_RECORD_PORT', '8102')
    assert parse([]).record_port == 8102
    assert parse(['--record-port', '8202']).record_port == 8202


@pytest.mark.parametrize('port', ['0', '65536'])
def test_a_record_port_that_is_no_port_number_is_refused(port, capsys):
    with pytest.raises(SystemExit):
        parse(['--record-port', port])
    assert '--record-port must be a port number' in capsys.readouterr().err
