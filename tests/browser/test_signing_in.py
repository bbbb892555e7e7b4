"""Riders sign up, sign in and out on the page, in Debian's Chromium, against
the local stack's user pool: the page calls Cognito itself (at the local
endpoint), the verification code is the one the stack prints where Cognito
would e-mail it, and a signed-in rider's ride outlives a reload."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_rider_page import click_map, request_button, wait_for_arrival

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PASSWORD = 'Unicorn-rides-2'


def printed_code(stack, email):
    codes = re.findall(rf'verification code for {re.escape(email)}: (\d{{6}})', stack.log_text())
    assert codes, f'no verification code printed for {email}'
    return codes[-1]


def stored(page):
    """Everything the page keeps in the browser, as text."""
    return page.evaluate('JSON.stringify([Object.entries(sessionStorage), '
                         'Object.entries(localStorage), document.cookie])')


def test_a_signed_out_visitor_sees_the_sign_in_form_and_no_request_button(open_page, rides_url):
    page, watch = open_page(rides_url, rider=None)
    expect(page.get_by_label('Email')).to_be_visible()
    expect(page.get_by_label('Password')).to_be_visible()
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    expect(page.get_by_role('button', name='Sign up')).to_be_visible()
    expect(request_button(page)).to_be_hidden()
    watch.assert_clean()


def test_sign_in_request_reload_and_the_ride_is_still_shown_then_end_ride(
        open_page, rides_url, riders, screenshot):
    rider = riders.new()
    page, watch = open_page(rides_url, rider=rider)
    expect(page.get_by_text(rider.email)).to_be_visible()
    click_map(page, 0.5, 0.45)
    request_button(page).click()
    name = wait_for_arrival(page)
    ride_id = page.locator('#ride-id').inner_text()
    screenshot(page, '1-arrived')

    page.reload()
    page.wait_for_selector('#app[data-ready="true"]')
    expect(page.get_by_role('button', name='Sign out')).to_be_visible()
    expect(page.locator('#ride-id')).to_have_text(ride_id)
    expect(page.locator('#ride-name')).to_have_text(name)
    assert rider.password not in stored(page)
    screenshot(page, '2-after-reload')

    page.get_by_role('button', name='End ride').click()
    expect(page.get_by_role('status').first).to_contain_text('ride has ended')
    expect(page.locator('#ride')).to_be_hidden()
    # the unicorn is free again and the rider may ride again
    request_button(page).click()
    wait_for_arrival(page)
    page.get_by_role('button', name='End ride').click()
    expect(page.locator('#ride')).to_be_hidden()
    watch.assert_clean()


def test_sign_up_verify_with_the_printed_code_then_sign_in(open_page, rides_url, stack,
                                                          screenshot):
    email = f'new-{uuid.uuid4().hex[:10]}@example.com'
    page, watch = open_page(rides_url, rider=None)
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Sign up').click()
    code_field = page.get_by_label('Verification code')
    expect(code_field).to_be_visible()
    screenshot(page, '1-verify')

    code_field.fill(f'{(int(printed_code(stack, email)) + 1) % 10 ** 6:06d}')
    page.get_by_role('button', name='Verify').click()
    expect(page.locator('#account-error')).to_contain_text('verification code is not right')

    code_field.fill(printed_code(stack, email))
    page.get_by_role('button', name='Verify').click()
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    expect(page.get_by_label('Email')).to_have_value(email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Sign in').click()
    expect(page.get_by_role('button', name='Sign out')).to_be_visible()
    expect(request_button(page)).to_be_visible()
    assert PASSWORD not in stored(page)
    screenshot(page, '2-signed-in')
    watch.assert_clean()


def test_a_wrong_password_reads_as_a_sentence(open_page, rides_url, riders):
    rider = riders.new()
    page, watch = open_page(rides_url, rider=None)
    page.get_by_label('Email').fill(rider.email)
    page.get_by_label('Password').fill('Not-the-password-1')
    page.get_by_role('button', name='Sign in').click()
    expect(page.locator('#account-error')).to_contain_text('do not match an account')
    expect(request_button(page)).to_be_hidden()
    watch.assert_clean()


def test_sign_out_forgets_the_session_and_shows_the_form_again(open_page, rides_url, riders):
    page, watch = open_page(rides_url, rider=riders.new())
    assert 'idToken' in stored(page)
    page.get_by_role('button', name='Sign out').click()
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    expect(request_button(page)).to_be_hidden()
    assert 'Token' not in stored(page)
    page.reload()
    page.wait_for_selector('#app[data-ready="true"]')
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    watch.assert_clean()


def test_an_expired_session_asks_the_rider_to_sign_in_again(open_page, rides_url, riders):
    page, watch = open_page(rides_url, rider=riders.new())
    # the ID token is replaced by one the rides API refuses (401), as an
    # expired one would be after its refresh token is gone too
    page.evaluate("""() => {
      const session = JSON.parse(sessionStorage.getItem('wildrydes.session'));
      session.idToken = 'expired.' + session.idToken.split('.')[1] + '.x';
      session.expiresAt = Date.now() + 3600000;
      sessionStorage.setItem('wildrydes.session', JSON.stringify(session));
    }""")
    page.reload()
    page.wait_for_selector('#app[data-ready="true"]')
    click_map(page, 0.5, 0.5)
    request_button(page).click()
    expect(page.locator('#account-error')).to_contain_text(
        'Your session has expired. Please sign in again.')
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    watch.assert_clean()


def test_a_second_request_while_riding_shows_the_ride_already_in_progress(
        open_page, rides_url, riders, api):
    rider = riders.new()
    page, watch = open_page(rides_url, rider=rider)
    ride = api.post_ride({'PickupLocation': {'Latitude': 47.61, 'Longitude': -122.34}},
                         rider=rider).json()
    api.booked.append(ride['RideId'])
    click_map(page, 0.5, 0.5)
    request_button(page).click()
    expect(page.locator('#ride-id')).to_have_text(ride['RideId'])
    expect(page.get_by_role('status').first).to_contain_text('already have a ride')
    watch.assert_clean()


def test_an_id_token_about_to_expire_is_refreshed_with_the_refresh_token(
        open_page, rides_url, riders, api):
    page, watch = open_page(rides_url, rider=riders.new())
    before = page.evaluate("JSON.parse(sessionStorage.getItem('wildrydes.session')).idToken")
    page.evaluate("""() => {
      const session = JSON.parse(sessionStorage.getItem('wildrydes.session'));
      session.expiresAt = Date.now();
      sessionStorage.setItem('wildrydes.session', JSON.stringify(session));
    }""")
    page.reload()
    page.wait_for_selector('#app[data-ready="true"]')
    click_map(page, 0.5, 0.5)
    with page.expect_request(lambda r: (r.headers.get('x-amz-target') or '').endswith(
            '.InitiateAuth') and 'REFRESH_TOKEN_AUTH' in (r.post_data or '')):
        request_button(page).click()
    wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    after = page.evaluate("JSON.parse(sessionStorage.getItem('wildrydes.session')).idToken")
    assert after != before
    watch.assert_clean()
