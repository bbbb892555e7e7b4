/* Wild Rydes rider page: sign in, choose a pickup point on the map, request a
 * unicorn, watch it arrive, end the ride, see your rides. Talks only to the
 * rides API beside the page (GET config, POST ride, GET ride/{id}, POST
 * ride/{id}/complete, GET rides) and to the Cognito endpoint GET config names
 * (AWS JSON 1.1, with fetch).
 * The session (tokens, never the password) lives in sessionStorage, so it
 * survives a reload and ends with the browser session. */
(function () {
  'use strict';

  // The map shows this box; the SVG's viewBox is VIEW (same aspect ratio at 47.6°N).
  var BOUNDS = { north: 47.627, south: 47.587, west: -122.365, east: -122.295 };
  var VIEW = { width: 1180, height: 1000 };
  var STEP = 10, BIG_STEP = 50;              // keyboard crosshair steps, in viewBox units
  var REQUEST_TIMEOUT_MS = 30000;           // rides gives up on the fleet well before this
  var TRIP_MS = 2600;
  var SESSION_KEY = 'wildrydes.session';    // {email, idToken, accessToken, refreshToken, expiresAt}
  var RIDE_KEY = 'wildrydes.ride';          // the RideId of the rider's active ride
  var REFRESH_MARGIN_MS = 60000;            // refresh an ID token this long before it expires
  var COGNITO_TARGET = 'AWSCognitoIdentityProviderService.';
  // Ride events reach the history asynchronously (SNS, then ride-record):
  // after a change, GET rides again until it shows, a bounded few times.
  var HISTORY_POLL_MS = 400, HISTORY_POLLS = 10;
  var HISTORY_STATUSES = ['active', 'completed', 'cancelled'];

  var PLACES = [
    ['Pike Place Market', 47.6097, -122.3422], ['the Space Needle', 47.6205, -122.3493],
    ['Pioneer Square', 47.6015, -122.3343], ['Lumen Field', 47.5952, -122.3316],
    ['T-Mobile Park', 47.5914, -122.3325], ['Westlake Center', 47.6114, -122.3372],
    ['Chinatown–International District', 47.5980, -122.3270], ['Cal Anderson Park', 47.6173, -122.3195],
    ['Freeway Park', 47.6095, -122.3305], ['Belltown', 47.6145, -122.3470],
    ['South Lake Union', 47.6235, -122.3370], ['First Hill', 47.6070, -122.3250],
    ['Capitol Hill', 47.6205, -122.3210], ['the Central District', 47.6050, -122.3050],
    ['Judkins Park', 47.5930, -122.3030], ['SoDo', 47.5890, -122.3330],
    ['the ferry terminal', 47.6025, -122.3385], ['Elliott Bay', 47.6050, -122.3560],
    ['Seattle Center', 47.6215, -122.3520]
  ];

  // Fleet colour names to paint; anything else falls back to CSS colour names.
  var COATS = {
    golden: '#e0b23c', white: '#fbfbfd', yellow: '#f7d64a', lavender: '#c4b5fd', silver: '#c7ccd3',
    pearl: '#f2ece0', black: '#26232f', rainbow: 'url(#rainbow)', blue: '#3b82f6', pink: '#f9a8d4',
    red: '#ef4444', violet: '#8b5cf6', teal: '#14b8a6', orange: '#fb923c', green: '#22c55e',
    'sky blue': '#7dd3fc'
  };
  var SWATCH_RAINBOW = 'conic-gradient(#ef4444, #f59e0b, #facc15, #22c55e, #3b82f6, #8b5cf6, #ef4444)';

  function $(id) { return document.getElementById(id); }
  var ui = {
    app: $('app'), map: $('map'), svg: $('map-svg'), readout: $('crosshair-readout'),
    crosshair: $('crosshair'), marker: $('pickup-marker'), unicorn: $('unicorn'), route: $('route'),
    pickupEmpty: $('pickup-empty'), coords: $('pickup-coords'), lat: $('pickup-lat'), lng: $('pickup-lng'),
    near: $('pickup-near'), button: $('request-button'), buttonLabel: document.querySelector('#request-button .button-label'),
    hint: $('request-hint'), progress: $('progress'), status: $('status'), error: $('error'),
    ride: $('ride'), rideName: $('ride-name'), rideColor: $('ride-color'), rideSwatch: $('ride-swatch'),
    rideAvatar: document.querySelector('.ride-avatar'),
    rideRating: $('ride-rating'), rideSpeed: $('ride-speed'), rideTime: $('ride-time'), rideId: $('ride-id'),
    endRide: $('end-ride-button'), rideControls: $('ride-controls'),
    signInForm: $('sign-in-form'), email: $('email'), password: $('password'),
    signInButton: $('sign-in-button'), signUpButton: $('sign-up-button'),
    verifyForm: $('verify-form'), verifyText: $('verify-text'), code: $('verification-code'),
    verifyButton: $('verify-button'), signedIn: $('signed-in'), signedInEmail: $('signed-in-email'),
    signOut: $('sign-out-button'), accountStatus: $('account-status'), accountError: $('account-error'),
    history: $('history'), historyList: $('history-list'), historyMore: $('history-more'),
    historyNote: $('history-note')
  };

  var state = {
    pickup: null,                                   // {x, y, lat, lng}
    cursor: { x: VIEW.width / 2, y: VIEW.height * 0.47 },
    busy: false,
    frame: 0,
    unicornAt: null,                                // {x, y, lift} while shown
    trip: 0,                                        // bumps on every request; stale trips stop
    ride: null,                                     // the ride shown, while active
    config: null,                                   // GET config: Region, UserPoolId, ...
    session: null,                                  // see SESSION_KEY
    pendingEmail: '',                               // signed up, not verified yet
    historyToken: null,                             // NextToken of the next page of "Your rides"
    historyRound: 0,                                // bumps on every refresh; stale answers are dropped
    historyWaits: false                             // "Your rides" waits for a fresh ID token
  };

  // ---- geometry -----------------------------------------------------------
  function toLatLng(x, y) {
    return {
      lat: BOUNDS.north - (y / VIEW.height) * (BOUNDS.north - BOUNDS.south),
      lng: BOUNDS.west + (x / VIEW.width) * (BOUNDS.east - BOUNDS.west)
    };
  }
  function toXY(lat, lng) {
    return {
      x: (lng - BOUNDS.west) / (BOUNDS.east - BOUNDS.west) * VIEW.width,
      y: (BOUNDS.north - lat) / (BOUNDS.north - BOUNDS.south) * VIEW.height
    };
  }
  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  function round6(v) { return Math.round(v * 1e6) / 1e6; }
  function fmt(v) { return v.toFixed(5); }

  function nearestPlace(lat, lng) {
    var best = null, bestD = Infinity, k = Math.cos(lat * Math.PI / 180);
    PLACES.forEach(function (p) {
      var d = Math.pow(p[1] - lat, 2) + Math.pow((p[2] - lng) * k, 2);
      if (d < bestD) { bestD = d; best = p[0]; }
    });
    return best;
  }

  // Markers keep roughly the same size on screen whatever the map's width.
  function markerScale() {
    var w = ui.svg.getBoundingClientRect().width || VIEW.width;
    return clamp(720 / w, 1, 3);
  }
  function place(node, x, y) {
    node.setAttribute('transform', 'translate(' + x.toFixed(1) + ' ' + y.toFixed(1) + ') scale(' + markerScale().toFixed(3) + ')');
  }

  // ---- the API beside the page ---------------------------------------------
  // The page is served at the API's root: `/` locally, `/api/` or `/api`
  // behind API Gateway's stage. Either way the API is the page's own path,
  // taken as a folder.
  function apiUrl(path) {
    var here = window.location.pathname;
    var base = here.charAt(here.length - 1) === '/' ? here : here + '/';
    return new URL(path, window.location.origin + base).href;
  }

  // ---- pickup point --------------------------------------------------------
  function drawCursor() {
    place(ui.crosshair, state.cursor.x, state.cursor.y);
  }
  function describeCursor() {
    var p = toLatLng(state.cursor.x, state.cursor.y);
    ui.readout.textContent = 'Crosshair ' + fmt(p.lat) + ', ' + fmt(p.lng) + ' — Enter sets the pickup point';
  }

  function setPickup(x, y) {
    x = clamp(x, 0, VIEW.width); y = clamp(y, 0, VIEW.height);
    var p = toLatLng(x, y);
    state.pickup = { x: x, y: y, lat: round6(p.lat), lng: round6(p.lng) };
    state.cursor = { x: x, y: y };
    drawCursor();
    place(ui.marker, x, y);
    ui.marker.setAttribute('visibility', 'visible');
    ui.pickupEmpty.hidden = true;
    ui.coords.hidden = false;
    ui.lat.textContent = fmt(state.pickup.lat);
    ui.lng.textContent = fmt(state.pickup.lng);
    var near = nearestPlace(state.pickup.lat, state.pickup.lng);
    ui.near.hidden = false;
    ui.near.textContent = 'Near ' + near;
    ui.readout.textContent = '';
    clearError();
    if (!state.busy) {
      // A new point is the start of a new ride: the last unicorn leaves the map.
      cancelAnimation();
      state.trip++;
      state.unicornAt = null;
      ui.unicorn.setAttribute('visibility', 'hidden');
      ui.route.setAttribute('d', '');
      ui.app.dataset.state = 'idle';
    }
    announce('Pickup point set near ' + near + ': latitude ' + fmt(state.pickup.lat) +
             ', longitude ' + fmt(state.pickup.lng) + '.');
    refreshButton();
  }

  function onMapClick(event) {
    var ctm = ui.svg.getScreenCTM();
    if (!ctm) return;
    var pt = ui.svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var local = pt.matrixTransform(ctm.inverse());
    ui.map.classList.remove('keyboard');
    setPickup(local.x, local.y);
  }

  function onMapKey(event) {
    var step = event.shiftKey ? BIG_STEP : STEP;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      event.preventDefault();
      state.cursor.x = clamp(state.cursor.x + moves[event.key][0], 0, VIEW.width);
      state.cursor.y = clamp(state.cursor.y + moves[event.key][1], 0, VIEW.height);
      ui.map.classList.add('keyboard');
      drawCursor();
      describeCursor();
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      ui.map.classList.add('keyboard');
      setPickup(state.cursor.x, state.cursor.y);
    }
  }

  // ---- messages --------------------------------------------------------------
  function announce(text) { ui.status.textContent = text; }
  function showError(text) { ui.error.textContent = text; ui.app.dataset.state = 'error'; reveal(ui.error); }
  // On a small screen the news may be below the fold: scroll just enough.
  function reveal(node) {
    if (node.scrollIntoView) node.scrollIntoView({ block: 'nearest', behavior: reducedMotion() ? 'auto' : 'smooth' });
  }
  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  }
  function clearError() { ui.error.textContent = ''; }

  function refreshButton() {
    ui.button.disabled = state.busy || !state.pickup;
    ui.button.setAttribute('aria-busy', state.busy ? 'true' : 'false');
    ui.buttonLabel.textContent = state.busy ? 'Requesting a unicorn…' : 'Request unicorn';
    ui.hint.textContent = state.pickup ? '' : 'Set a pickup point on the map first.';
  }
  function setBusy(busy) {
    state.busy = busy;
    ui.progress.hidden = !busy;
    refreshButton();
  }

  // ---- the request ----------------------------------------------------------
  function messageFor(status, body) {
    var said = body && typeof body.Message === 'string' ? body.Message : '';
    if (status === 503) {
      return 'No unicorn available right now — every unicorn is out on a ride. Please try again in a minute.';
    }
    if (status === 400 || status === 413) {
      return 'Wild Rydes could not accept this request: ' + (said || 'the request was not valid') + '.';
    }
    if (status === 401) return 'Your session has expired. Please sign in again.';
    if (status === 409) return 'You already have a ride in progress. End it before requesting another.';
    if (status === 415) return 'Wild Rydes could not read this request: it must be sent as JSON.';
    if (status === 429) return 'Wild Rydes is getting too many requests right now. Please wait a moment and try again.';
    if (status === 404) return 'Wild Rydes could not find that ride. It may have ended already.';
    if (status === 504) return 'The unicorn fleet took too long to answer. Please try again.';
    if (status === 502) return 'The unicorn fleet had a problem answering. Please try again.';
    return 'Something went wrong on our side (HTTP ' + status + ')' + (said ? ': ' + said : '') + '. Please try again.';
  }

  function isRide(body) {
    return body && typeof body.RideId === 'string' && body.Unicorn &&
      typeof body.Unicorn.Name === 'string' && typeof body.Unicorn.Color === 'string';
  }

  function readJson(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    });
  }

  function requestRide() {
    if (state.busy || !state.pickup) return;
    var pickup = state.pickup;
    var trip = ++state.trip;
    cancelAnimation();
    clearError();
    ui.ride.hidden = true;
    ui.unicorn.setAttribute('visibility', 'hidden');
    ui.route.setAttribute('d', '');
    ui.app.dataset.state = 'requesting';
    setBusy(true);
    announce('Requesting a unicorn…');

    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : 0;
    var body = JSON.stringify({ PickupLocation: { Latitude: pickup.lat, Longitude: pickup.lng } });

    authorized().then(function (token) {
      return fetch(apiUrl('ride'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'Authorization': token },
        body: body,
        cache: 'no-store',
        signal: controller ? controller.signal : undefined
      });
    }).then(function (response) {
      return readJson(response).then(function (json) { return { status: response.status, ok: response.ok, body: json }; });
    }).then(function (answer) {
      if (trip !== state.trip) return;
      if (answer.ok && isRide(answer.body)) {
        keepRide(answer.body.RideId);
        showRide(answer.body, pickup, trip);
        refreshHistory({ rideId: answer.body.RideId, status: 'active' });
      } else if (answer.status === 401) {
        sessionExpired();
      } else if (answer.status === 409 && answer.body && typeof answer.body.RideId === 'string') {
        setBusy(false);
        keepRide(answer.body.RideId);
        restoreRide('You already have a ride in progress — here it is. End it before requesting another.');
      } else if (answer.ok) {
        fail('Wild Rydes answered with something unexpected. Please try again.');
      } else {
        fail(messageFor(answer.status, answer.body));
        if (answer.status >= 500) refreshHistory(null);  // a failed ride may show as cancelled
      }
    }, function (error) {
      if (trip !== state.trip) return;
      if (error && error.sessionExpired) { sessionExpired(); return; }
      fail(error && error.name === 'AbortError'
        ? 'Wild Rydes did not answer in time. Please try again.'
        : 'Could not reach Wild Rydes — check your connection and try again.');
    }).then(function () {
      clearTimeout(timer);
      if (trip === state.trip) setBusy(false);
    });
  }

  function fail(text) {
    announce('');
    showError(text);
  }

  // ---- the ride ---------------------------------------------------------------
  function coatFor(color) {
    var key = String(color || '').trim().toLowerCase();
    if (COATS[key]) return COATS[key];
    var css = key.replace(/\s+/g, '');
    return (window.CSS && CSS.supports && CSS.supports('color', css)) ? css : '#e9d5ff';
  }

  // `note`: said once the unicorn is shown, instead of the arrival (a ride shown again).
  function showRide(ride, pickup, trip, restored, note) {
    state.ride = ride;
    var unicorn = ride.Unicorn;
    var coat = coatFor(unicorn.Color);
    ui.unicorn.style.setProperty('--coat', coat);
    ui.rideAvatar.style.setProperty('--coat', coat);
    ui.rideSwatch.style.setProperty('--swatch', coat.indexOf('url(') === 0 ? SWATCH_RAINBOW : coat);
    ui.rideName.textContent = unicorn.Name;
    ui.rideColor.textContent = unicorn.Color;
    ui.rideRating.textContent = typeof unicorn.Rating === 'number' ? '★ ' + unicorn.Rating.toFixed(1) : '–';
    ui.rideSpeed.textContent = typeof unicorn.TopSpeedKph === 'number' ? unicorn.TopSpeedKph + ' km/h' : '–';
    var when = new Date(ride.RequestTime);
    ui.rideTime.textContent = isNaN(when) ? '–' : when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    ui.rideTime.setAttribute('title', String(ride.RequestTime || ''));
    ui.rideId.textContent = ride.RideId;
    ui.ride.hidden = false;
    ui.app.dataset.state = 'arriving';
    var article = /^[aeiou]/i.test(unicorn.Color) ? 'an ' : 'a ';
    announce(unicorn.Name + ', ' + article + unicorn.Color + ' unicorn, is on the way to your pickup point.');
    reveal(ui.status);
    animateUnicorn(pickup, trip, restored, function () {
      ui.app.dataset.state = 'arrived';
      ui.unicorn.classList.add('arrived');
      announce(note || unicorn.Name + ' has arrived at your pickup point. Enjoy the ride!');
    });
  }

  // From the map corner farthest from the pickup point, along a gentle arc.
  function animateUnicorn(to, trip, instantly, arrived) {
    var corners = [[70, 70], [VIEW.width - 70, 70], [70, VIEW.height - 70], [VIEW.width - 70, VIEW.height - 70]];
    var from = corners.reduce(function (best, c) {
      var d = Math.hypot(c[0] - to.x, c[1] - to.y);
      return d > best.d ? { x: c[0], y: c[1], d: d } : best;
    }, { d: -1 });
    var dx = to.x - from.x, dy = to.y - from.y, len = Math.hypot(dx, dy) || 1;
    var cx = (from.x + to.x) / 2 - dy / len * len * 0.22, cy = (from.y + to.y) / 2 + dx / len * len * 0.22;
    ui.route.setAttribute('d', 'M' + from.x + ' ' + from.y + ' Q' + cx.toFixed(1) + ' ' + cy.toFixed(1) + ' ' + to.x.toFixed(1) + ' ' + to.y.toFixed(1));
    ui.unicorn.classList.remove('arrived');
    ui.unicorn.setAttribute('visibility', 'visible');

    var duration = instantly || reducedMotion() ? 0 : TRIP_MS;
    var start = null;
    function at(t) {
      var u = 1 - t;
      return { x: u * u * from.x + 2 * u * t * cx + t * t * to.x, y: u * u * from.y + 2 * u * t * cy + t * t * to.y };
    }
    function frame(now) {
      if (trip !== state.trip) return;
      if (start === null) start = now;
      var t = duration ? Math.min(1, (now - start) / duration) : 1;
      var eased = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
      var p = at(eased);
      state.unicornAt = { x: p.x, y: p.y, lift: eased };
      placeUnicorn();
      if (t < 1) { state.frame = requestAnimationFrame(frame); } else { state.frame = 0; arrived(); }
    }
    state.frame = requestAnimationFrame(frame);
  }

  // Once there, the unicorn floats just above the pin's head.
  function placeUnicorn() {
    var at = state.unicornAt;
    if (at) place(ui.unicorn, at.x, at.y - 84 * markerScale() * at.lift);
  }

  function cancelAnimation() {
    if (state.frame) cancelAnimationFrame(state.frame);
    state.frame = 0;
  }

  // The map and panel with no ride on them (after sign-out or an ended ride);
  // a trip still animating is cut short.
  function showNoRide() {
    cancelAnimation();
    state.trip++;
    state.ride = null;
    ui.ride.hidden = true;
    ui.unicorn.setAttribute('visibility', 'hidden');
    ui.route.setAttribute('d', '');
    ui.app.dataset.state = 'idle';
  }

  // ---- riders: Cognito, called directly (AWS JSON 1.1) ----------------------
  function cognito(operation, body) {
    return fetch(state.config.CognitoEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': COGNITO_TARGET + operation },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (response) {
      return readJson(response).then(function (json) {
        if (response.ok) return json || {};
        var type = String((json && (json.__type || json.code)) || 'Error').split('#').pop();
        var error = new Error(type);
        error.type = type;
        error.said = json && typeof json.message === 'string' ? json.message : '';
        throw error;
      });
    });
  }

  function cognitoMessage(error) {
    var type = error && error.type;
    if (type === 'NotAuthorizedException' || type === 'UserNotFoundException') return 'That email and password do not match an account. Check them and try again.';
    if (type === 'UsernameExistsException') return 'There is already an account with this email. Sign in instead.';
    if (type === 'InvalidPasswordException') return 'That password is not strong enough: use at least 8 characters with upper and lower case letters, a number and a symbol.';
    if (type === 'CodeMismatchException') return 'That verification code is not right. Check the email we sent and try again.';
    if (type === 'ExpiredCodeException') return 'That verification code has expired. Sign up again to get a new one.';
    if (type === 'TooManyRequestsException' || type === 'LimitExceededException') return 'Too many attempts. Please wait a moment and try again.';
    if (type === 'InvalidParameterException') return 'Please enter a valid email address and password.';
    if (error && error.name === 'TypeError') return 'Could not reach the sign-in service — check your connection and try again.';
    return 'Signing in did not work right now. Please try again.';
  }

  function tokenClaims(token) {
    try {
      var part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (part.length % 4) part += '=';
      return JSON.parse(atob(part));
    } catch (e) { return {}; }
  }

  function saveSession(email, result, refreshToken) {
    state.session = {
      email: email, idToken: result.IdToken, accessToken: result.AccessToken,
      refreshToken: refreshToken || result.RefreshToken,
      expiresAt: (Number(tokenClaims(result.IdToken).exp) || 0) * 1000
    };
    try { sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session)); } catch (e) { /* private mode: this tab only */ }
    if (state.historyWaits) refreshHistory(null);
  }
  function readSession() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      return saved && typeof saved.idToken === 'string' && typeof saved.refreshToken === 'string' ? saved : null;
    } catch (e) { return null; }
  }
  function forgetSession() {
    state.session = null;
    try { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(RIDE_KEY); } catch (e) { /* nothing kept */ }
  }
  function keepRide(rideId) {
    try { sessionStorage.setItem(RIDE_KEY, rideId); } catch (e) { /* shown until reload only */ }
  }
  function keptRide() {
    try { return sessionStorage.getItem(RIDE_KEY); } catch (e) { return null; }
  }
  function forgetRide() {
    try { sessionStorage.removeItem(RIDE_KEY); } catch (e) { /* nothing kept */ }
  }

  // A valid ID token for the rides API, refreshed when it is about to expire.
  function authorized() {
    var session = state.session;
    var expired = new Error('session expired');
    expired.sessionExpired = true;
    if (!session) return Promise.reject(expired);
    if (Date.now() < session.expiresAt - REFRESH_MARGIN_MS) return Promise.resolve(session.idToken);
    return cognito('InitiateAuth', {
      ClientId: state.config.UserPoolClientId, AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: session.refreshToken }
    }).then(function (answer) {
      if (!answer.AuthenticationResult) throw expired;
      saveSession(session.email, answer.AuthenticationResult, session.refreshToken);
      return state.session.idToken;
    }, function () { throw expired; });
  }

  function accountMessage(text) { ui.accountStatus.textContent = text; }
  function accountError(text) { ui.accountError.textContent = text; }

  function showSignedOut(message) {
    ui.signInForm.hidden = false;
    ui.verifyForm.hidden = true;
    ui.signedIn.hidden = true;
    ui.rideControls.hidden = true;
    hideHistory();
    accountMessage(message || '');
  }
  function showVerify(email) {
    state.pendingEmail = email;
    ui.signInForm.hidden = true;
    ui.verifyForm.hidden = false;
    ui.verifyText.textContent = 'We sent a verification code to ' + email + '. Enter it here to finish signing up.';
    ui.code.value = '';
    ui.code.focus();
  }
  function showSignedIn() {
    ui.signInForm.hidden = true;
    ui.verifyForm.hidden = true;
    ui.signedIn.hidden = false;
    ui.signedInEmail.textContent = state.session.email;
    ui.rideControls.hidden = false;
    accountError('');
    refreshButton();
    ui.history.hidden = false;
    refreshHistory(null);
  }

  function sessionExpired() {
    forgetSession();
    cancelAnimation();
    state.trip++;
    state.ride = null;
    setBusy(false);
    ui.ride.hidden = true;
    showSignedOut();
    accountError('Your session has expired. Please sign in again.');
    ui.email.focus();
  }

  function formEmail() { return ui.email.value.trim().toLowerCase(); }

  function busyAccount(busy) {
    ui.signInButton.disabled = ui.signUpButton.disabled = ui.verifyButton.disabled = busy;
  }

  function signIn(event) {
    if (event) event.preventDefault();
    var email = formEmail(), password = ui.password.value;
    accountError(''); accountMessage('');
    if (!email || !password) { accountError('Enter your email and password to sign in.'); return; }
    busyAccount(true);
    cognito('InitiateAuth', {
      ClientId: state.config.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password }
    }).then(function (answer) {
      if (!answer.AuthenticationResult) throw new Error('unexpected');
      ui.password.value = '';
      saveSession(email, answer.AuthenticationResult);
      showSignedIn();
      announce('Signed in. Set a pickup point on the map to request a unicorn.');
      restoreRide();
    }, function (error) {
      if (error && error.type === 'UserNotConfirmedException') { showVerify(email); return; }
      accountError(cognitoMessage(error));
    }).then(function () { busyAccount(false); });
  }

  function signUp() {
    var email = formEmail(), password = ui.password.value;
    accountError(''); accountMessage('');
    if (!email || !password) { accountError('Enter an email and a password to sign up.'); return; }
    busyAccount(true);
    cognito('SignUp', {
      ClientId: state.config.UserPoolClientId, Username: email, Password: password,
      UserAttributes: [{ Name: 'email', Value: email }]
    }).then(function () {
      ui.password.value = '';
      showVerify(email);
    }, function (error) {
      accountError(cognitoMessage(error));
    }).then(function () { busyAccount(false); });
  }

  function verify(event) {
    event.preventDefault();
    var code = ui.code.value.trim();
    accountError('');
    if (!code) { accountError('Enter the verification code from the email.'); return; }
    busyAccount(true);
    cognito('ConfirmSignUp', {
      ClientId: state.config.UserPoolClientId, Username: state.pendingEmail, ConfirmationCode: code
    }).then(function () {
      ui.email.value = state.pendingEmail;
      showSignedOut('Your email is verified. Sign in with your password to ride.');
      ui.password.focus();
    }, function (error) {
      accountError(cognitoMessage(error));
    }).then(function () { busyAccount(false); });
  }

  function signOut() {
    var session = state.session;
    if (session && session.accessToken) {
      // Ends the rider's refresh tokens at Cognito too; signed out here whatever it answers.
      cognito('GlobalSignOut', { AccessToken: session.accessToken }).catch(function () {});
    }
    forgetSession();
    showNoRide();
    clearError();
    announce('');
    showSignedOut('You are signed out.');
  }

  // ---- the rider's ride, after a reload or a 409 ------------------------------
  function withToken(path, options) {
    return authorized().then(function (token) { return sendWith(token, path, options); });
  }

  function sendWith(token, path, options) {
    options.headers = Object.assign({ 'Accept': 'application/json', 'Authorization': token }, options.headers || {});
    options.cache = 'no-store';
    return fetch(apiUrl(path), options).then(function (response) {
      return readJson(response).then(function (json) { return { status: response.status, ok: response.ok, body: json }; });
    });
  }

  function restoreRide(message) {
    var rideId = keptRide();
    if (!rideId) return Promise.resolve();
    var trip = ++state.trip;
    return withToken('ride/' + encodeURIComponent(rideId), { method: 'GET' }).then(function (answer) {
      if (trip !== state.trip) return;
      if (answer.status === 401) { sessionExpired(); return; }
      if (!answer.ok || !isRide(answer.body) || answer.body.Status !== 'active') { forgetRide(); return; }
      var where = answer.body.PickupLocation || {};
      if (typeof where.Latitude === 'number' && typeof where.Longitude === 'number') {
        var xy = toXY(where.Latitude, where.Longitude);
        setPickup(xy.x, xy.y);
      }
      state.trip = trip;
      showRide(answer.body, state.pickup || { x: VIEW.width / 2, y: VIEW.height / 2 }, trip, true,
               message || answer.body.Unicorn.Name + ' is with you: your ride is in progress.');
    }, function (error) {
      if (error && error.sessionExpired) sessionExpired();
    });
  }

  function endRide() {
    var ride = state.ride;
    if (!ride) return;
    ui.endRide.disabled = true;
    clearError();
    withToken('ride/' + encodeURIComponent(ride.RideId) + '/complete', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}'
    }).then(function (answer) {
      if (answer.status === 401) { sessionExpired(); return; }
      if (!answer.ok && answer.status !== 404) { showError(messageFor(answer.status, answer.body)); return; }
      forgetRide();
      showNoRide();
      announce('Your ride has ended: ' + ride.Unicorn.Name + ' is free for the next rider. Thanks for riding with Wild Rydes!');
      refreshHistory({ rideId: ride.RideId, status: 'completed' });
    }, function (error) {
      if (error && error.sessionExpired) { sessionExpired(); return; }
      showError('Could not reach Wild Rydes — check your connection and try again.');
    }).then(function () { ui.endRide.disabled = false; });
  }

  // ---- "Your rides": the rider's history (GET rides), newest first ------------
  // It uses the session as it stands: it never refreshes the ID token nor
  // signs the rider out (the rider's own requests do both), so with a token
  // about to expire it waits for the next refresh, and a 401 only says it
  // could not be loaded.
  function hideHistory() {
    state.historyWaits = false;
    state.historyRound++;
    state.historyToken = null;
    ui.history.hidden = true;
    ui.historyList.textContent = '';
    ui.historyMore.hidden = true;
    ui.historyNote.textContent = '';
  }

  function shows(rides, expected) {
    return rides.some(function (ride) { return ride.RideId === expected.rideId && ride.Status === expected.status; });
  }

  // The first page again; with `expected` ({rideId, status}), again and again
  // (HISTORY_POLLS at most) until it shows that ride in that state.
  function refreshHistory(expected) {
    var round = ++state.historyRound, polls = 0;
    function poll() {
      if (round !== state.historyRound) return;
      polls++;
      historyPage(null).then(function (page) {
        if (round !== state.historyRound) return;
        if (page) showHistory(page, false);
        if (expected && (!page || !shows(page.Rides, expected)) && polls < HISTORY_POLLS) {
          setTimeout(poll, HISTORY_POLL_MS);
        }
      });
    }
    poll();
  }

  function moreHistory() {
    var round = state.historyRound, token = state.historyToken;
    if (!token) return;
    ui.historyMore.disabled = true;
    historyPage(token).then(function (page) {
      ui.historyMore.disabled = false;
      if (page && round === state.historyRound) showHistory(page, true);
    });
  }

  // One page ({Rides, NextToken?}), or null when it could not be had (said in the note).
  function historyPage(token) {
    var session = state.session;
    if (!session || Date.now() >= session.expiresAt - REFRESH_MARGIN_MS) {
      state.historyWaits = !!session;
      return Promise.resolve(null);
    }
    state.historyWaits = false;
    var path = 'rides' + (token ? '?NextToken=' + encodeURIComponent(token) : '');
    return sendWith(session.idToken, path, { method: 'GET' }).then(function (answer) {
      if (answer.ok && answer.body && Array.isArray(answer.body.Rides)) return answer.body;
      ui.historyNote.textContent = 'Your rides could not be loaded right now.';
      return null;
    }, function () {
      ui.historyNote.textContent = 'Your rides could not be loaded right now.';
      return null;
    });
  }

  function showHistory(page, append) {
    if (!append) ui.historyList.textContent = '';
    page.Rides.forEach(function (ride) {
      if (ride && typeof ride.RideId === 'string') ui.historyList.appendChild(historyItem(ride));
    });
    state.historyToken = typeof page.NextToken === 'string' && page.NextToken ? page.NextToken : null;
    ui.historyMore.hidden = !state.historyToken;
    ui.historyNote.textContent = ui.historyList.children.length ? '' : 'No rides yet: your rides will show here.';
  }

  // Text only (textContent), never markup: every value comes from the API.
  function historyItem(ride) {
    var unicorn = ride.Unicorn && typeof ride.Unicorn === 'object' ? ride.Unicorn : {};
    var name = typeof unicorn.Name === 'string' ? unicorn.Name
      : typeof ride.UnicornName === 'string' ? ride.UnicornName : 'Unicorn not known';
    var color = typeof unicorn.Color === 'string' ? unicorn.Color : '';
    var status = HISTORY_STATUSES.indexOf(ride.Status) >= 0 ? ride.Status : 'unknown';
    var item = element('li', 'history-item');
    item.dataset.rideId = ride.RideId;
    var swatch = element('span', 'swatch');
    swatch.setAttribute('aria-hidden', 'true');
    if (color) {
      var coat = coatFor(color);
      swatch.style.setProperty('--swatch', coat.indexOf('url(') === 0 ? SWATCH_RAINBOW : coat);
    }
    var main = element('div', 'history-main');
    main.appendChild(element('p', 'history-name', name));
    var meta = element('p', 'history-meta', color ? color + ' · ' : '');
    var when = new Date(ride.RequestTime);
    var time = element('time', '', isNaN(when.getTime()) ? 'time not known'
      : when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
    if (!isNaN(when.getTime())) time.setAttribute('datetime', when.toISOString());
    meta.appendChild(time);
    main.appendChild(meta);
    var where = ride.PickupLocation || {};
    if (typeof where.Latitude === 'number' && typeof where.Longitude === 'number') {
      main.appendChild(element('p', 'history-pickup', 'Pickup near ' + nearestPlace(where.Latitude, where.Longitude) +
        ' (' + fmt(where.Latitude) + ', ' + fmt(where.Longitude) + ')'));
    }
    var badge = element('span', 'history-status', status);
    if (status !== 'unknown') badge.classList.add('is-' + status);
    item.appendChild(swatch);
    item.appendChild(main);
    item.appendChild(badge);
    return item;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function start() {
    return fetch(apiUrl('config'), { headers: { 'Accept': 'application/json' }, cache: 'no-store' })
      .then(function (response) {
        return readJson(response).then(function (json) {
          if (!response.ok || !json || typeof json.CognitoEndpoint !== 'string' || !json.UserPoolClientId) throw new Error('config');
          state.config = json;
        });
      }).then(function () {
        state.session = readSession();
        if (!state.session) { showSignedOut(); return; }
        showSignedIn();
        return restoreRide();
      }, function () {
        showSignedOut();
        ui.signInButton.disabled = ui.signUpButton.disabled = true;
        accountError('Signing in is not available right now. Please try again later.');
      });
  }

  // ---- wiring ----------------------------------------------------------------
  ui.map.addEventListener('click', onMapClick);
  ui.map.addEventListener('keydown', onMapKey);
  ui.map.addEventListener('focus', function () { drawCursor(); });
  ui.map.addEventListener('blur', function () { ui.map.classList.remove('keyboard'); ui.readout.textContent = ''; });
  ui.button.addEventListener('click', requestRide);
  ui.endRide.addEventListener('click', endRide);
  ui.signInForm.addEventListener('submit', signIn);
  ui.signUpButton.addEventListener('click', signUp);
  ui.verifyForm.addEventListener('submit', verify);
  ui.signOut.addEventListener('click', signOut);
  ui.historyMore.addEventListener('click', moreHistory);
  window.addEventListener('resize', function () {
    drawCursor();
    if (state.pickup) place(ui.marker, state.pickup.x, state.pickup.y);
    placeUnicorn();
  });
  drawCursor();
  refreshButton();
  start().then(function () { ui.app.dataset.ready = 'true'; });
}());
