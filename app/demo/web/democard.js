/*
 * The demo deal card: what amoCRM's lead card provides around a widget, and no more.
 *
 *   - window.APP (and its old alias AMOCRM) with data.current_card.id, the open lead;
 *   - define(deps, factory), the AMD loader that amoCRM loads script.js with; the factory's
 *     constructor is mixed with the few base-widget methods script.js uses: system(),
 *     get_settings(), i18n(), render_template() (puts the block into the right column) and
 *     $authorizedAjax(), which asks the (fake) amoCRM for the user's disposable token and sends
 *     it as X-Auth-Token, returning a jQuery-style deferred with done/fail/abort;
 *   - the widget lifecycle: render, then init, then bind_actions.
 *
 * Then it loads the real script.js from widget.zip, so the session → iframe flow is the one
 * amoCRM runs. The left column refreshes when the calculator reports a save.
 */
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('demo-config').textContent);

  var app = {
    data: { current_card: { id: cfg.lead_id } },
    isCard: function () { return true; },
    getBaseEntity: function () { return 'leads'; },
    getWidgetsArea: function () { return 'leads_card'; },
    constant: function (key) {
      switch (key) {
        case 'user': return { id: cfg.user_id, name: cfg.user_name, login: cfg.user_email };
        case 'account': return { id: cfg.account_id, subdomain: cfg.subdomain };
        case 'user_rights': return { is_admin: false, is_free_user: false };
      }
      return undefined;
    },
    lang_id: 'ru'
  };
  window.APP = app;
  window.AMOCRM = app;

  // deferred is the part of a jQuery jqXHR that widgets use.
  function deferred(abort) {
    var state = 'pending';
    var args = null;
    var on = { resolved: [], rejected: [] };
    var d = {
      done: function (fn) { if (state === 'resolved') fn.apply(null, args); else on.resolved.push(fn); return d; },
      fail: function (fn) { if (state === 'rejected') fn.apply(null, args); else on.rejected.push(fn); return d; },
      always: function (fn) { return d.done(fn).fail(fn); },
      abort: function () { if (state === 'pending') abort(); },
      settle: function (s, a) {
        if (state !== 'pending') return;
        state = s;
        args = a;
        on[s].forEach(function (fn) { fn.apply(null, a); });
      }
    };
    return d;
  }

  function xhrOf(status, text) {
    var x = { status: status, responseText: text, readyState: 4 };
    try { x.responseJSON = text ? JSON.parse(text) : undefined; } catch (e) { /* not JSON */ }
    return x;
  }

  // authorizedAjax does what amoCRM's $authorizedAjax does: get a fresh disposable token for the
  // user (in amoCRM, from the account's own session) and send the request with it.
  function authorizedAjax(opts) {
    var ctl = new AbortController();
    var d = deferred(function () { ctl.abort(); });
    fetch(cfg.token_url, { headers: { 'X-Requested-With': 'XMLHttpRequest' }, signal: ctl.signal, credentials: 'omit' })
      .then(function (res) {
        if (!res.ok) throw new Error('disposable token: HTTP ' + res.status);
        return res.json();
      })
      .then(function (body) {
        var headers = { 'X-Auth-Token': body.token };
        if (opts.contentType) headers['Content-Type'] = opts.contentType;
        return fetch(opts.url, { method: opts.method || opts.type || 'GET', headers: headers, body: opts.data, signal: ctl.signal, credentials: 'omit' });
      })
      .then(function (res) {
        return res.text().then(function (text) {
          var xhr = xhrOf(res.status, text);
          if (res.ok) d.settle('resolved', [xhr.responseJSON !== undefined ? xhr.responseJSON : text, 'success', xhr]);
          else d.settle('rejected', [xhr, 'error', res.statusText]);
        });
      })
      .catch(function (err) {
        d.settle('rejected', [xhrOf(0, ''), err && err.name === 'AbortError' ? 'abort' : 'error', String(err)]);
      });
    return d;
  }

  var base = {
    system: function () {
      return { area: 'lcard', amouser_id: cfg.user_id, amouser: cfg.user_email, subdomain: cfg.subdomain, domain: cfg.subdomain + '.amocrm.ru', server: 'ru' };
    },
    get_settings: function () {
      return { widget_code: cfg.widget_code, api_url: cfg.api_url, oauth_client_uuid: cfg.client_id, status: 'installed', widget_active: 'Y', path: '/demo/widget', version: 'demo' };
    },
    i18n: function (key) { return cfg.i18n ? cfg.i18n[key] : undefined; },
    render_template: function (opts) {
      var box = document.createElement('div');
      box.className = 'card-widget';
      var caption = document.createElement('div');
      caption.className = 'card-widget__caption ' + ((opts.caption && opts.caption.class_name) || '');
      caption.textContent = (cfg.i18n && cfg.i18n.widget && cfg.i18n.widget.name) || 'Виджет';
      var body = document.createElement('div');
      body.className = 'card-widget__body';
      body.innerHTML = opts.body || '';
      box.appendChild(caption);
      box.appendChild(body);
      document.getElementById('widgets').appendChild(box);
    },
    $authorizedAjax: authorizedAjax
  };

  window.define = function (deps, factory) {
    if (typeof deps === 'function') factory = deps;
    var Widget = factory();
    var w = Object.create(base);
    w = Widget.call(w) || w;
    var cb = w.callbacks || {};
    if (typeof cb.render !== 'function' || typeof cb.init !== 'function' || typeof cb.bind_actions !== 'function') {
      console.error('demo card: the widget lacks render, init or bind_actions; amoCRM would drop it');
      return;
    }
    if (cb.render() === true) cb.init();
    cb.bind_actions();
    window.demoWidget = w;
  };
  window.define.amd = {};

  // Refresh the left column after the calculator saved, as amoCRM's card shows the new budget.
  function refreshLead() {
    fetch('/demo/lead?lead=' + encodeURIComponent(cfg.lead_id), { credentials: 'omit' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (l) {
        if (!l) return;
        var price = document.getElementById('lead-price');
        price.textContent = l.price_text;
        price.setAttribute('data-price', String(l.price));
        fill('lead-products', l.products || [], 'Нет товаров', function (p, li) {
          var a = document.createElement('span');
          a.textContent = p.name;
          var b = document.createElement('span');
          b.className = 'muted';
          b.textContent = p.display;
          li.appendChild(a);
          li.appendChild(b);
        });
        fill('lead-notes', l.notes || [], 'Нет примечаний', function (n, li) { li.textContent = n; });
      });
  }

  function fill(id, items, empty, draw) {
    var ul = document.getElementById(id);
    ul.textContent = '';
    if (!items.length) {
      var li = document.createElement('li');
      li.className = 'muted';
      li.textContent = empty;
      ul.appendChild(li);
    }
    items.forEach(function (it) {
      var li = document.createElement('li');
      draw(it, li);
      ul.appendChild(li);
    });
  }

  window.addEventListener('message', function (ev) {
    var frame = document.querySelector('#widgets iframe');
    if (!frame || ev.source !== frame.contentWindow || ev.origin !== window.location.origin) return;
    if (ev.data && ev.data.type === 'amokit:calc:saved') refreshLead();
  });

  var s = document.createElement('script');
  s.src = cfg.script_url;
  document.head.appendChild(s);
})();
