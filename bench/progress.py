"""A one-line progress bar on stderr; plain lines when stderr is not a tty."""
import sys
import time


class Progress:
    def __init__(self, total, stream=None, width=30):
        self.total = max(int(total), 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.label = ''
        self.started = time.monotonic()
        self._tty = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self._last_line = 0.0

    def section(self, label):
        self.label = label
        self._draw(force=True)

    def advance(self, steps=1):
        self.done = min(self.total, self.done + steps)
        self._draw()

    def finish(self):
        self.done = self.total
        self._draw(force=True)
        if self._tty:
            self.stream.write('\n')
        self.stream.flush()

    def render(self):
        filled = int(self.width * self.done / self.total)
        bar = '#' * filled + '-' * (self.width - filled)
        elapsed = time.monotonic() - self.started
        percent = 100 * self.done / self.total
        return f'[{bar}] {percent:5.1f}% {elapsed:6.1f}s  {self.label}'

    def _draw(self, force=False):
        now = time.monotonic()
        if self._tty:
            self.stream.write('\r' + self.render().ljust(100)[:120])
            self.stream.flush()
        elif force or now - self._last_line > 5:
            self.stream.write(self.render() + '\n')
            self.stream.flush()
            self._last_line = now
