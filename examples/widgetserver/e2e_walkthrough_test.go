package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/browsertest"
)

// contrastJS defines contrast(a, b), the WCAG contrast ratio of two CSS rgb() colours, and
// backdrop(e), the colour behind e: its nearest ancestor's opaque background.
const contrastJS = `
function lum(c) {
	var v = c.match(/[\d.]+/g).slice(0, 3).map(function (x) {
		x = Number(x) / 255;
		return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
	});
	return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function contrast(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
function backdrop(e) {
	for (var p = e.parentElement; p; p = p.parentElement) {
		var bg = getComputedStyle(p).backgroundColor;
		if (bg && bg !== 'transparent' && !/rgba\(.*, 0\)$/.test(bg)) return bg;
	}
	return 'rgb(255, 255, 255)';
}
`

// TestCalculatorNamesAndPlaceholdersAt290 opens the calculator in a 290 px column with every
// material, edge and hardware name in reach: none is cut; an empty size field shows an example
// that cannot be taken for a value typed (grey, italic, "напр."); and with a long order, where
// the bar with the total and Save sticks over the form, axe-core finds no violation.
func TestCalculatorNamesAndPlaceholdersAt290(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	c := openCalculator(t, nil)
	ctx := c.ctx
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, chromedp.EmulateViewport(290, 700), chromedp.Navigate(src), chromedp.WaitVisible(chromedp.CSS(`#calc[data-state="ready"]`))))
	add := func(sel string) {
		require.NoError(t, doWithin(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).focus()`, sel)), chromedp.KeyEvent(kb.Enter)))
	}

	// An empty size field: its example is not a value.
	ph, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var e = document.querySelector('[data-key="width_mm"]');
		var p = getComputedStyle(e, '::placeholder'), v = getComputedStyle(e);
		return [e.placeholder, p.fontStyle, p.color, v.fontStyle, v.color];
	})()`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ph[0], "напр. "), "the placeholder says it is an example: %q", ph[0])
	assert.Equal(t, "italic", ph[1], "the placeholder is italic")
	assert.Equal(t, "normal", ph[3], "a value typed is not")
	assert.NotEqual(t, ph[4], ph[2], "the placeholder's colour differs from a value's")

	// Every name of every choice fits its select, and a material's name too long for it is
	// written in full under it; no text runs out of its box.
	add("#add-hardware")
	for _, m := range glass.DefaultPriceList().Materials {
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(function (sel) {
			sel.value = %q;
			sel.dispatchEvent(new Event('input', {bubbles: true}));
			var g = document.createElement('canvas').getContext('2d');
			var cs = getComputedStyle(sel);
			g.font = cs.font;
			var name = sel.options[sel.selectedIndex].text;
			if (g.measureText(name).width <= sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20) return name;
			var line = sel.parentNode.querySelector('[data-role="full-name"]');
			return line && line.offsetParent && line.scrollWidth <= line.clientWidth ? line.textContent : 'cut: ' + name;
		})(document.querySelector('[data-key="material"]'))`, m.Code)))
		require.NoError(t, err)
		assert.Equal(t, m.Name, shown, "the material's name is shown in full")
	}
	cut, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var g = document.createElement('canvas').getContext('2d');
		var out = [];
		[].forEach.call(document.querySelectorAll('select:not([data-key="material"])'), function (sel) {
			var cs = getComputedStyle(sel);
			g.font = cs.font;
			var room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20; // the arrow
			[].forEach.call(sel.options, function (o) { if (g.measureText(o.text).width > room) out.push(o.text + ' (' + (sel.getAttribute('aria-label') || sel.id) + ': ' + Math.ceil(g.measureText(o.text).width) + ' px in ' + Math.floor(room) + ')'); });
		});
		[].forEach.call(document.querySelectorAll('label, legend, h2, button, .hint, td, .lead-name'), function (e) {
			if (e.offsetParent && e.scrollWidth > e.clientWidth + 1) out.push(e.textContent.trim());
		});
		return out;
	})()`))
	require.NoError(t, err)
	assert.Empty(t, cut, "names cut at 290 px")

	// A long order: the bar sticks over the form.
	for i := range 4 {
		if i > 0 {
			add("#add-piece")
		}
		require.NoError(t, doWithin(ctx,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function (e) { e.value = ''; e.focus(); })(document.querySelectorAll('[data-key="width_mm"]')[%d])`, i)),
			chromedp.KeyEvent("900"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("1 000")))
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#bar').getAttribute('data-state') === 'ready'`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	stuck, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function (b) {
		return getComputedStyle(b).position === 'sticky' && Math.round(b.getBoundingClientRect().bottom) === innerHeight &&
			document.documentElement.scrollHeight > innerHeight * 2;
	})(document.querySelector('#bar'))`))
	require.NoError(t, err)
	assert.True(t, stuck, "the bar sticks to the bottom over a long order")
	// axe-core is run with the page scrolled to its end, where the bar rests in its place: while
	// it sticks, whatever passes under it is partly covered, which axe-core's target-size rule
	// would count against the control under it rather than the bar.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scrollTo(0, document.documentElement.scrollHeight), true`))
	require.NoError(t, err)
	checkAxe(t, ctx, axe, "calculator at 290 px with the bar")
	browsertest.Screenshot(t, ctx, "290")
}

// TestCalculatorKeepsFocusOnPiecesAndHardware adds and removes pieces and hardware with the
// keyboard: focus always lands where the person goes on, never on the page's body; the same
// hardware listed twice is priced as the sum of its lines.
func TestCalculatorKeepsFocusOnPiecesAndHardware(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	active := func() string {
		return evalInFrame[string](t, ctx, `(function (a) { var p = a.closest('fieldset.piece');
			return (p ? 'piece' + p.getAttribute('data-index') + ' ' : '') + a.tagName + '|' + (a.getAttribute('data-key') || a.getAttribute('data-action') || a.id); })(d.activeElement)`)
	}
	press := func(sel string) {
		t.Helper()
		require.NoError(t, doWithin(ctx, chromedp.Evaluate[chromedp.Void](frameDoc+fmt.Sprintf(`.querySelector(%q).focus()`, sel)), chromedp.KeyEvent(kb.Enter)))
	}

	press("#add-piece")
	assert.Equal(t, "piece1 INPUT|width_mm", active(), "Enter on «+ Добавить изделие»: the new piece's width")
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent("600"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("700")))
	press(`fieldset.piece[data-index="1"] [data-action="remove-piece"]`)
	assert.Equal(t, "BUTTON|add-piece", active(), "after removing a piece: «+ Добавить изделие»")
	assert.Equal(t, 1, countInFrame(t, ctx, "fieldset.piece"))

	require.NoError(t, doWithin(ctx, typeIn(`[data-key="width_mm"]`, "900"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("2000")))
	press("#add-hardware")
	assert.Equal(t, "SELECT|code", active())
	require.NoError(t, doWithin(ctx, choose(`.hw[data-index="0"] [data-key="code"]`, "hinge_wall_glass"),
		typeIn(`.hw[data-index="0"] [data-key="count"]`, "2")))
	press("#add-hardware")
	require.NoError(t, doWithin(ctx, choose(`.hw[data-index="1"] [data-key="code"]`, "hinge_wall_glass")))
	q, err := glass.DefaultPriceList().Quote(mustOrder(t, `{"pieces":[{"material":"float","thickness_mm":6,"width_mm":900,"height_mm":2000,"quantity":1,"edge":"none"}],`+
		`"hardware":[{"code":"hinge_wall_glass","count":3}]}`))
	require.NoError(t, err)
	waitText(t, ctx, `#bar[data-state="ready"] #total`, normalizeSpaces(glass.FormatKopecks(q.Total)), c.frame)

	press(`.hw[data-index="1"] [data-action="remove-hardware"]`)
	assert.Equal(t, "BUTTON|add-hardware", active(), "after removing hardware: «+ Добавить фурнитуру»")
	assert.Equal(t, 1, countInFrame(t, ctx, ".hw"))
}

// TestDemoFromTheRootPage starts where a person starts, at the demo's root, in a browser that
// never opened the admin link: the root page leads to the card, which says in Russian what to
// do while the account is not connected, works once it is, and says it again, at Save and in
// the card, once it is disconnected.
func TestDemoFromTheRootPage(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	defer cancel()
	require.NoError(t, doWithin(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#home-card"))))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[].map.call(document.querySelectorAll('a'), function (a) { return a.getAttribute('href'); })`))
	require.NoError(t, err)
	assert.Contains(t, links, "/admin")

	notConnected := func(when string) {
		t.Helper()
		status := waitText(t, ctx, `.amokit-calc[data-state="error"] .amokit-calc__status`, "администратора", nil)
		assert.Contains(t, status, base+"/admin", "%s: where to connect", when)
		assert.NotRegexp(t, `[A-Za-z]{4,} [A-Za-z]{4,}`, strings.ReplaceAll(status, base+"/admin", ""), "%s: no English words", when)
	}
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#home-card")), chromedp.WaitVisible(chromedp.CSS("#widgets"))))
	notConnected("before connecting")

	connectDemo(t, s)
	require.NoError(t, doWithin(ctx, chromedp.Reload()))
	frame := calculatorFrame(t, ctx)
	require.NoError(t, doWithin(ctx, typeIn(`[data-key="width_mm"]`, "900"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("2000")))
	waitText(t, ctx, `#bar[data-state="ready"] #total`, "₽", frame)

	// Disconnected while the calculator is open: Save says what happened, in Russian.
	require.NoError(t, s.store.Delete(t.Context(), s.demo.Seed().Account.Host))
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), chromedp.FromNode(frame))))
	failed := waitText(t, ctx, `#save-status[data-state="failed"]`, "Не сохранено", frame)
	assert.Contains(t, failed, "администратор")
	assert.NotContains(t, failed, "повторить", "pressing again will not help")
	assert.NotRegexp(t, `[A-Za-z]{4,}`, strings.ReplaceAll(failed, "amoCRM", ""), "no English words")

	require.NoError(t, doWithin(ctx, chromedp.Reload()))
	notConnected("after disconnecting")
}

// TestAdminPageNamesAndContrast checks the admin page as an administrator meets it after
// connecting: the account's times, and the price lists', are in its own zone (here
// Yekaterinburg), named; every copy
// button and «Отключить» names what it acts on; input borders and the focus ring stand out
// from the page at 3:1 at least, there and in the calculator.
func TestAdminPageNamesAndContrast(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	// The page has the focus, as a person's window does, so that :focus styles apply.
	_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	require.NoError(t, err)
	acct, ok := c.s.demo.Fake().Account(c.s.demo.Seed().Account.Subdomain)
	require.True(t, ok)
	acct.SetTimezone("Asia/Yekaterinburg")

	low := func(page string) {
		t.Helper()
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {`+contrastJS+`
			var out = [];
			[].forEach.call(document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]), select'), function (e) {
				if (!e.offsetParent) return;
				var r = contrast(getComputedStyle(e).borderTopColor, backdrop(e));
				if (r < 3) out.push((e.id || e.getAttribute('data-key')) + ' border ' + r.toFixed(2));
				e.focus();
				var cs = getComputedStyle(e);
				var ring = cs.outlineStyle !== 'none' ? contrast(cs.outlineColor, backdrop(e)) : 0;
				if (ring < 3) out.push((e.id || e.getAttribute('data-key')) + ' focus ring ' + ring.toFixed(2));
				e.blur();
			});
			return out;
		})()`))
		require.NoError(t, err)
		assert.Empty(t, bad, "%s: contrast under 3:1", page)
	}

	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, chromedp.Navigate(src), chromedp.WaitVisible(chromedp.CSS(`#calc[data-state="ready"]`))))
	low("calculator")

	require.NoError(t, doWithin(ctx, chromedp.Navigate(c.base+"/admin?token="+testAdminTok), chromedp.WaitVisible(chromedp.CSS("#connections .conn"))))
	low("admin page")
	zone, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#connections .conn-zone")))
	require.NoError(t, err)
	assert.Equal(t, "Asia/Yekaterinburg, UTC+05:00", strings.TrimSpace(zone))
	expiry, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#connections .facts dd:nth-of-type(3)")))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(expiry), " UTC+05:00"), "the token's expiry in the account's time: %q", expiry)

	names := func(sel string) []string {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[].map.call(document.querySelectorAll(%q), function (b) {
			return b.getAttribute('aria-label') || b.textContent;
		})`, sel)))
		require.NoError(t, err)
		return got
	}
	copies := names("button.copy")
	require.Len(t, copies, 3)
	for _, n := range copies {
		assert.Regexp(t, `^Копировать \S+ `, n, "a copy button names what it copies")
	}
	assert.Equal(t, []string{"Отключить " + c.s.demo.Seed().Account.Host}, names(".disconnect button"))
	ph, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function (e) { var p = getComputedStyle(e, '::placeholder'); return [e.placeholder, p.fontStyle]; })(document.querySelector('#domain'))`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ph[0], "например, "), "the account address's example says it is one: %q", ph[0])
	assert.Equal(t, "italic", ph[1])

	// The price lists' times are in the zone of the connected account too.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(c.base+"/admin/prices/")))
	waitText(t, ctx, "#versions-when", "Когда (Asia/Yekaterinburg, UTC+05:00)", nil)
}

// TestCalculatorTabOrder walks a one-piece order with Tab from its first field: focus follows
// the form from top to bottom, left to right, and goes from the last field to Save.
func TestCalculatorTabOrder(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	require.NoError(t, doWithin(ctx, chromedp.Evaluate[chromedp.Void](frameDoc+`.querySelector('fieldset.piece [data-key="material"]').focus()`)))
	var got []string
	for range 17 {
		got = append(got, evalInFrame[string](t, ctx, `(function (a) { return a.getAttribute('data-key') || a.getAttribute('data-action') || a.id; })(d.activeElement)`))
		require.NoError(t, doWithin(ctx, chromedp.KeyEvent(kb.Tab)))
	}
	assert.Equal(t, []string{
		"material", "thickness_mm", "quantity", "width_mm", "height_mm", "edge", "tempered", "add-hole", "cutouts", "rounded_corners",
		"add-piece", "add-hardware", "installation", "delivery", "urgent", "discount", "save",
	}, got)
}

// TestCalculatorStatesTheProductsRule quotes an urgent order with a discount on a lead without
// products: before the first save the calculator says that urgency and discount go into the
// budget only, since the products written will not add up to it; the save writes the quoted
// budget, and the rule is still said after it.
func TestCalculatorStatesTheProductsRule(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx, frame := c.ctx, c.frame
	rule := "наценка за срочность и скидка входят только в бюджет сделки"
	require.NoError(t, doWithin(ctx, typeIn(`[data-key="width_mm"]`, "900"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("2000")))
	waitText(t, ctx, `#bar[data-state="ready"] #total`, "₽", frame)
	assert.True(t, evalInFrame[bool](t, ctx, `d.querySelector('#products-note').hidden`), "nothing to say of a plain order on a lead without products")

	require.NoError(t, doWithin(ctx,
		chromedp.Evaluate[chromedp.Void](frameDoc+`.querySelector('#urgent').focus()`), chromedp.KeyEvent(" "),
		typeIn("#discount", "5"), chromedp.KeyEvent(kb.Tab)))
	q, err := glass.DefaultPriceList().Quote(mustOrder(t, `{"pieces":[{"material":"float","thickness_mm":6,"width_mm":900,"height_mm":2000,"quantity":1,"edge":"none"}],"urgent":true,"discount_percent":5}`))
	require.NoError(t, err)
	waitText(t, ctx, `#bar[data-state="ready"] #total`, normalizeSpaces(glass.FormatKopecks(q.Total)), frame)
	waitText(t, ctx, "#products-note", rule, frame)

	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), chromedp.FromNode(frame))))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	lead, ok := c.s.demo.Fake().Lead(c.leadID)
	require.True(t, ok)
	assert.Equal(t, q.LeadPrice, lead.Price, "the budget is the quote's, urgency and discount included")
	waitText(t, ctx, "#products-note", rule, frame)
}
