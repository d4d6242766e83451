// The price-list editor of the admin page: the price list as tables of
// inputs, a check that shows every problem at once with the worked example's
// total, and publishing. Numbers are typed the Russian way: "1 500", "1 500,50".
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const KINDS = { glass: "Стекло", mirror: "Зеркало", laminated: "Триплекс" };
  const UNITS = { pcs: "шт.", m: "м" };
  const EDGES = { grind: "Шлифовка", polish: "Полировка", facet: "Фацет" };
  let model = null; // the price list as last loaded into the form
  let thicknesses = []; // columns of the by-thickness tables
  let uid = 0;

  // parseNumber reads "1 500", "1 500,50", "1500.5" (spaces, non-breaking
  // spaces and thin spaces between thousands; a comma or a point before the
  // kopecks). It returns null for anything else, never a guess.
  function parseNumber(text, decimals) {
    const s = String(text).replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    const re = decimals ? /^\d+(\.\d{1,2})?$/ : /^\d+$/;
    if (!re.test(s)) return null;
    return Number(s);
  }
  function formatNumber(v) {
    if (v === undefined || v === null) return "";
    const [whole, frac] = String(v).split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    return frac ? grouped + "," + (frac.length === 1 ? frac + "0" : frac) : grouped;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }
  function input(path, label, value, cls, kind) {
    return el("input", {
      id: "f" + ++uid, class: cls || "", "data-path": path, "aria-label": label,
      value: value === undefined || value === null ? "" : value, inputmode: kind === "text" ? "text" : "decimal",
      dataset: { kind: kind || "money" }, autocomplete: "off",
    });
  }
  function select(path, label, options, value) {
    const s = el("select", { id: "f" + ++uid, "data-path": path, "aria-label": label });
    for (const [v, text] of Object.entries(options)) {
      const o = el("option", { value: v, text });
      if (v === value) o.selected = true;
      s.append(o);
    }
    return s;
  }
  // removeButton removes row i of the list named table; focus then moves to
  // the remove button of the row that took its place, or of the row above,
  // or to the list's add button when the list is empty.
  function removeButton(table, i, label, list, addId) {
    const b = el("button", { type: "button", class: "remove", id: `remove-${table}-${i}`, text: "Удалить", "aria-label": "Удалить: " + label });
    b.addEventListener("click", () => {
      collect();
      list().splice(i, 1);
      const n = list().length;
      render(n === 0 ? addId : `remove-${table}-${Math.min(i, n - 1)}`);
    });
    return b;
  }
  function section(title, hint, ...body) {
    const id = "s" + ++uid;
    return el("fieldset", { "aria-labelledby": id },
      el("legend", { id, text: title }), hint ? el("p", { class: "hint", text: hint }) : null, ...body);
  }
  const thick = (t) => t + " мм";

  // collect reads the form back into model (in place) and returns the
  // problems found while reading numbers, before the server sees anything.
  function collect() {
    const problems = [];
    model.version = $("version").value.trim();
    const num = (path, label, required, decimals = true) => {
      const e = document.querySelector(`[data-path='${CSS.escape(path)}']`);
      const text = e.value.trim();
      if (text === "") {
        if (required) problems.push({ path, message: "укажите " + label });
        return undefined;
      }
      const v = parseNumber(text, decimals);
      if (v === null) {
        problems.push({ path, message: decimals
          ? "введите число, например 1 500 или 1 500,50"
          : "введите целое число, например 12" });
      }
      return v === null ? undefined : v;
    };
    const text = (path) => document.querySelector(`[data-path='${CSS.escape(path)}']`).value.trim();
    const byThickness = (path) => {
      const out = {};
      for (const t of thicknesses) {
        const p = `${path}["${t}"]`;
        if (document.querySelector(`[data-path='${CSS.escape(p)}']`)) {
          const v = num(p, "цену", false);
          if (v !== undefined) out[t] = v;
        }
      }
      return out;
    };
    model.materials = model.materials.map((m, i) => ({
      code: text(`materials[${i}].code`), name: text(`materials[${i}].name`),
      kind: text(`materials[${i}].kind`), prices: byThickness(`materials[${i}].prices`),
    }));
    model.edges = model.edges.map((e, i) => ({ code: e.code, name: text(`edges[${i}].name`), prices: byThickness(`edges[${i}].prices`) }));
    model.tempering = byThickness("tempering");
    model.holes = model.holes.map((h, i) => ({
      max_diameter_mm: num(`holes[${i}].max_diameter_mm`, "наибольший диаметр", true, false),
      price: num(`holes[${i}].price`, "цену", true),
    }));
    model.cutout = num("cutout", "цену выреза", true);
    model.rounded_corner = num("rounded_corner", "цену скругления угла", true);
    model.hardware = (model.hardware || []).map((h, i) => ({
      code: text(`hardware[${i}].code`), name: text(`hardware[${i}].name`),
      unit: text(`hardware[${i}].unit`), price: num(`hardware[${i}].price`, "цену", true),
    }));
    model.installation = { per_m2: num("installation.per_m2", "цену монтажа за м²", true),
      minimum: num("installation.minimum", "минимальную стоимость монтажа", true) };
    model.delivery = num("delivery", "цену доставки", true);
    model.urgency_percent = num("urgency_percent", "наценку за срочность", true, false);
    return problems;
  }

  // render builds the tables from model. focusPath, when given, is focused
  // afterwards, so adding or removing a row never drops focus to the page.
  function render(focusPath) {
    const ts = new Set(thicknesses);
    for (const m of model.materials) for (const t of Object.keys(m.prices || {})) ts.add(Number(t));
    for (const e of model.edges) for (const t of Object.keys(e.prices || {})) ts.add(Number(t));
    for (const t of Object.keys(model.tempering || {})) ts.add(Number(t));
    thicknesses = [...ts].sort((a, b) => a - b);
    $("version").value = model.version || "";

    const head = (...cols) => el("thead", null, el("tr", null, ...cols.map((c) => el("th", { scope: "col", text: c }))));
    const thickRow = (path, name, prices) => thicknesses.map((t) =>
      el("td", null, input(`${path}["${t}"]`, `${name}: цена, ${thick(t)}`, formatNumber((prices || {})[t]), "price")));

    const mats = el("tbody", { "data-path": "materials" });
    model.materials.forEach((m, i) => {
      const name = m.name || "материал " + (i + 1);
      mats.append(el("tr", { "data-path": `materials[${i}]` },
        el("td", null, input(`materials[${i}].code`, `${name}: код`, m.code, "code", "text")),
        el("td", null, input(`materials[${i}].name`, `Материал ${i + 1}: название`, m.name, "name", "text")),
        el("td", null, select(`materials[${i}].kind`, `${name}: вид`, KINDS, m.kind)),
        ...thickRow(`materials[${i}].prices`, name, m.prices),
        el("td", null, removeButton("materials", i, name, () => model.materials, "add-material"))));
    });
    const addMaterial = el("button", { type: "button", class: "secondary", id: "add-material", text: "+ Материал" });
    addMaterial.addEventListener("click", () => {
      collect();
      model.materials.push({ code: "", name: "", kind: "glass", prices: {} });
      render(`materials[${model.materials.length - 1}].code`);
    });
    const addThickness = el("input", { id: "new-thickness", inputmode: "numeric", class: "price", autocomplete: "off" });
    const thicknessError = el("p", { class: "field-error", id: "new-thickness-error", hidden: "" });
    const addThicknessButton = el("button", { type: "button", class: "secondary", id: "add-thickness", text: "+ Толщина" });
    addThicknessButton.addEventListener("click", () => {
      const t = parseNumber(addThickness.value, false);
      const problem = !t ? "введите толщину целым числом миллиметров, например 12"
        : thicknesses.includes(t) ? `толщина ${thick(t)} уже есть в таблицах` : "";
      if (problem) {
        thicknessError.textContent = problem.replace(/^./, (c) => c.toUpperCase());
        thicknessError.hidden = false;
        addThickness.setAttribute("aria-invalid", "true");
        addThickness.setAttribute("aria-describedby", thicknessError.id);
        addThickness.focus();
        return;
      }
      collect();
      thicknesses.push(t);
      // The new column's first cell, where its prices are typed next.
      render(model.materials.length ? `materials[0].prices["${t}"]` : `tempering["${t}"]`);
      status(`Добавлена толщина ${thick(t)}: впишите её цены в таблицы.`, true);
    });

    const edges = el("tbody", { "data-path": "edges" });
    model.edges.forEach((e, i) => edges.append(el("tr", { "data-path": `edges[${i}]` },
      el("td", { text: EDGES[e.code] || e.code }),
      el("td", null, input(`edges[${i}].name`, `Кромка ${EDGES[e.code] || e.code}: название`, e.name, "name", "text")),
      ...thickRow(`edges[${i}].prices`, e.name || e.code, e.prices))));

    const holes = el("tbody", { "data-path": "holes" });
    model.holes.forEach((h, i) => holes.append(el("tr", { "data-path": `holes[${i}]` },
      el("td", null, input(`holes[${i}].max_diameter_mm`, `Отверстия, ряд ${i + 1}: наибольший диаметр, мм`, h.max_diameter_mm, "price", "int")),
      el("td", null, input(`holes[${i}].price`, `Отверстия, ряд ${i + 1}: цена за отверстие`, formatNumber(h.price), "price")),
      el("td", null, removeButton("holes", i, `отверстия до ${h.max_diameter_mm || "?"} мм`, () => model.holes, "add-hole")))));
    const addHole = el("button", { type: "button", class: "secondary", id: "add-hole", text: "+ Диаметр" });
    addHole.addEventListener("click", () => { collect(); model.holes.push({}); render(`holes[${model.holes.length - 1}].max_diameter_mm`); });

    const hw = el("tbody", { "data-path": "hardware" });
    (model.hardware || []).forEach((h, i) => {
      const name = h.name || "позиция " + (i + 1);
      hw.append(el("tr", { "data-path": `hardware[${i}]` },
        el("td", null, input(`hardware[${i}].code`, `${name}: код`, h.code, "code", "text")),
        el("td", null, input(`hardware[${i}].name`, `Фурнитура ${i + 1}: название`, h.name, "name", "text")),
        el("td", null, select(`hardware[${i}].unit`, `${name}: единица`, UNITS, h.unit)),
        el("td", null, input(`hardware[${i}].price`, `${name}: цена за единицу`, formatNumber(h.price), "price")),
        el("td", null, removeButton("hardware", i, name, () => model.hardware, "add-hardware"))));
    });
    const addHardware = el("button", { type: "button", class: "secondary", id: "add-hardware", text: "+ Фурнитура" });
    addHardware.addEventListener("click", () => {
      collect();
      (model.hardware = model.hardware || []).push({ code: "", name: "", unit: "pcs" });
      render(`hardware[${model.hardware.length - 1}].code`);
    });

    const single = (path, label, value, kind) => {
      const i = input(path, label, kind === "int" ? value : formatNumber(value), "price", kind);
      i.removeAttribute("aria-label");
      return el("p", null, el("label", { for: i.id, text: label }), i);
    };
    const tempering = el("tbody", { "data-path": "tempering" },
      el("tr", null, ...thickRow("tempering", "Закалка", model.tempering)));

    $("sections").replaceChildren(
      section("Материалы", "Цена за м² по толщинам; пустая клетка — толщина не продаётся. Код — латиницей, он же артикул товара.",
        el("div", { class: "scroll" }, el("table", null, head("Код", "Название", "Вид", ...thicknesses.map(thick), ""), mats)),
        addMaterial, el("label", { for: "new-thickness", text: "Новая толщина, мм" }), addThickness, thicknessError, addThicknessButton),
      section("Обработка кромки", "Цена за погонный метр. Шлифовка и полировка нужны для каждой продаваемой толщины.",
        el("div", { class: "scroll" }, el("table", null, head("Обработка", "Название", ...thicknesses.map(thick)), edges))),
      section("Закалка", "Цена за м² для каждой толщины закаливаемого стекла.",
        el("div", { class: "scroll" }, el("table", null, head(...thicknesses.map(thick)), tempering))),
      section("Отверстия", "Цена одного отверстия по наибольшему диаметру, от меньшего к большему.",
        el("table", null, head("До диаметра, мм", "Цена", ""), holes), addHole),
      section("Вырезы и углы", null,
        single("cutout", "Вырез, цена за штуку", model.cutout),
        single("rounded_corner", "Скругление угла, цена за штуку", model.rounded_corner)),
      section("Фурнитура", null, el("div", { class: "scroll" }, el("table", null, head("Код", "Название", "Единица", "Цена", ""), hw)), addHardware),
      section("Услуги и наценки", null,
        single("installation.per_m2", "Монтаж, цена за м²", model.installation && model.installation.per_m2),
        single("installation.minimum", "Монтаж, минимальная стоимость заказа", model.installation && model.installation.minimum),
        single("delivery", "Доставка", model.delivery),
        single("urgency_percent", "Срочность, наценка в процентах", model.urgency_percent, "int")));
    if (focusPath) {
      const target = $(focusPath) || document.querySelector(`[data-path='${CSS.escape(focusPath)}']`);
      if (target) target.focus();
    }
  }

  // showProblems marks each problem at its field (or the nearest row or
  // table) and lists them all at the top with links to the fields.
  function showProblems(problems) {
    for (const e of document.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
    for (const e of document.querySelectorAll(".field-error[id^='err']")) e.remove();
    for (const e of document.querySelectorAll("[aria-describedby]")) {
      const kept = e.getAttribute("aria-describedby").split(/\s+/).filter((id) => id && !/^err\d+$/.test(id));
      if (kept.length) e.setAttribute("aria-describedby", kept.join(" "));
      else e.removeAttribute("aria-describedby");
    }
    const box = $("problems");
    if (!problems.length) { box.hidden = true; box.replaceChildren(); return; }
    const list = el("ul");
    problems.forEach((p, n) => {
      const target = findField(p.path);
      const id = "err" + n;
      const text = (p.message || "").replace(/^./, (c) => c.toUpperCase());
      if (target) {
        target.setAttribute("aria-invalid", "true");
        const prev = target.getAttribute("aria-describedby");
        target.setAttribute("aria-describedby", prev ? prev + " " + id : id);
        target.insertAdjacentElement("afterend", el("p", { class: "field-error", id, text }));
        const a = el("a", { href: "#" + target.id, text });
        a.addEventListener("click", (ev) => { ev.preventDefault(); target.focus(); });
        list.append(el("li", null, a));
      } else {
        list.append(el("li", { text }));
      }
    });
    box.replaceChildren(el("h2", { text: problems.length === 1 ? "Исправьте ошибку" : `Исправьте ошибки: ${problems.length}` }), list);
    box.hidden = false;
    box.focus();
  }
  // findField finds the input for a problem's path, or the first input of
  // the closest row or table the path names.
  function findField(path) {
    let p = path || "";
    while (p) {
      const e = document.querySelector(`[data-path='${CSS.escape(p)}']`);
      if (e) return e.matches("input, select") ? e : e.querySelector("input, select");
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      p = cut > 0 ? p.slice(0, cut) : "";
    }
    return null;
  }

  async function call(method, url, body) {
    const resp = await fetch(url, {
      method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json", "X-CSRF-Token": csrf } : { "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* an empty or HTML answer */ }
    return { status: resp.status, data };
  }
  function status(text, ok) {
    $("status").textContent = text;
    $("status").className = "status" + (ok ? " ok" : "");
  }

  async function check() {
    $("example").textContent = "";
    const local = collect();
    if (local.length) { showProblems(local); return null; }
    // A check needs no name yet: the name is asked for when publishing.
    const draft = Object.assign({}, model, { version: model.version || "новая версия" });
    const { status: code, data } = await call("POST", "preview", { price_list: draft });
    if (code === 200) {
      showProblems([]);
      const ex = data.example;
      $("example").textContent = ex.problem
        ? ex.problem
        : `${ex.description}: сейчас ${ex.current}, с новыми ценами ${ex.new}.`;
      return true;
    }
    if (code === 422) { showProblems(data.problems || []); return false; }
    status(data.message || "Проверка не удалась. Попробуйте ещё раз.");
    return false;
  }

  async function publish(ev) {
    ev.preventDefault();
    if (!(await check())) return;
    const { status: code, data } = await call("POST", "publish", { author: $("author").value, price_list: model });
    if (code === 201) {
      status(`Опубликована версия «${data.version.name}». Калькулятор считает по ней в течение нескольких секунд.`, true);
      await loadVersions();
      $("current-version").textContent = `Сейчас действует версия «${data.version.name}» (${data.version.author}, ${data.version.published_at}).`;
      return;
    }
    if (code === 422) { showProblems(data.problems || []); return; }
    status(data.message || "Опубликовать не удалось. Попробуйте ещё раз.");
  }

  async function loadVersions() {
    const { status: code, data } = await call("GET", "versions");
    if (code !== 200) return;
    if (data.zone) $("versions-when").textContent = `Когда (${data.zone})`;
    const body = $("versions").tBodies[0];
    body.replaceChildren(...data.versions.map((v) => el("tr", null,
      el("td", { text: v.name }), el("td", { text: v.author }), el("td", { text: v.published_at }),
      el("td", null, el("a", { href: "export?version=" + encodeURIComponent(v.name), download: "", text: "Скачать «" + v.name + "»" })))));
    if (!data.versions.length) body.append(el("tr", null, el("td", { colspan: "4", text: "Пока ничего не опубликовано: действует встроенный прайс-лист." })));
  }

  async function load() {
    const { status: code, data } = await call("GET", "current");
    if (code !== 200) { $("current-version").textContent = data.message || "Прайс-лист не загрузился. Обновите страницу."; return; }
    model = JSON.parse(JSON.stringify(data.version.price_list));
    $("current-version").textContent = data.published
      ? `Сейчас действует версия «${data.version.name}» (${data.version.author}, ${data.version.published_at}).`
      : `Сейчас действует встроенный прайс-лист «${data.version.name}».`;
    render();
    $("version").value = "";
    $("version").placeholder = "не «" + data.version.name + "»";
    await loadVersions();
  }

  $("preview").addEventListener("click", check);
  // Publishing is the button's alone. The form has no submit button, so
  // Enter in a field submits nothing: a price typed and confirmed with Enter
  // must not go live. Enter in the new thickness adds it.
  $("publish").addEventListener("click", publish);
  $("editor").addEventListener("submit", (ev) => ev.preventDefault());
  $("editor").addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing || !(ev.target instanceof HTMLInputElement)) return;
    ev.preventDefault();
    if (ev.target.id === "new-thickness") $("add-thickness").click();
  });
  $("import").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      model = JSON.parse(await file.text());
      if (typeof model !== "object" || !Array.isArray(model.materials)) throw new Error("shape");
      model.edges = model.edges || []; model.holes = model.holes || [];
      thicknesses = [];
      render();
      showProblems([]);
      status(`Файл «${file.name}» загружен в форму. Проверьте и опубликуйте.`, true);
    } catch (e) {
      status(`Файл «${file.name}» не похож на прайс-лист в формате JSON.`);
    }
  });
  load();
})();
