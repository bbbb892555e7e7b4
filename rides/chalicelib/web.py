"""The rider's web page, served by rides at `GET /`.

One self-contained HTML document: the stylesheet and the script live as
files beside it in `web/` and are inlined when the page is first built, so
the page needs no second request and works wherever it is mounted — at
`http://127.0.0.1:8000/` under `chalice local`, and at `/api/` (or `/api`,
without the slash) behind API Gateway's stage prefix. The script finds the
API relative to the page's own path.

The Content-Security-Policy allows only the inlined script and style (by
hash) and requests to the page's own origin and to the Cognito endpoint
the page signs riders in at (from `GET /config`'s configuration, so the
header is built per request): no CDN, font or map tile could load even by
mistake. Without a configured pool the page is still served, allowed its
own origin only (the page then says sign-in is unavailable).
"""
import base64
import functools
import hashlib
import logging
import pathlib
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from shared import wiring

WEB_DIR = pathlib.Path(__file__).resolve().parent / 'web'
_STYLE_SLOT = '<link rel="stylesheet" href="app.css">'
_SCRIPT_SLOT = '<script src="app.js"></script>'

web = Blueprint(__name__)


@web.route('/', methods=['GET'])
def index():
    page = built_page()
    return Response(body=page.html, status_code=200,
                    headers=page.headers_for(cognito_origin()))


def cognito_origin():
    """The origin of the Cognito endpoint the page calls, or None when the
    configuration cannot be read (logged, never shown)."""
    try:
        endpoint = page_configuration()['CognitoEndpoint']
    except Exception:  # noqa: BLE001 - the page still loads, without sign-in
        logging.getLogger(__name__).exception('no page configuration for the CSP')
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ('https', 'http') or not parts.netloc:
        return None
    return f'{parts.scheme}://{parts.netloc}'


@functools.cache
def page_configuration():
    """Read once per sandbox (a failure is not kept: lru_cache does not
    cache exceptions)."""
    return wiring.page_config_from_environment()


class Page:
    """The HTML with its assets inlined, and the headers it is served with."""

    def __init__(self, template, css, js):
        if _STYLE_SLOT not in template or _SCRIPT_SLOT not in template:
            raise ValueError('index.html lost its stylesheet or script slot')
        style = f'<style>{css}</style>'
        script = f'<script>{js}</script>'
        self.html = template.replace(_STYLE_SLOT, style).replace(_SCRIPT_SLOT, script)
        self._js, self._css = js, css

    def headers_for(self, cognito_origin=None):
        """The headers, with `connect-src` naming the rides API ('self')
        and, when given, the Cognito endpoint's origin."""
        connect = "'self'" + (f' {cognito_origin}' if cognito_origin else '')
        js, css = self._js, self._css
        return {
            'Content-Type': 'text/html; charset=utf-8',
            'Cache-Control': 'no-cache',
            'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'no-referrer',
            'Content-Security-Policy': '; '.join([
                "default-src 'none'",
                f"script-src {_csp_hash(js)}",
                f"style-src {_csp_hash(css)}",
                "img-src 'self' data:",
                f"connect-src {connect}",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ]),
        }


@functools.cache
def built_page():
    """Read the files once, on first use, and keep the result."""
    return Page(*(read_asset(name) for name in ('index.html', 'app.css', 'app.js')))


def read_asset(name):
    return (WEB_DIR / name).read_text(encoding='utf-8')


def _csp_hash(text):
    digest = hashlib.sha256(text.encode('utf-8')).digest()
    return "'sha256-" + base64.b64encode(digest).decode('ascii') + "'"
