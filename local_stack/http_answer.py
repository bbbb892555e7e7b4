"""One HTTP/1.1 answer as the bytes that go on the wire, built in one piece.

The endpoint and each sandbox's Runtime API answer on keep-alive
connections where every microsecond of a warm invoke counts: http.server's
`send_response` formats a date per answer and encodes header by header.
Here the date is formatted once a second and the status line, headers and
body leave with one `sendall`. Header values are written as UTF-8 (a client
context may hold any text; http.server refuses what is not Latin-1).
"""
from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

_NO_BODY_STATUSES = frozenset({204, 304})
_date: tuple[int, str] = (0, '')


def http_date() -> str:
    """The `Date` header's value for now, formatted once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True))
    return _date[1]


def reason_of(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ''


def encode(status: int, headers: list[tuple[str, str]], body: bytes, *, reason: str | None = None,
           server: str | None = None, close: bool = False, head: bool = False) -> bytes:
    """Status line, `Server` (when given), `Date`, `headers`, then
    `Content-Length` (unless the status has no body or `headers` has one)
    and `Connection: close` when the connection ends after this answer;
    `Connection` and `Transfer-Encoding` from `headers` are left out (the
    server decides how its connection goes on). The body follows unless the
    answer has none (`head`: an answer to HEAD)."""
    lines = [f'HTTP/1.1 {status} {reason_of(status) if reason is None else reason}']
    if server:
        lines.append(f'Server: {server}')
    lines.append(f'Date: {http_date()}')
    has_length = False
    for key, value in headers:
        lower = key.lower()
        if lower in ('connection', 'transfer-encoding'):
            continue
        has_length = has_length or lower == 'content-length'
        lines.append(f'{key}: {value}')
    bodiless = head or status < 200 or status in _NO_BODY_STATUSES
    if not has_length and not bodiless:
        lines.append(f'Content-Length: {len(body)}')
    if close:
        lines.append('Connection: close')
    lines += ['', '']
    data = '\r\n'.join(lines).encode()
    return data if bodiless else data + body
