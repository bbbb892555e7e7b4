"""The rider's page as rides serves it, through Chalice's test client: one
HTML document with its stylesheet and script inlined, locked to its own
origin by its Content-Security-Policy. Fast; no browser."""
import base64
import hashlib
import re

import pytest
from chalice.test import Client

from tests.support.apps import RIDES_DIR, rides_app

WEB_DIR = RIDES_DIR / 'chalicelib' / 'web'


@pytest.fixture(scope='module')
def page():
    module = rides_app()
    with Client(module.app, stage_name='dev', project_dir=str(RIDES_DIR)) as client:
        yield client.http.get('/')


def _inlined(html, tag):
    found = re.findall(rf'<{tag}>(.*?)</{tag}>', html, flags=re.S)
    assert len(found) == 1, f'expected one inlined <{tag}>'
    return found[0]


def _csp_source(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _csp(response):
    policy = response.headers['Content-Security-Policy']
    return dict(part.strip().split(' ', 1) for part in policy.split(';'))


def test_the_root_is_an_html_page(page):
    assert page.status_code == 200
    assert page.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert page.headers['X-Content-Type-Options'] == 'nosniff'
    html = page.body.decode('utf-8')
    assert html.lower().startswith('<!doctype html>')
    assert '<title>Wild Rydes' in html


def test_the_stylesheet_and_script_are_inlined_from_their_files(page):
    html = page.body.decode('utf-8')
    assert _inlined(html, 'style') == (WEB_DIR / 'app.css').read_text(encoding='utf-8')
    assert _inlined(html, 'script') == (WEB_DIR / 'app.js').read_text(encoding='utf-8')
    assert 'href="app.css"' not in html and 'src="app.js"' not in html


def test_the_policy_allows_exactly_the_inlined_assets_and_its_own_origin(page):
    html = page.body.decode('utf-8')
    policy = _csp(page)
    assert policy['default-src'] == "'none'"
    assert policy['script-src'] == _csp_source(_inlined(html, 'script'))
    assert policy['style-src'] == _csp_source(_inlined(html, 'style'))
    assert policy['connect-src'] == "'self'"


def test_nothing_is_loaded_from_another_site(page):
    html = page.body.decode('utf-8')
    external = re.findall(r'''(?:src|href)\s*=\s*["'](?:https?:)?//''', html)
    assert external == []
    assert '@import' not in html and 'url(http' not in html


def test_the_page_has_the_controls_a_rider_needs(page):
    html = page.body.decode('utf-8')
    assert re.search(r'<button id="request-button"[^>]*\bdisabled\b', html)
    assert 'Request unicorn' in html
    assert re.search(r'role="application"\s+aria-label="[^"]*map[^"]*"', html)
    assert 'aria-live="polite"' in html and 'role="alert"' in html


def test_the_files_are_read_once():
    rides_app()  # puts rides' folder on sys.path, so its chalicelib imports
    import chalicelib.web as web

    assert web.built_page() is web.built_page()


@pytest.fixture
def configured_page(aws, rides_env):
    """The page with the riders' pool published (as the rides stack does)."""
    import boto3
    ssm = boto3.client('ssm')
    ssm.put_parameter(Name=rides_env['USER_POOL_ID_PARAMETER'], Type='String',
                      Value='us-east-1_TestPool')
    ssm.put_parameter(Name=rides_env['USER_POOL_CLIENT_ID_PARAMETER'], Type='String',
                      Value='test-client')
    module = rides_app()
    import chalicelib.web as web
    web.page_configuration.cache_clear()
    try:
        with Client(module.app, stage_name='dev', project_dir=str(RIDES_DIR)) as client:
            yield client.http.get('/')
    finally:
        web.page_configuration.cache_clear()


def test_the_policy_lets_the_page_call_exactly_the_configured_cognito_endpoint(configured_page):
    assert _csp(configured_page)['connect-src'] == \
        "'self' https://cognito-idp.us-east-1.amazonaws.com"


def test_the_page_has_the_sign_in_controls_with_their_labels(page):
    html = page.body.decode('utf-8')
    for field, label in (('email', 'Email'), ('password', 'Password'),
                         ('verification-code', 'Verification code')):
        assert f'<label for="{field}">{label}</label>' in html
    for button in ('Sign in', 'Sign up', 'Verify', 'Sign out', 'End ride'):
        assert re.search(rf'<button[^>]*>{button}</button>', html), button
    assert re.search(r'<div id="ride-controls" hidden>', html)  # until signed in
