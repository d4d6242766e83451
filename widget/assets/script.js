/*
 * amokit widget: the amoCRM side of a lead-card widget.
 *
 * Shows one block in the right column of the lead card with the application's page in an iframe. The
 * block asks our server for a session with $authorizedAjax (amoCRM adds the user's disposable
 * token as X-Auth-Token) and loads the short-lived iframe URL the server answers with. The
 * server address is the api_url setting; the build puts a default below. No secret lives here.
 *
 * The session ticket lives a short while (expires_in seconds). Before it runs out, and whenever
 * the framed page asks ({type: RENEW}), the block asks for a new session the same way and hands
 * the new ticket to the page ({type: TICKET, ticket}), posted to the frame's origin only: the
 * page stays loaded and keeps what was typed in it.
 *
 * The frame takes the height the page asks for ({type: RESIZE}), but never more than the card's
 * window shows (less a small margin), and it follows the window's resizes. A long page then
 * scrolls inside the frame, where it can keep its own controls (a total, a Save button) in view;
 * a frame as tall as its content would push them below the window. When a field in it gets
 * focus, the page asks ({type: SHOW}) to have the whole frame scrolled into the window.
 *
 * Only DOM APIs are used, plus the .done/.fail of the deferred that $authorizedAjax returns.
 */
define([], function () {
  'use strict';

  // Replaced by the archive build with the server URL given to it ("" when none was given).
  var DEFAULT_API_URL = "__AMOKIT_DEFAULT_API_URL__";

  // The message the framed page posts to ask for a height: {type: RESIZE, height: px}.
  var RESIZE = 'amokit:calc:resize';
  // The page asks for a new ticket with {type: RENEW} and gets it as {type: TICKET, ticket}.
  var RENEW = 'amokit:calc:renew';
  var TICKET = 'amokit:calc:ticket';
  // The page asks with {type: SHOW} to have all of the frame in the window.
  var SHOW = 'amokit:calc:show';
  // A ticket is renewed when this share of its lifetime has passed.
  var RENEW_AT = 0.75;
  var MIN_HEIGHT = 160;
  var MAX_HEIGHT = 4000;
  // The frame is the window's height less this margin at most, so all of it fits in view.
  var VIEW_MARGIN = 16;
  // The frame's height until the page asks for one.
  var FIRST_HEIGHT = 480;

  var FALLBACK_TEXT = {
    title: 'Widget',
    loading: 'Loading\u2026',
    error: 'The widget could not be opened.',
    retry: 'Try again',
    no_server: 'Set the server address in the widget settings.',
    not_connected: 'The widget is not connected to this amoCRM account. Ask the administrator to connect it at {admin}.',
    stale: 'The lead page has been open too long: reload it.',
    refused: 'amoCRM did not confirm the sign-in to the widget. Reload the lead.'
  };

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  return function () {
    var self = this;
    var generation = 0; // bumped by every new session request and by destroy
    var request = null; // the session request in flight
    var cleanups = []; // undo functions for every listener we add
    var listening = false;
    var renewTimer = null; // the renewal of the current session's ticket
    var renewal = null; // the renewal request in flight
    var wanted = FIRST_HEIGHT; // the height the page last asked for

    function leadId() {
      var app = window.APP || window.AMOCRM;
      var card = app && app.data && app.data.current_card;
      var id = card ? Number(card.id) : 0;
      return isFinite(id) && id > 0 ? Math.floor(id) : 0;
    }

    function inLeadCard() {
      var sys = null;
      try { sys = self.system(); } catch (e) { return false; }
      return !!sys && sys.area === 'lcard';
    }

    function settings() {
      var s = null;
      try { s = self.get_settings(); } catch (e) { /* not set yet */ }
      return s || {};
    }

    function text(key) {
      var t = null;
      try { t = self.i18n('calc'); } catch (e) { /* no language file */ }
      return (t && typeof t[key] === 'string' && t[key]) || FALLBACK_TEXT[key];
    }

    function blockId() {
      return 'amokit-calc-' + String(settings().widget_code || 'widget').replace(/[^A-Za-z0-9_-]/g, '_');
    }

    function block() {
      return document.getElementById(blockId());
    }

    function part(el, name) {
      return el.querySelector('.amokit-calc__' + name);
    }

    // apiURL is the server base URL without a trailing slash, or "" when none is usable.
    function apiURL() {
      var u = String(settings().api_url || DEFAULT_API_URL || '').replace(/^\s+|\s+$/g, '').replace(/\/+$/, '');
      try {
        var p = new URL(u);
        if ((p.protocol === 'https:' || p.protocol === 'http:') && !p.username && !p.password && !p.search && !p.hash) {
          return u;
        }
      } catch (e) { /* not a URL */ }
      return '';
    }

    // frameURL accepts only an http(s) URL on the server's own origin.
    function frameURL(answer, base) {
      if (typeof answer === 'string') {
        try { answer = JSON.parse(answer); } catch (e) { return ''; }
      }
      var raw = answer && answer.iframe_url;
      if (typeof raw !== 'string' || !raw) return '';
      try {
        var u = new URL(raw, base);
        if ((u.protocol === 'https:' || u.protocol === 'http:') && u.origin === new URL(base).origin) {
          return u.href;
        }
      } catch (e) { /* not a URL */ }
      return '';
    }

    // failureText says what to do about a refused session, in the card's language: by the
    // error's code where the cause is known, with the server's own message only when it is
    // written for people (Russian), never a developer's English detail.
    function failureText(xhr, base) {
      var body = xhr && xhr.responseJSON;
      if (!body && xhr && typeof xhr.responseText === 'string') {
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      }
      var err = (body && body.error) || {};
      var code = typeof err.code === 'string' ? err.code : '';
      var msg = typeof err.message === 'string' ? err.message.slice(0, 300) : '';
      if (code === 'token_unknown_client' || code === 'not_connected') return text('not_connected').replace('{admin}', base + '/admin');
      if (code === 'token_expired' || code === 'token_not_yet_valid' || code === 'token_issued_in_future') return text('stale');
      if (code.indexOf('token_') === 0) return text('refused');
      return /[\u0400-\u04FF]/.test(msg) ? text('error') + ' ' + msg : text('error');
    }

    // setState shows the part that fits the state. It sets style.display rather than the hidden
    // attribute, which amoCRM's own button and iframe styles would override.
    function setState(el, state, detail) {
      var status = part(el, 'status');
      var retry = part(el, 'retry');
      var frame = part(el, 'frame');
      el.setAttribute('data-state', state);
      if (status) {
        status.textContent = state === 'loading' ? text('loading') : state === 'error' ? detail : '';
        status.style.display = state === 'ready' ? 'none' : 'block';
      }
      if (retry) retry.style.display = state === 'error' ? 'inline-block' : 'none';
      if (frame) frame.style.display = state === 'ready' ? 'block' : 'none';
    }

    function listen(target, type, fn) {
      target.addEventListener(type, fn);
      cleanups.push(function () { target.removeEventListener(type, fn); });
    }

    function onMessage(ev) {
      var el = block();
      var frame = el && part(el, 'frame');
      if (!frame || !frame.src || ev.source !== frame.contentWindow) return;
      var origin;
      try { origin = new URL(frame.src).origin; } catch (e) { return; }
      if (ev.origin !== origin) return;
      var d = ev.data;
      if (d && d.type === RENEW) {
        renew(el);
        return;
      }
      if (d && d.type === SHOW) {
        var r = frame.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) frame.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        return;
      }
      if (!d || d.type !== RESIZE) return;
      var h = Math.round(Number(d.height));
      if (!isFinite(h)) return;
      wanted = h;
      fitFrame(frame);
    }

    // fitFrame gives the frame the height the page asked for, capped by the window's.
    function fitFrame(frame) {
      var view = Math.floor(window.innerHeight || document.documentElement.clientHeight || MAX_HEIGHT);
      var h = Math.min(MAX_HEIGHT, wanted, view - VIEW_MARGIN);
      frame.style.height = Math.max(MIN_HEIGHT, h) + 'px';
    }

    function onWindowResize() {
      var el = block();
      var frame = el && part(el, 'frame');
      if (frame) fitFrame(frame);
    }

    function onClick(ev) {
      var el = block();
      var retry = el && part(el, 'retry');
      if (retry && ev.target === retry) openSession(el);
    }

    function sessionRequest(id, base) {
      return self.$authorizedAjax({
        url: base + '/widget/session',
        method: 'POST',
        type: 'POST',
        contentType: 'application/json',
        dataType: 'json',
        data: JSON.stringify({ lead_id: id })
      });
    }

    function parsed(answer) {
      if (typeof answer === 'string') {
        try { return JSON.parse(answer); } catch (e) { return null; }
      }
      return answer;
    }

    // scheduleRenewal renews the ticket of the answer before it runs out.
    function scheduleRenewal(el, answer) {
      clearTimeout(renewTimer);
      var life = Number(answer && answer.expires_in);
      if (!isFinite(life) || life <= 0) return;
      renewTimer = setTimeout(function () { renew(el); }, Math.max(1000, life * RENEW_AT * 1000));
    }

    // renew gets a new ticket for the lead the frame shows and posts it to the frame.
    function renew(el) {
      var frame = part(el, 'frame');
      var base = apiURL();
      var id = Number(el.getAttribute('data-lead'));
      if (renewal || !frame || !frame.src || !base || !id) return;
      var gen = generation;
      var req;
      try { req = sessionRequest(id, base); } catch (e) { return; }
      renewal = req;
      req.done(function (answer) {
        renewal = null;
        answer = parsed(answer);
        if (gen !== generation || !answer || typeof answer.ticket !== 'string' || !answer.ticket) return;
        var origin;
        try { origin = new URL(frame.src).origin; } catch (e) { return; }
        if (frame.contentWindow) frame.contentWindow.postMessage({ type: TICKET, ticket: answer.ticket }, origin);
        scheduleRenewal(el, answer);
      });
      req.fail(function () {
        // The page asks again when it next meets an expired ticket.
        renewal = null;
      });
    }

    function openSession(el) {
      var id = leadId();
      var base = apiURL();
      var gen = ++generation;
      clearTimeout(renewTimer);
      el.setAttribute('data-lead', String(id));
      if (!base) {
        setState(el, 'error', text('no_server'));
        return;
      }
      setState(el, 'loading');
      var req;
      try {
        req = sessionRequest(id, base);
      } catch (e) {
        setState(el, 'error', text('error'));
        return;
      }
      request = req;
      req.done(function (answer) {
        if (gen !== generation) return;
        request = null;
        var url = frameURL(answer, base);
        var frame = part(el, 'frame');
        if (!url || !frame) {
          setState(el, 'error', text('error'));
          return;
        }
        frame.src = url;
        fitFrame(frame);
        setState(el, 'ready');
        scheduleRenewal(el, parsed(answer));
      });
      req.fail(function (xhr) {
        if (gen !== generation) return;
        request = null;
        setState(el, 'error', failureText(xhr, base));
      });
    }

    function markup() {
      return '<div id="' + escapeHTML(blockId()) + '" class="amokit-calc" data-state="loading">' +
        '<p class="amokit-calc__status" role="status" aria-live="polite" style="margin:8px 0">' +
        escapeHTML(text('loading')) + '</p>' +
        '<button type="button" class="amokit-calc__retry" style="display:none">' + escapeHTML(text('retry')) + '</button>' +
        '<iframe class="amokit-calc__frame" title="' + escapeHTML(text('title')) + '" ' +
        'style="display:none;width:100%;height:' + FIRST_HEIGHT + 'px;border:0"></iframe>' +
        '</div>';
    }

    // safe runs a callback and returns true whatever happens: amoCRM drops a widget whose
    // render, init or bind_actions does not return true.
    function safe(fn) {
      return function () {
        try {
          fn.apply(self, arguments);
        } catch (e) {
          if (window.console && console.error) console.error('amokit widget:', e);
        }
        return true;
      };
    }

    this.callbacks = {
      render: safe(function () {
        // render can fire more than once for the same card: draw the block only once.
        if (!inLeadCard() || !leadId() || block()) return;
        self.render_template({
          caption: { class_name: 'amokit-calc-caption' },
          body: markup(),
          render: ''
        });
      }),
      init: safe(function () {
        var el = block();
        if (!el || !inLeadCard() || !leadId()) return;
        if (!listening) {
          listening = true;
          listen(window, 'message', onMessage);
          listen(window, 'resize', onWindowResize);
          listen(el, 'click', onClick);
        }
        var state = el.getAttribute('data-state');
        if (el.getAttribute('data-lead') === String(leadId()) && (state === 'ready' || request)) return;
        openSession(el);
      }),
      bind_actions: safe(function () {}),
      settings: safe(function () {}),
      onSave: safe(function () {}),
      destroy: safe(function () {
        generation++;
        clearTimeout(renewTimer);
        [request, renewal].forEach(function (r) {
          if (r && typeof r.abort === 'function') {
            try { r.abort(); } catch (e) { /* already finished */ }
          }
        });
        request = null;
        renewal = null;
        while (cleanups.length) cleanups.pop()();
        listening = false;
        var el = block();
        if (el && el.parentNode) el.parentNode.removeChild(el);
      })
    };
    return this;
  };
});
