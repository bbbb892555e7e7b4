"""A one-line progress bar on stderr (plain lines when stderr is not a tty).

Sections differ in cost per step, so each stage gets a weight (its expected
share of the run) split over its steps."""
import sys
import time


class Progress:
    def __init__(self, total_weight, stream=None, width=30):
        self.total = max(float(total_weight), 1e-9)
        self.done = 0.0
        self.stream = stream or sys.stderr
        self.width = width
        self.label = ''
        self.started = time.monotonic()
        self._tty = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self._last_line = 0.0
        self._stage_end = 0.0

    def stage(self, label, weight, steps):
        """Start a stage; returns `tick()`, to be called up to `steps` times."""
        self.done = self._stage_end
        self._stage_end = min(self.total, self._stage_end + weight)
        self.label = label
        step = weight / max(int(steps), 1)
        self._draw(force=True)

        def tick(count=1):
            self.done = min(self._stage_end, self.done + step * count)
            self._draw()
        return tick

    def finish(self):
        self.done = self.total
        self.label = 'done'
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
