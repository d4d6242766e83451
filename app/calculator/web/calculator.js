/*
 * The glass calculator page: the iframe inside the amoCRM lead card.
 *
 * It reads its session ticket from its own URL (?ticket=) and sends it as
 * "Authorization: Bearer" to the widget backend: get_lead for the lead on top,
 * POST /widget/calculate for a live quote while the user types, save_calculation
 * to write the quote into the deal, and the lead's earlier calculations. The
 * price list comes embedded in the page. Plain DOM, no framework, no build step.
 *
 * The ticket lives a short while. The widget block in the card renews it before it runs out
 * and posts the new one here ({type: TICKET}); a request refused with 401 asks the block for
 * one ({type: RENEW}) and is sent again once. The form is kept per lead in localStorage, so a
 * reload or a session that could not be renewed loses nothing typed.
 *
 * The total and Save sit in a bar that stays in view while the form scrolls: the card caps the
 * frame at its window's height, so a long order scrolls inside the frame, under the bar.
 */
(function () {
  'use strict';

  var RESIZE = 'amokit:calc:resize';
  var SAVED = 'amokit:calc:saved';
  var SHOW = 'amokit:calc:show';
  var RENEW = 'amokit:calc:renew';
  var TICKET = 'amokit:calc:ticket';
  var RENEW_WAIT_MS = 20000;
  var DRAFT_PREFIX = 'amokit:calc:draft:';
  var QUOTE_DELAY_MS = 300;
  var NBSP = '\u00a0';

  var PL = JSON.parse(document.getElementById('pricelist').textContent);
  // priceVersion is the price list of a calculation reopened from the history when it is not the
  // current one: the form is priced with its prices until the manager asks for the current ones.
  var priceVersion = null;
  var ticket = new URLSearchParams(window.location.search).get('ticket') || '';

  var EDGE_NAMES = { none: 'Без обработки', grind: 'Шлифовка', polish: 'Полировка', facet: 'Фацет' };
  var UNITS = { m2: 'м²', m: 'м', pcs: 'шт' };
  var PART_NAMES = { price: 'бюджет', note: 'примечание', products: 'товары' };

  var $ = function (id) { return document.getElementById(id); };

  // ---------------------------------------------------------------- state

  var lead = null;
  var state = emptyState();
  var lastQuote = null; // the last quote of the current order, or null
  var orderValid = false;
  var pendingSave = null; // {key, body} of an attempt that did not finish: a retry reuses its key
  var saved = null; // {key, body} of the last complete save: the same order is not written again
  var saving = false;
  var touched = false; // the form was changed by hand since the page opened
  var savedCalcs = []; // the lead's saved calculations, newest first

  function emptyState() {
    return { pieces: [newPiece()], hardware: [], installation: false, delivery: false, urgent: false, discount: '0' };
  }

  function material(code) {
    for (var i = 0; i < PL.materials.length; i++) if (PL.materials[i].code === code) return PL.materials[i];
    return null;
  }

  function thicknesses(code) {
    var m = material(code);
    if (!m) return [];
    return Object.keys(m.prices).map(Number).sort(function (a, b) { return a - b; });
  }

  function edgesFor(thickness) {
    var out = ['none'];
    PL.edges.forEach(function (e) {
      if (Object.prototype.hasOwnProperty.call(e.prices, String(thickness))) out.push(e.code);
    });
    return out;
  }

  function newPiece() {
    var m = PL.materials[0];
    var ts = thicknesses(m.code);
    var t = ts.indexOf(6) >= 0 ? 6 : ts[0];
    return {
      material: m.code, thickness: String(t), width: '', height: '', quantity: '1', edge: 'none',
      tempered: false, holes: [], cutouts: '0', rounded: '0'
    };
  }

  // fitPiece keeps a piece's choices consistent with its material after a change.
  function fitPiece(p) {
    var ts = thicknesses(p.material);
    if (ts.indexOf(Number(p.thickness)) < 0) {
      // the nearest thickness the new material is sold in
      var want = Number(p.thickness) || 0;
      var best = ts[0];
      ts.forEach(function (t) { if (Math.abs(t - want) < Math.abs(best - want)) best = t; });
      p.thickness = String(best);
    }
    if (edgesFor(p.thickness).indexOf(p.edge) < 0) p.edge = 'none';
    var m = material(p.material);
    if (m && m.kind !== 'glass') p.tempered = false;
  }

  // readNumber reads a number as people type it in Russia: a comma or a point before the
  // fraction, spaces (ordinary, non-breaking, thin) between thousands, a minus of any kind.
  // It returns {blank: true}, {value, fraction} or {error}: text it cannot read exactly is
  // refused with a message, never guessed at.
  function readNumber(text) {
    var s = String(text == null ? '' : text).replace(/[\s\u00a0\u2007\u2009\u202f]+/g, ' ').trim();
    if (s === '') return { blank: true };
    var m = /^([-\u2212\u2013]?) ?(\d{1,3}(?: \d{3})+|\d+)(?:[.,](\d+))?$/.exec(s);
    if (!m) {
      if (/^[-\u2212\u2013]? ?[\d ]+(?:[.,]\d+)?$/.test(s)) {
        return { error: 'Не понятно, какое это число: «' + s + '». Пробелы ставятся только между тысячами, например 1 500.' };
      }
      return { error: 'Это не число: «' + s + '». Введите цифры, например 1 500 или 150,5.' };
    }
    var digits = m[2].replace(/ /g, '');
    var frac = m[3] || '';
    var value = Number((m[1] ? '-' : '') + digits + (frac ? '.' + frac : ''));
    return { value: value, fraction: /[1-9]/.test(frac), text: s };
  }

  // Whole-number fields: what each holds, said when a fraction is typed.
  var WHOLE = {
    mm: function (t, lo, hi) { return 'Размеры — в целых миллиметрах: вместо «' + t + '» введите ' + lo + ' или ' + hi + '.'; },
    count: function (t, lo, hi) { return 'Нужно целое число: вместо «' + t + '» введите ' + lo + ' или ' + hi + '.'; },
    percent: function (t, lo, hi) { return 'Скидка — в целых процентах: вместо «' + t + '» введите ' + lo + ' или ' + hi + '.'; }
  };

  // wholeNumber reads a field that holds a whole number. It returns {value} (undefined for a
  // blank field) or {error}, the message to show at the field.
  function wholeNumber(text, kind, blankMessage) {
    var r = readNumber(text);
    if (r.blank) return blankMessage ? { error: blankMessage } : { value: undefined };
    if (r.error) return r;
    if (r.fraction) return { error: WHOLE[kind](r.text, Math.floor(r.value), Math.ceil(r.value)) };
    if (!Number.isSafeInteger(r.value)) return { error: 'Слишком большое число: «' + r.text + '».' };
    return { value: r.value };
  }

  // readOrder turns the form into an order. It returns {order} or {errors: [{path, message}]}
  // for the fields that cannot be read, which then go nowhere but next to their fields.
  function readOrder() {
    var errors = [];
    function field(path, text, kind, blankMessage) {
      var r = wholeNumber(text, kind, blankMessage);
      if (r.error) errors.push({ path: path, message: r.error });
      return r.value;
    }
    var order = {
      pieces: state.pieces.map(function (p, i) {
        var at = 'pieces[' + i + '].';
        return {
          material: p.material,
          thickness_mm: Number(p.thickness),
          width_mm: field(at + 'width_mm', p.width, 'mm', 'Укажите ширину в миллиметрах.'),
          height_mm: field(at + 'height_mm', p.height, 'mm', 'Укажите высоту в миллиметрах.'),
          quantity: field(at + 'quantity', p.quantity, 'count', 'Укажите количество.'),
          edge: p.edge,
          tempered: p.tempered,
          holes: p.holes.map(function (h, j) { return field(at + 'holes[' + j + ']', h, 'mm', 'Укажите диаметр отверстия.'); }),
          cutouts: field(at + 'cutouts', p.cutouts, 'count'),
          rounded_corners: field(at + 'rounded_corners', p.rounded, 'count')
        };
      }),
      hardware: state.hardware.map(function (h, i) {
        return { code: h.code, count: field('hardware[' + i + ']', h.count, 'count', 'Укажите количество.') };
      }),
      installation: state.installation,
      delivery: state.delivery,
      urgent: state.urgent,
      discount_percent: field('discount_percent', state.discount, 'percent')
    };
    return errors.length ? { errors: errors } : { order: order };
  }

  function stateFromOrder(o) {
    var s = emptyState();
    s.pieces = (o.pieces || []).map(function (p) {
      return {
        material: p.material, thickness: String(p.thickness_mm), width: String(p.width_mm), height: String(p.height_mm),
        quantity: String(p.quantity), edge: p.edge || 'none', tempered: !!p.tempered,
        holes: (p.holes || []).map(String), cutouts: String(p.cutouts || 0), rounded: String(p.rounded_corners || 0)
      };
    });
    if (!s.pieces.length) s.pieces = [newPiece()];
    s.hardware = (o.hardware || []).map(function (h) { return { code: h.code, count: String(h.count) }; });
    s.installation = !!o.installation;
    s.delivery = !!o.delivery;
    s.urgent = !!o.urgent;
    s.discount = String(o.discount_percent || 0);
    return s;
  }

  // ---------------------------------------------------------------- formatting

  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  }

  function kopecks(k) {
    var neg = k < 0;
    k = Math.abs(k);
    var c = k % 100;
    return (neg ? '−' : '') + group(Math.floor(k / 100)) + ',' + (c < 10 ? '0' : '') + c + NBSP + '₽';
  }

  function roubles(r) {
    return (r < 0 ? '−' : '') + group(Math.abs(r)) + NBSP + '₽';
  }

  function quantity(q, unit) {
    return String(q).replace('.', ',') + NBSP + (UNITS[unit] || unit);
  }

  function dateTime(s) {
    var d = new Date(s);
    if (isNaN(d.getTime())) return '';
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return p(d.getDate()) + '.' + p(d.getMonth() + 1) + '.' + d.getFullYear() + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function option(value, label, selected) {
    var o = el('option', null, label);
    o.value = value;
    if (selected) o.selected = true;
    return o;
  }

  // ---------------------------------------------------------------- rendering the form

  function renderPieces() {
    var box = $('pieces');
    box.textContent = '';
    var tpl = $('piece-template');
    state.pieces.forEach(function (p, i) {
      var node = tpl.content.firstElementChild.cloneNode(true);
      node.setAttribute('data-index', String(i));
      node.setAttribute('data-path', 'pieces[' + i + ']');
      node.querySelector('.piece-title').textContent = 'Изделие ' + (i + 1);
      node.querySelector('[data-action="remove-piece"]').hidden = state.pieces.length === 1;
      var mat = node.querySelector('[data-key="material"]');
      PL.materials.forEach(function (m) { mat.appendChild(option(m.code, m.name, m.code === p.material)); });
      fillPieceOptions(node, p);
      node.querySelector('[data-key="width_mm"]').value = p.width;
      node.querySelector('[data-key="height_mm"]').value = p.height;
      node.querySelector('[data-key="quantity"]').value = p.quantity;
      node.querySelector('[data-key="cutouts"]').value = p.cutouts;
      node.querySelector('[data-key="rounded_corners"]').value = p.rounded;
      node.querySelectorAll('.field[data-field]').forEach(function (f) {
        var key = f.getAttribute('data-field');
        f.setAttribute('data-path', 'pieces[' + i + '].' + key);
        // Each control is named by its label and described by its error box.
        var id = 'p' + i + '-' + key;
        var ctl = f.querySelector(':scope > input, :scope > select');
        var lab = f.querySelector(':scope > label');
        var err = f.querySelector(':scope > .err');
        err.id = id + '-err';
        lab.id = id + '-label';
        if (ctl) {
          ctl.id = id;
          lab.htmlFor = id;
          ctl.setAttribute('aria-describedby', err.id);
        }
      });
      var holes = node.querySelector('.holes');
      holes.setAttribute('role', 'group');
      holes.setAttribute('aria-labelledby', 'p' + i + '-holes-label');
      var temper = node.querySelector('[data-key="tempered"]');
      var temperErr = node.querySelector('[data-err-field="tempered"]');
      temperErr.id = 'p' + i + '-tempered-err';
      node.querySelector('[data-role="temper-note"]').id = 'p' + i + '-tempered-note';
      temper.setAttribute('aria-describedby', temperErr.id + ' p' + i + '-tempered-note');
      renderHoles(node, p);
      box.appendChild(node);
    });
    showFullNames();
  }

  // showFullNames writes a chosen name that its select cuts (a long material name in a narrow
  // column) in full under it. Screen readers read the option itself; the line is for the eye.
  var measure = null;
  function showFullNames() {
    measure = measure || document.createElement('canvas').getContext('2d');
    $('pieces').querySelectorAll('[data-key="material"]').forEach(function (sel) {
      var line = sel.parentNode.querySelector('[data-role="full-name"]');
      var o = sel.options[sel.selectedIndex];
      var cs = getComputedStyle(sel);
      measure.font = cs.font;
      // 20 px for the select's arrow
      var room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
      var cut = !!o && sel.clientWidth > 0 && measure.measureText(o.text).width > room;
      line.textContent = cut ? o.text : '';
      line.hidden = !cut;
    });
  }

  // fillPieceOptions sets the choices that depend on the material and thickness.
  function fillPieceOptions(node, p) {
    var th = node.querySelector('[data-key="thickness_mm"]');
    th.textContent = '';
    thicknesses(p.material).forEach(function (t) { th.appendChild(option(String(t), t + ' мм', String(t) === p.thickness)); });
    var edge = node.querySelector('[data-key="edge"]');
    edge.textContent = '';
    edgesFor(p.thickness).forEach(function (code) {
      var e = null;
      PL.edges.forEach(function (x) { if (x.code === code) e = x; });
      edge.appendChild(option(code, EDGE_NAMES[code] || (e && e.name) || code, code === p.edge));
    });
    var temp = node.querySelector('[data-key="tempered"]');
    var m = material(p.material);
    temp.disabled = !!m && m.kind !== 'glass';
    temp.checked = p.tempered;
    var why = node.querySelector('[data-role="temper-note"]');
    why.textContent = temp.disabled ? (m && m.kind === 'mirror' ? 'Зеркало' : 'Триплекс') + ' не закаливают, поэтому закалка недоступна.' : '';
    why.hidden = !temp.disabled;
  }

  function renderHoles(node, p) {
    var box = node.querySelector('.holes');
    box.textContent = '';
    p.holes.forEach(function (h, j) {
      var chip = el('span', 'hole');
      chip.setAttribute('data-path', node.getAttribute('data-path') + '.holes[' + j + ']');
      var input = el('input');
      input.type = 'text';
      input.inputMode = 'numeric';
      input.value = h;
      input.setAttribute('data-key', 'hole');
      input.setAttribute('data-hole', String(j));
      input.setAttribute('aria-label', 'Диаметр отверстия ' + (j + 1) + ', мм');
      input.setAttribute('aria-describedby', 'p' + node.getAttribute('data-index') + '-holes-err');
      var rm = el('button', 'remove', '×');
      rm.type = 'button';
      rm.setAttribute('data-action', 'remove-hole');
      rm.setAttribute('data-hole', String(j));
      rm.setAttribute('aria-label', 'Удалить отверстие ' + (j + 1));
      chip.appendChild(input);
      chip.appendChild(rm);
      box.appendChild(chip);
    });
  }

  function renderHardware() {
    var box = $('hardware');
    box.textContent = '';
    state.hardware.forEach(function (h, i) {
      var row = el('div', 'hw field');
      row.setAttribute('data-index', String(i));
      row.setAttribute('data-path', 'hardware[' + i + ']');
      var sel = el('select');
      sel.setAttribute('data-key', 'code');
      sel.setAttribute('aria-label', 'Фурнитура ' + (i + 1));
      (PL.hardware || []).forEach(function (x) {
        sel.appendChild(option(x.code, x.name, x.code === h.code));
      });
      var count = el('input');
      count.type = 'text';
      count.inputMode = 'numeric';
      count.value = h.count;
      count.setAttribute('data-key', 'count');
      count.setAttribute('aria-label', 'Количество: фурнитура ' + (i + 1));
      count.setAttribute('aria-describedby', 'hw' + i + '-err');
      var rm = el('button', 'remove', '×');
      rm.type = 'button';
      rm.setAttribute('data-action', 'remove-hardware');
      rm.setAttribute('aria-label', 'Удалить фурнитуру ' + (i + 1));
      var line = el('div', 'hw-line');
      line.appendChild(sel);
      line.appendChild(count);
      line.appendChild(rm);
      row.appendChild(line);
      var price = el('div', 'hint hw-price', hardwarePrice(h.code));
      price.id = 'hw' + i + '-price';
      sel.setAttribute('aria-describedby', price.id + ' hw' + i + '-err');
      row.appendChild(price);
      var err = el('div', 'err');
      err.id = 'hw' + i + '-err';
      row.appendChild(err);
      box.appendChild(row);
    });
    $('add-hardware').hidden = !(PL.hardware && PL.hardware.length);
  }

  // hardwarePrice is the price of a hardware item per unit, shown under its name: the names
  // alone fill the select in a narrow column.
  function hardwarePrice(code) {
    var x = null;
    (PL.hardware || []).forEach(function (y) { if (y.code === code) x = y; });
    return x ? roubles(x.price) + ' за ' + (UNITS[x.unit] || x.unit) : '';
  }

  function renderServices() {
    $('installation').checked = state.installation;
    $('delivery').checked = state.delivery;
    $('urgent').checked = state.urgent;
    $('discount').value = state.discount;
  }

  function renderAll() {
    renderPieces();
    renderHardware();
    renderServices();
  }

  // ---------------------------------------------------------------- form events

  function pieceIndex(target) {
    var f = target.closest('fieldset.piece');
    return f ? Number(f.getAttribute('data-index')) : -1;
  }

  // onInput takes a field's value into the state. The change event that follows the input
  // events of a text field (on blur, as when Save is clicked) changes nothing and is ignored:
  // it must not turn the quote stale under the click.
  function onInput(ev) {
    var t = ev.target;
    var before = JSON.stringify(state);
    var key = t.getAttribute('data-key');
    var i = pieceIndex(t);
    if (i >= 0 && key) {
      var p = state.pieces[i];
      var node = t.closest('fieldset.piece');
      switch (key) {
        case 'material': p.material = t.value; fitPiece(p); fillPieceOptions(node, p); showFullNames(); break;
        case 'thickness_mm': p.thickness = t.value; fitPiece(p); fillPieceOptions(node, p); break;
        case 'width_mm': p.width = t.value; break;
        case 'height_mm': p.height = t.value; break;
        case 'quantity': p.quantity = t.value; break;
        case 'edge': p.edge = t.value; break;
        case 'tempered': p.tempered = t.checked; break;
        case 'hole': p.holes[Number(t.getAttribute('data-hole'))] = t.value; break;
        case 'cutouts': p.cutouts = t.value; break;
        case 'rounded_corners': p.rounded = t.value; break;
      }
    } else if (t.closest('.hw')) {
      var h = state.hardware[Number(t.closest('.hw').getAttribute('data-index'))];
      if (key === 'code') {
        h.code = t.value;
        t.closest('.hw').querySelector('.hw-price').textContent = hardwarePrice(h.code);
      }
      if (key === 'count') h.count = t.value;
    } else {
      switch (t.id) {
        case 'installation': state.installation = t.checked; break;
        case 'delivery': state.delivery = t.checked; break;
        case 'urgent': state.urgent = t.checked; break;
        case 'discount': state.discount = t.value; break;
        default: return;
      }
    }
    if (JSON.stringify(state) === before) return;
    touched = true;
    orderChanged();
  }

  function pieceNode(i) {
    return $('pieces').querySelectorAll('fieldset.piece')[i];
  }

  function onClick(ev) {
    var b = ev.target.closest('button');
    if (!b) return;
    var action = b.getAttribute('data-action') || b.id;
    var i = pieceIndex(b);
    switch (action) {
      case 'add-piece':
        var last = state.pieces[state.pieces.length - 1];
        var p = newPiece();
        if (last) { p.material = last.material; p.thickness = last.thickness; p.edge = last.edge; p.tempered = last.tempered; }
        state.pieces.push(p);
        renderPieces();
        var nodes = $('pieces').querySelectorAll('fieldset.piece');
        nodes[nodes.length - 1].querySelector('[data-key="width_mm"]').focus();
        break;
      // Adding and removing redraw the form; focus goes where the person continues, never to
      // the page's body.
      case 'remove-piece':
        if (state.pieces.length > 1) state.pieces.splice(i, 1);
        renderPieces();
        $('add-piece').focus();
        break;
      case 'add-hole':
        state.pieces[i].holes.push('12');
        renderPieces();
        var added = pieceNode(i).querySelectorAll('.hole input');
        added[added.length - 1].focus();
        break;
      case 'remove-hole':
        var j = Number(b.getAttribute('data-hole'));
        state.pieces[i].holes.splice(j, 1);
        renderPieces();
        var left = pieceNode(i).querySelectorAll('.hole input');
        if (left.length) left[Math.min(j, left.length - 1)].focus();
        else pieceNode(i).querySelector('[data-action="add-hole"]').focus();
        break;
      case 'add-hardware':
        state.hardware.push({ code: PL.hardware[0].code, count: '1' });
        renderHardware();
        var rows = $('hardware').querySelectorAll('.hw [data-key="code"]');
        rows[rows.length - 1].focus();
        break;
      case 'remove-hardware':
        state.hardware.splice(Number(b.closest('.hw').getAttribute('data-index')), 1);
        renderHardware();
        $('add-hardware').focus();
        break;
      default:
        return;
    }
    touched = true;
    orderChanged();
  }

  // ---------------------------------------------------------------- talking to the server

  // ticketWaiters are the renewals waiting for a new ticket from the card.
  var ticketWaiters = [];

  function onTicket(ev) {
    if (window.parent === window || ev.source !== window.parent) return;
    var d = ev.data;
    if (!d || d.type !== TICKET || typeof d.ticket !== 'string' || !d.ticket) return;
    ticket = d.ticket;
    try {
      history.replaceState(null, '', location.pathname + '?ticket=' + encodeURIComponent(ticket));
    } catch (e) { /* the address keeps the old ticket; the next 401 renews it again */ }
    var waiting = ticketWaiters;
    ticketWaiters = [];
    waiting.forEach(function (f) { f(true); });
  }

  // renewTicket asks the card for a new ticket and resolves to whether one came.
  function renewTicket() {
    return new Promise(function (resolve) {
      if (!window.parent || window.parent === window) { resolve(false); return; }
      var timer = null;
      var waiter = function (ok) { clearTimeout(timer); resolve(ok); };
      ticketWaiters.push(waiter);
      timer = setTimeout(function () {
        var i = ticketWaiters.indexOf(waiter);
        if (i >= 0) ticketWaiters.splice(i, 1);
        resolve(false);
      }, RENEW_WAIT_MS);
      if (ticketWaiters.length === 1) notifyParent({ type: RENEW });
    });
  }

  // api calls the widget backend with the ticket and resolves to {status, body}; a network
  // failure rejects. A 401 renews the ticket and sends the request once more.
  function api(method, path, payload, signal, renewed) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + ticket, Accept: 'application/json' }, signal: signal, credentials: 'omit' };
    if (payload !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    }
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        var out = { status: res.status, body: body, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
        if (res.status !== 401 || renewed) return out;
        return renewTicket().then(function (ok) {
          return ok ? api(method, path, payload, signal, true) : out;
        });
      });
    });
  }

  function errorMessage(res, fallback) {
    var e = res && res.body && res.body.error;
    return (e && typeof e.message === 'string' && e.message) || fallback;
  }

  function sessionOver(res) {
    if (res.status !== 401) return false;
    fatal('Сессия калькулятора закончилась, и продлить её не удалось. Обновите страницу сделки: всё введённое сохранится в форме.');
    return true;
  }

  function fatal(msg) {
    var f = $('fatal');
    f.textContent = msg;
    f.hidden = false;
    $('calc').setAttribute('data-state', 'error');
    $('save').setAttribute('aria-disabled', 'true');
    resized();
  }

  // ---------------------------------------------------------------- the live quote

  var quoteTimer = null;
  var quoteSeq = 0;
  var quoteCtl = null;

  function orderChanged() {
    storeDraft();
    lastQuote = null;
    orderValid = false;
    if (!saving) setSaveState('idle', '');
    updateSaveButton();
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(runQuote, QUOTE_DELAY_MS);
    setQuoteState('pending', 'Считаем…');
  }

  function missingSizes() {
    for (var i = 0; i < state.pieces.length; i++) {
      var p = state.pieces[i];
      if (String(p.width).trim() === '' || String(p.height).trim() === '') return i;
    }
    return -1;
  }

  function runQuote() {
    if (quoteCtl) quoteCtl.abort();
    var seq = ++quoteSeq;
    quoteCtl = null;
    var gap = missingSizes();
    if (gap >= 0) {
      clearErrors();
      showLines(null);
      setQuoteState('empty', state.pieces.length > 1 ? 'Заполните размеры изделия ' + (gap + 1) + '.' : 'Заполните размеры изделия.');
      return;
    }
    var read = readOrder();
    if (read.errors) {
      showLines(null);
      showFieldErrors(read.errors);
      setQuoteState('invalid', 'Исправьте отмеченные поля — тогда расчёт появится.');
      updateSaveButton();
      return;
    }
    quoteCtl = typeof AbortController === 'function' ? new AbortController() : null;
    var calcPath = '/widget/calculate' + (priceVersion ? '?price_list=' + encodeURIComponent(priceVersion) : '');
    api('POST', calcPath, read.order, quoteCtl && quoteCtl.signal).then(function (res) {
      if (seq !== quoteSeq) return;
      if (sessionOver(res)) return;
      if (res.status === 200 && res.body) {
        clearErrors();
        lastQuote = res.body.quote || res.body;
        orderValid = true;
        showQuote(lastQuote);
      } else if (res.status === 422) {
        showLines(null);
        showFieldErrors(res.body && res.body.error && res.body.error.fields);
        setQuoteState('invalid', errorMessage(res, 'В заказе есть ошибки') + ': исправьте отмеченные поля.');
      } else {
        showLines(null);
        setQuoteState('error', 'Не удалось посчитать: ' + errorMessage(res, 'сервер ответил ' + res.status) + '.');
      }
      updateSaveButton();
    }, function (err) {
      if (seq !== quoteSeq || (err && err.name === 'AbortError')) return;
      showLines(null);
      setQuoteState('error', 'Нет связи с сервером калькулятора. Расчёт повторится при следующем изменении.');
      updateSaveButton();
    });
  }

  function setQuoteState(s, text) {
    $('quote').setAttribute('data-state', s);
    $('bar').setAttribute('data-state', s);
    $('quote-status').textContent = text || '';
    $('quote-status').hidden = !text;
    resized();
  }

  function showLines(q) {
    var body = $('lines').tBodies[0];
    body.textContent = '';
    $('lines').hidden = !q;
    $('lead-total-row').hidden = !q;
    // The bar keeps its line: a dash while there is no total.
    $('total').textContent = q ? kopecks(q.total) : '—';
    showProductsNote();
    if (!q) { resized(); return; }
    q.lines.forEach(function (l) {
      var tr = el('tr');
      if (l.amount < 0) tr.className = 'minus';
      var name = el('td', 'n');
      var prefix = state.pieces.length > 1 && l.piece != null ? 'Изд. ' + (l.piece + 1) + ': ' : '';
      name.appendChild(document.createTextNode(prefix + l.name));
      // Urgency and discount are shares of the order: "1 шт × −860,20 ₽" would read oddly.
      if (l.code !== 'urgency' && l.code !== 'discount') {
        name.appendChild(el('div', 'q', quantity(l.quantity, l.unit) + ' × ' + kopecks(l.unit_price)));
      }
      tr.appendChild(name);
      tr.appendChild(el('td', 'a', kopecks(l.amount)));
      tr.setAttribute('data-code', l.code);
      body.appendChild(tr);
    });
    $('lead-total').textContent = roubles(q.lead_price);
    resized();
  }

  function showQuote(q) {
    showLines(q);
    setQuoteState('ready', '');
  }

  // ---------------------------------------------------------------- errors next to their fields

  function clearErrors() {
    document.querySelectorAll('.err').forEach(function (e) { e.textContent = ''; });
    document.querySelectorAll('.invalid').forEach(function (e) { e.classList.remove('invalid'); });
    document.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
    var other = $('other-errors');
    other.textContent = '';
    other.hidden = true;
  }

  function addError(box, msg) {
    if (!box) return false;
    box.textContent = box.textContent ? box.textContent + ' ' + msg : msg;
    return true;
  }

  // errorTarget finds where a message about a JSON path goes: the field's own error box, or the
  // nearest enclosing one (a hole → its piece's holes, a piece → the piece).
  function placeError(path, msg) {
    path = String(path || '').replace(/^order\.?/, '');
    var m = /^pieces\[(\d+)\](?:\.([a-z_]+))?(?:\[(\d+)\])?/.exec(path);
    if (m) {
      var piece = $('pieces').querySelectorAll('fieldset.piece')[Number(m[1])];
      if (!piece) return false;
      if (!m[2]) return addError(piece.querySelector('[data-role="piece-err"]'), msg);
      if (m[2] === 'tempered') {
        piece.querySelector('[data-field="tempered"]').classList.add('invalid');
        return addError(piece.querySelector('[data-err-field="tempered"]'), msg);
      }
      var field = piece.querySelector('.field[data-field="' + m[2] + '"]');
      if (!field) return addError(piece.querySelector('[data-role="piece-err"]'), msg);
      field.classList.add('invalid');
      if (m[2] === 'holes' && m[3] != null) {
        var chip = field.querySelectorAll('.hole')[Number(m[3])];
        if (chip) {
          chip.classList.add('invalid');
          chip.querySelector('input').setAttribute('aria-invalid', 'true');
        }
        return addError(field.querySelector('.err'), 'Отверстие ' + (Number(m[3]) + 1) + ': ' + msg);
      }
      var input = field.querySelector('input, select');
      if (input) input.setAttribute('aria-invalid', 'true');
      return addError(field.querySelector('.err'), msg);
    }
    var h = /^hardware\[(\d+)\]/.exec(path);
    if (h) {
      var row = $('hardware').querySelectorAll('.hw')[Number(h[1])];
      if (!row) return addError(document.querySelector('[data-err="hardware"]'), msg);
      row.classList.add('invalid');
      return addError(row.querySelector('.err'), msg);
    }
    var top = /^([a-z_]+)/.exec(path);
    if (top) {
      var box = document.querySelector('[data-err="' + top[1] + '"]');
      if (box) {
        var f = box.closest('.field');
        if (f) f.classList.add('invalid');
        return addError(box, msg);
      }
    }
    return false;
  }

  function showFieldErrors(fields) {
    clearErrors();
    var other = $('other-errors');
    (fields || []).forEach(function (f) {
      var path = f.path != null ? f.path : f.field;
      if (!placeError(path, f.message)) {
        other.appendChild(el('li', null, f.message));
        other.hidden = false;
      }
    });
    resized();
  }

  // ---------------------------------------------------------------- saving into the deal

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // currentBody is the order as it would be saved, or null while the form cannot be read.
  function currentBody() {
    var read = readOrder();
    return read.errors ? null : JSON.stringify(read.order);
  }

  // isSaved reports whether the form shows the order saved last.
  function isSaved() {
    return !!saved && !pendingSave && currentBody() === saved.body;
  }

  // updateSaveButton says whether Save can be pressed now. It is marked aria-disabled rather
  // than disabled, so a keyboard user's focus stays on it through a save.
  function updateSaveButton() {
    var b = $('save');
    var done = !saving && isSaved();
    var off = saving || done || !orderValid || !lead || $('calc').getAttribute('data-state') === 'error';
    b.setAttribute('aria-disabled', off ? 'true' : 'false');
    b.setAttribute('data-state', saving ? 'saving' : done ? 'saved' : off ? 'off' : 'ready');
    b.textContent = saving ? 'Сохраняем…' : done ? 'Сохранено' : pendingSave ? 'Повторить сохранение' : 'Сохранить в сделку';
  }

  // lockForm keeps the form as it is while a save is in flight, so the saved and the shown
  // totals never differ.
  function lockForm(on) {
    $('order').inert = on;
    $('order').setAttribute('aria-busy', on ? 'true' : 'false');
    $('history').inert = on;
  }

  function setSaveState(s, text) {
    var box = $('save-status');
    box.setAttribute('data-state', s);
    box.textContent = text;
    resized();
  }

  function partsText(parts) {
    if (!parts) return '';
    return Object.keys(PART_NAMES).filter(function (k) { return parts[k]; }).map(function (k) {
      return PART_NAMES[k] + ' — ' + (parts[k] === 'done' ? 'записано' : 'не записано');
    }).join(', ');
  }

  function save() {
    if (saving || !orderValid || $('save').getAttribute('aria-disabled') === 'true') return;
    var read = readOrder();
    if (read.errors) return;
    var body = JSON.stringify(read.order);
    if (saved && saved.body === body && !pendingSave) return; // already in the deal
    // One key per attempt at saving this order: a retry after a failure reuses it, so the server
    // redoes only what failed and never writes a second note or a second set of products.
    if (!pendingSave || pendingSave.body !== body) pendingSave = { key: uuid4(), body: body };
    var attempt = pendingSave;
    saving = true;
    lockForm(true);
    updateSaveButton();
    setSaveState('saving', 'Сохраняем расчёт в сделку…');
    var versionField = priceVersion ? ',"price_list_version":' + JSON.stringify(priceVersion) : '';
    api('POST', '/widget/api', '{"action":"save_calculation","idempotency_key":' + JSON.stringify(attempt.key) + versionField + ',"order":' + attempt.body + '}')
      .then(function (res) {
        saving = false;
        lockForm(false);
        if (sessionOver(res)) return;
        var calc = res.body && res.body.calculation;
        if (res.status === 200 && calc && calc.complete !== false) {
          pendingSave = null;
          saved = { key: attempt.key, body: attempt.body };
          storeDraft();
          var price = calc.quote ? calc.quote.lead_price : lastQuote && lastQuote.lead_price;
          setSaveState('saved', 'Сохранено в сделку: бюджет ' + roubles(price) + ', примечание с расшифровкой и товары.');
          notifyParent({ type: SAVED, lead_id: lead && lead.id, lead_price: price, complete: true });
          loadLead();
        } else if (calc) {
          setSaveState('partial', 'Сохранено не полностью (' + partsText(calc.parts) + '). ' +
            errorMessage(res, 'Нажмите «Повторить сохранение»: будет дописано только недостающее.'));
          notifyParent({ type: SAVED, lead_id: lead && lead.id, complete: false });
          loadLead();
        } else if (res.status === 409 && res.body && res.body.error && res.body.error.code === 'save_in_progress') {
          // Another request still holds this save (one cut off a moment ago, say): wait as long
          // as the server says and try again with the same key.
          var wait = Math.min(60, Math.max(1, res.retryAfter || 5));
          saving = true;
          lockForm(true);
          setSaveState('saving', 'Этот расчёт ещё сохраняется. Повторим сами через ' + wait + ' с.');
          setTimeout(function () { saving = false; lockForm(false); updateSaveButton(); save(); }, wait * 1000);
        } else if (res.status === 422) {
          pendingSave = null;
          showFieldErrors(res.body && res.body.error && res.body.error.fields);
          setSaveState('failed', 'Не сохранено: ' + errorMessage(res, 'в заказе есть ошибки') + '.');
        } else if (res.status === 409 && res.body && res.body.error && res.body.error.code === 'not_connected') {
          // Pressing again will not help until the administrator connects the account.
          setSaveState('failed', 'Не сохранено: ' + errorMessage(res, 'аккаунт amoCRM не подключён') + '.');
        } else {
          setSaveState('failed', 'Не сохранено: ' + errorMessage(res, 'сервер ответил ' + res.status) + '. Можно повторить.');
        }
        storeDraft();
        updateSaveButton();
      }, function () {
        saving = false;
        lockForm(false);
        setSaveState('failed', 'Не сохранено: нет связи с сервером. Нажмите «Повторить сохранение» — расчёт не задвоится.');
        updateSaveButton();
      });
  }

  // ---------------------------------------------------------------- the form kept per lead

  function draftKey() {
    return DRAFT_PREFIX + lead.id;
  }

  // storeDraft keeps the form and the last save of this lead in the browser.
  function storeDraft() {
    if (!lead) return;
    try {
      localStorage.setItem(draftKey(), JSON.stringify({ v: 1, state: state, saved: saved, pending: pendingSave }));
    } catch (e) { /* storage refused (private mode, quota): the form still works */ }
  }

  function validDraftState(st) {
    if (!st || !Array.isArray(st.pieces) || !st.pieces.length || !Array.isArray(st.hardware)) return false;
    return st.pieces.every(function (p) { return p && typeof p === 'object' && Array.isArray(p.holes); });
  }

  // restoreDraft puts back the form kept for this lead, unless the form was changed by hand
  // before the lead loaded.
  function restoreDraft() {
    var d = null;
    try { d = JSON.parse(localStorage.getItem(draftKey()) || 'null'); } catch (e) { d = null; }
    if (!d || d.v !== 1 || !validDraftState(d.state)) {
      storeDraft();
      return;
    }
    var okAttempt = function (a) { return a && typeof a.key === 'string' && typeof a.body === 'string' ? a : null; };
    saved = okAttempt(d.saved);
    pendingSave = okAttempt(d.pending);
    if (touched) { storeDraft(); return; }
    var s = emptyState();
    Object.keys(s).forEach(function (k) { if (d.state[k] !== undefined) s[k] = d.state[k]; });
    s.pieces = d.state.pieces.map(function (p) {
      var n = newPiece();
      Object.keys(n).forEach(function (k) { if (p[k] !== undefined && p[k] !== null) n[k] = k === 'holes' ? p[k].map(String) : p[k]; });
      if (!material(n.material)) n.material = PL.materials[0].code;
      fitPiece(n);
      return n;
    });
    s.hardware = d.state.hardware.filter(function (h) {
      return h && (PL.hardware || []).some(function (x) { return x.code === h.code; });
    }).map(function (h) { return { code: h.code, count: String(h.count) }; });
    state = s;
    renderAll();
    orderChanged();
  }

  // ---------------------------------------------------------------- the lead and its history

  // loadLead reads the lead and its saved calculations in one request (action=start), so the
  // calculator is ready after one round trip to the server.
  function loadLead() {
    return api('GET', '/widget/api?action=start').then(function (res) {
      if (sessionOver(res)) return;
      if (res.status !== 200 || !res.body || !res.body.lead) {
        $('lead-name').textContent = 'Сделка не загружена';
        fatal('Не удалось загрузить сделку: ' + errorMessage(res, 'сервер ответил ' + res.status) + '.');
        return;
      }
      var first = !lead;
      lead = res.body.lead;
      if (first) restoreDraft();
      $('lead-name').textContent = lead.name ? lead.name : 'Сделка №' + lead.id;
      $('lead-name').title = 'Сделка №' + lead.id;
      var c = lead.contact;
      var contact = c ? [c.name, c.phone, c.email].filter(Boolean).join(' · ') : '';
      $('lead-contact').textContent = contact || 'Контакт не указан';
      $('lead-price').textContent = roubles(lead.price || 0);
      $('calc').setAttribute('data-state', 'ready');
      showHistory(res.body.calculations || []);
      updateSaveButton();
      resized();
    }, function () {
      fatal('Нет связи с сервером калькулятора. Обновите страницу сделки.');
    });
  }

  function showHistory(calcs) {
    var list = $('history');
    list.textContent = '';
    savedCalcs = calcs;
    showProductsNote();
    $('history-empty').hidden = calcs.length > 0;
    calcs.forEach(function (c, i) {
      var li = el('li', c.complete === false ? 'partial' : '');
      var head = el('div', 'h-head');
      var name = el('span', 'h-name');
      name.appendChild(el('b', 'h-num', 'Расчёт №' + (c.number || calcs.length - i)));
      // created_local is the time in the account's zone, with the zone; the browser's own zone
      // stands in for calculations saved before the server gave it.
      name.appendChild(el('span', 'h-date', ' от ' + (c.created_local || dateTime(c.created_at))));
      head.appendChild(name);
      head.appendChild(el('b', 'h-total', c.quote ? kopecks(c.quote.total) : '—'));
      li.appendChild(head);
      var n = c.order && c.order.pieces ? c.order.pieces.length : 0;
      var desc = n + ' ' + (n % 10 === 1 && n % 100 !== 11 ? 'изделие' : (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20)) ? 'изделия' : 'изделий');
      if (c.user_name) desc = c.user_name + ' · ' + desc;
      if (c.complete === false) desc += ' · сохранён не полностью';
      li.appendChild(el('div', 'h-desc', desc));
      if (c.order) {
        var load = el('button', 'link', 'Открыть в форме');
        load.type = 'button';
        load.addEventListener('click', function () {
          if (saving) return;
          touched = true;
          state = stateFromOrder(c.order);
          state.pieces.forEach(fitPiece);
          pendingSave = null;
          setPriceVersion(c.quote && c.quote.price_list_version);
          renderAll();
          orderChanged();
        });
        li.appendChild(load);
      }
      list.appendChild(li);
    });
    showProposal(calcs);
    resized();
  }

  // showProductsNote says what a save does to the lead's products: the earlier calculations'
  // products are replaced, those added by hand stay. A product counts as the calculator's when
  // an earlier calculation of this lead wrote its SKU.
  function showProductsNote() {
    var box = $('products-note');
    var products = (lead && lead.products) || [];
    var ours = {};
    savedCalcs.forEach(function (c) {
      ((c.quote && c.quote.lines) || []).forEach(function (l) { ours[l.code] = true; });
    });
    var replaced = 0;
    var kept = [];
    products.forEach(function (p) {
      if (p.sku && ours[p.sku]) replaced++;
      else kept.push(p.name || p.sku || 'товар №' + p.id);
    });
    // Urgency and discount are shares of the order, not catalog products: say so whenever the
    // order has one, since the products then do not add up to the deal's budget.
    var shares = !!lastQuote && (lastQuote.lines || []).some(function (l) { return l.code === 'urgency' || l.code === 'discount'; });
    var text = '';
    if (replaced) text = 'Товары прошлого расчёта заменятся товарами этого. ';
    if (kept.length) text += 'Товары, добавленные вручную, останутся: ' + kept.join(', ') + '.';
    if (shares || products.length || savedCalcs.length) {
      text += ' Товары идут по ценам прайс-листа; наценка за срочность и скидка входят только в бюджет сделки.';
    }
    box.textContent = text.trim();
    box.hidden = !text;
    resized();
  }

  // setPriceVersion prices the form with version when it is not the current price list.
  function setPriceVersion(version) {
    priceVersion = version && version !== PL.version ? version : null;
    $('version-note').hidden = !priceVersion;
    $('version-text').textContent = priceVersion
      ? 'Расчёт открыт с ценами прайс-листа «' + priceVersion + '», по которым он был сделан. Сейчас действует «' + PL.version + '».'
      : '';
  }

  // ---------------------------------------------------------------- the commercial proposal

  var proposalParties = null; // loaded once per page

  // showProposal offers a proposal of the saved calculations, for the lead's contact or company.
  function showProposal(calcs) {
    var done = calcs.filter(function (c) { return c.complete !== false && c.quote; });
    $('proposal').hidden = done.length === 0;
    if (!done.length) return;
    var sel = $('proposal-calc');
    var keep = sel.value;
    sel.textContent = '';
    done.forEach(function (c, i) {
      var label = dateTime(c.created_at) + ' — ' + kopecks(c.quote.total) + (i === 0 ? ' (последний)' : '');
      sel.appendChild(option(c.id, label, c.id === keep));
    });
    if (proposalParties) return;
    proposalParties = [];
    api('GET', '/widget/leads/' + encodeURIComponent(lead.id) + '/proposal').then(function (res) {
      if (res.status !== 200 || !res.body) {
        proposalOff(errorMessage(res, 'Коммерческие предложения сейчас недоступны.'));
        return;
      }
      proposalParties = res.body.parties || [];
      var ps = $('proposal-party');
      ps.textContent = '';
      proposalParties.forEach(function (p) {
        var kind = p.kind === 'company' ? 'компания' : 'контакт';
        ps.appendChild(option(p.key, p.name + ' (' + kind + ')', false));
      });
      if (!proposalParties.length) {
        proposalOff('В сделке нет ни контакта, ни компании: добавьте клиента в сделку, чтобы сделать КП.');
      } else if (!res.body.configured) {
        proposalOff('Реквизиты магазина для КП не заполнены: попросите администратора заполнить их на странице администратора, кнопка «Реквизиты для КП».');
      }
      resized();
    }, function () { proposalOff('Нет связи с сервером калькулятора.'); });
  }

  function proposalOff(text) {
    $('proposal-off').textContent = text;
    $('proposal-off').hidden = false;
    $('proposal-form').hidden = true;
  }

  var makingProposal = false;
  function makeProposal() {
    if (makingProposal) return;
    var calc = $('proposal-calc').value, party = $('proposal-party').value;
    if (!calc || !party) return;
    makingProposal = true;
    $('proposal-make').setAttribute('aria-disabled', 'true');
    $('proposal-status').setAttribute('data-state', 'saving');
    $('proposal-status').textContent = 'Готовим КП и прикрепляем его к сделке…';
    api('POST', '/widget/leads/' + encodeURIComponent(lead.id) + '/proposals', JSON.stringify({ calculation_id: calc, party: party }))
      .then(function (res) {
        makingProposal = false;
        $('proposal-make').removeAttribute('aria-disabled');
        if (sessionOver(res)) return;
        var p = res.body && res.body.proposal;
        if (res.status === 200 && p) {
          $('proposal-status').setAttribute('data-state', 'saved');
          $('proposal-status').textContent = 'КП № ' + p.number + ' прикреплено к сделке: файл «' + p.file_name + '» и примечание со ссылкой.';
        } else {
          $('proposal-status').setAttribute('data-state', 'failed');
          $('proposal-status').textContent = errorMessage(res, 'Не получилось сделать КП. Попробуйте ещё раз.');
        }
        if (p) {
          $('proposal-download-row').hidden = false;
          $('proposal-download').setAttribute('data-path', p.download);
          $('proposal-download').setAttribute('data-name', p.file_name);
          $('proposal-download').textContent = 'Скачать КП № ' + p.number + ' (PDF)';
        }
        resized();
      }, function () {
        makingProposal = false;
        $('proposal-make').removeAttribute('aria-disabled');
        $('proposal-status').setAttribute('data-state', 'failed');
        $('proposal-status').textContent = 'Нет связи с сервером. Нажмите «Сделать КП» ещё раз — файл не задвоится.';
      });
  }

  // downloadProposal fetches the PDF with the ticket (it is never put in a link) and saves it.
  function downloadProposal(ev) {
    ev.preventDefault();
    var a = ev.currentTarget;
    fetch(a.getAttribute('data-path'), { headers: { Authorization: 'Bearer ' + ticket }, credentials: 'omit' })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.blob();
      })
      .then(function (blob) {
        var link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = a.getAttribute('data-name') || 'proposal.pdf';
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      })
      .catch(function () {
        $('proposal-status').setAttribute('data-state', 'failed');
        $('proposal-status').textContent = 'Не удалось скачать КП. Попробуйте ещё раз.';
      });
  }

  // ---------------------------------------------------------------- the frame around us

  function notifyParent(msg) {
    if (window.parent && window.parent !== window) {
      // Only sizes and the saved price go out, nothing secret: any origin may read them.
      window.parent.postMessage(msg, '*');
    }
  }

  // ---------------------------------------------------------------- the bar in view

  // In a narrow frame the bar with the total and Save sticks to the bottom of the frame
  // (calculator.css), over the form that scrolls under it. The page's scroll-padding keeps a
  // field the browser scrolls to above the bar; uncover does the same for a field that ends up
  // under the bar any other way (the bar grew, the frame shrank).
  var BAR_GAP = 8;

  function barResized() {
    document.documentElement.style.setProperty('--bar-h', Math.ceil($('bar').getBoundingClientRect().height) + 'px');
    uncover();
  }

  function uncover() {
    var a = document.activeElement;
    var bar = $('bar');
    if (!a || a === document.body || bar.contains(a)) return;
    var r = a.getBoundingClientRect();
    var b = bar.getBoundingClientRect();
    var across = r.left < b.right && r.right > b.left;
    if (across && r.bottom + BAR_GAP > b.top && r.top < b.bottom) window.scrollBy(0, r.bottom + BAR_GAP - b.top);
  }

  // barInView keeps the focused field clear of the bar and asks the card to bring the whole
  // frame into its window ({type: SHOW}): the bar at the frame's bottom may be below it.
  function barInView() {
    if (!document.activeElement || document.activeElement === document.body) return;
    uncover();
    if (getComputedStyle($('bar')).position === 'sticky') notifyParent({ type: SHOW });
  }

  var lastHeight = 0;
  function resized() {
    var h = Math.ceil($('calc').getBoundingClientRect().height) + 24;
    if (h !== lastHeight) {
      lastHeight = h;
      notifyParent({ type: RESIZE, height: h });
    }
  }

  // ---------------------------------------------------------------- start

  function start() {
    var form = $('order');
    form.addEventListener('input', onInput);
    form.addEventListener('change', onInput);
    form.addEventListener('click', onClick);
    form.addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('save').addEventListener('click', save);
    $('proposal-make').addEventListener('click', makeProposal);
    $('proposal-download').addEventListener('click', downloadProposal);
    $('version-current').addEventListener('click', function () {
      setPriceVersion(null);
      orderChanged();
    });
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(resized).observe($('calc'));
      new ResizeObserver(barResized).observe($('bar'));
    }
    window.addEventListener('resize', resized);
    window.addEventListener('resize', showFullNames);
    window.addEventListener('resize', uncover);
    // After the browser's own scrolling to the field that got focus; for a pointer, after its
    // click: scrolling between the press and the release would lose the click.
    var pressed = false;
    document.addEventListener('pointerdown', function () { pressed = true; }, true);
    document.addEventListener('pointerup', function () { pressed = false; setTimeout(barInView, 0); }, true);
    document.addEventListener('pointercancel', function () { pressed = false; }, true);
    document.addEventListener('focusin', function () { if (!pressed) requestAnimationFrame(barInView); });
    window.addEventListener('message', onTicket);
    renderAll();
    setQuoteState('empty', 'Заполните размеры изделия.');
    if (!ticket) {
      fatal('Калькулятор открыт без сессии. Откройте его из карточки сделки amoCRM.');
      return;
    }
    loadLead();
  }

  start();
})();
