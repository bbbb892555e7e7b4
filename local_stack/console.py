"""Console lines that say only what happened: whatever a request carries
(a function name, a path, a message) is printed escaped, so control
characters cannot end a line early, forge another one or drive the
terminal (ANSI escapes)."""
from collections.abc import Callable


def escape(text: str) -> str:
    """`text` with every non-printable character (newline, carriage return,
    escape, other C0/C1 controls, separators) written as a Python escape;
    printable text, accents and emoji included, is kept as it is."""
    if text.isprintable():
        return text
    return ''.join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def escaped(log: Callable[[str], None]) -> Callable[[str], None]:
    """`log`, printing one escaped line per call."""
    def log_one_line(line: str) -> None:
        log(escape(line))
    return log_one_line
