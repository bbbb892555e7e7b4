"""Child processes of the stack (`chalice local`): started in a process
group of their own, their output prefixed and passed on line by line, and
ended together — group and all — so no port stays bound."""
import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path


class ChildFailed(RuntimeError):
    pass


class Child:
    def __init__(self, label: str, command: list[str], env: dict[str, str], cwd: str | Path,
                 out: Callable[[str], None]) -> None:
        self.label = label
        self._out = out
        self._recent: deque[str] = deque(maxlen=40)
        self.process = subprocess.Popen(
            command, env=env, cwd=str(cwd), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._copy_output, daemon=True,
                                        name=f'{label}-output')
        self._reader.start()

    def _copy_output(self) -> None:
        if self.process.stdout is None:  # never: stdout is a pipe
            return
        for raw in self.process.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self._recent.append(line)
            self._out(f'{self.label:6} {line}')

    def recent_output(self) -> str:
        return '\n'.join(self._recent)

    def alive(self) -> bool:
        return self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            self._reader.join(timeout=1)
            raise ChildFailed(f'{self.label} exited with status {self.process.returncode}:'
                              f'\n{self.recent_output()}')

    def stop(self, timeout: float = 5) -> None:
        """SIGTERM to the whole group (Chalice's reloader and its server),
        SIGKILL after `timeout` seconds."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                # the reloader's server child may outlive its parent briefly
                _wait_group_gone(self.process.pid, wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self._reader.join(timeout=2)


def wait_until_listening(children_and_ports: Iterable[tuple[Child, int]], host: str,
                         timeout: float = 30) -> None:
    """Return once every child accepts connections on its port; `ChildFailed`
    as soon as one exits, or when the time runs out."""
    pending = list(children_and_ports)
    deadline = time.monotonic() + timeout
    while pending:
        for child, port in list(pending):
            child.check_alive()
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    pending.remove((child, port))
            except OSError:
                pass
        if pending and time.monotonic() > deadline:
            child, port = pending[0]
            raise ChildFailed(f'{child.label} did not listen on {host}:{port} within '
                              f'{timeout} s:\n{child.recent_output()}')
        if pending:
            time.sleep(0.05)


def _wait_group_gone(pgid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_has_live_process(pgid):
            return
        time.sleep(0.02)
    raise subprocess.TimeoutExpired(f'process group {pgid}', timeout)


def _group_has_live_process(pgid):
    """True while a process of the group runs; zombies (which an init that
    does not reap may keep around) do not count. Linux /proc, else kill(0)."""
    try:
        entries = os.listdir('/proc')
    except OSError:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':  # state, ppid, pgrp
            return True
    return False
