package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/browsertest"
)

// envAxeCore names axe.min.js of the npm package axe-core (.ci/run installs it), which the
// accessibility tests inject into the pages they check.
const envAxeCore = "AMOKIT_AXE_CORE"

// axeViolation is one rule axe-core found broken, with the elements that break it.
type axeViolation struct {
	ID    string   `json:"id"`
	Help  string   `json:"help"`
	Nodes []string `json:"nodes"`
}

// axeSource reads axe-core, skipping the test without it (failing when Chromium is required,
// as in CI).
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv(envAxeCore)
	if path == "" {
		msg := envAxeCore + " is not set: npm install axe-core@4.14.1 and set it to node_modules/axe-core/axe.min.js"
		if os.Getenv(browsertest.EnvRequireChromium) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(src)
}

// checkAxe runs axe-core's WCAG 2.2 A and AA rules on the page shown in ctx (its own document,
// not the frames in it) and fails the test for every violation.
func checkAxe(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	// The demo card defines an AMD loader, as amoCRM does; axe-core must not register with it.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(function () { var define = undefined;\n"+axe+"\n})(); !!window.axe"))
	require.NoError(t, err, "injecting axe-core")
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {
		iframes: false,
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
	}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return {id: v.id, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' ') + ': ' + n.failureSummary; })};
		}));
	})`, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "running axe-core")
	var vs []axeViolation
	require.NoError(t, json.Unmarshal([]byte(out), &vs))
	for _, v := range vs {
		t.Errorf("%s: axe-core %s (%s):\n  %s", page, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// TestAccessibility runs axe-core on the calculator (empty, with field errors, quoted), the demo
// deal card and the admin page: none may break a WCAG 2.2 A or AA rule.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	c := openCalculator(t, nil)
	ctx := c.ctx

	checkAxe(t, ctx, axe, "demo card")

	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, chromedp.Navigate(src), chromedp.WaitVisible(chromedp.CSS(`#calc[data-state="ready"]`))))
	checkAxe(t, ctx, axe, "calculator, empty")

	type field struct{ sel, text string }
	fill := func(fs ...field) {
		for _, f := range fs {
			require.NoError(t, doWithin(ctx,
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function (e) { e.value = ''; e.focus(); })(document.querySelector(%q))`, f.sel)),
				chromedp.KeyEvent(f.text), chromedp.KeyEvent(kb.Tab)))
		}
	}
	fill(field{`[data-key="width_mm"]`, "150,5"}, field{`[data-key="height_mm"]`, "2000"})
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS(`[data-action="add-hole"]`)), chromedp.Click(chromedp.CSS("#add-hardware"))))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.field[data-field="width_mm"] .err').textContent`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	checkAxe(t, ctx, axe, "calculator with an error")

	fill(field{`[data-key="width_mm"]`, "900"})
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#quote').getAttribute('data-state') === 'ready'`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	checkAxe(t, ctx, axe, "calculator with a quote")

	require.NoError(t, doWithin(ctx, chromedp.Navigate(c.base+"/admin?token="+testAdminTok), chromedp.WaitVisible(chromedp.CSS("body"))))
	checkAxe(t, ctx, axe, "admin page")

	// The demo's root leads to the admin page and the card, and gives away no token.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(chromedp.CSS("#home-card"))))
	checkAxe(t, ctx, axe, "demo home page")
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[].map.call(document.querySelectorAll('a'), function (a) { return a.getAttribute('href'); })`))
	require.NoError(t, err)
	assert.Contains(t, links, "/admin")
	assert.Contains(t, links, fmt.Sprintf("%s/demo/card?lead=%d", c.base, c.s.demo.DefaultLead()))
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	require.NoError(t, err)
	assert.NotContains(t, html, testAdminTok)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#home-card")), chromedp.WaitVisible(chromedp.CSS("#widgets"))))
}

// TestCalculatorKeepsFocusAndNamesFields walks the calculator by keyboard: Enter on «+ Отверстие»
// leaves focus in the new hole, typing goes there, removing it returns focus to the button, and
// every field is named by its label and described by its error.
func TestCalculatorKeepsFocusAndNamesFields(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	piece := "fieldset.piece "
	active := func() string {
		return evalInFrame[string](t, ctx, `(function (a) { return a ? a.tagName + '|' + (a.getAttribute('data-key') || a.getAttribute('data-action') || a.id) : ''; })(d.activeElement)`)
	}

	require.NoError(t, doWithin(ctx,
		chromedp.Evaluate[chromedp.Void](frameDoc+`.querySelector('fieldset.piece [data-action="add-hole"]').focus()`),
		chromedp.KeyEvent(kb.Enter)))
	assert.Equal(t, "INPUT|hole", active(), "focus is in the new hole")
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent(kb.Backspace+kb.Backspace+"16")))
	assert.Equal(t, "16", evalInFrame[string](t, ctx, `d.querySelector('fieldset.piece .hole input').value`), "typing goes into the hole")
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent(kb.Tab)))
	assert.Equal(t, "BUTTON|remove-hole", active())
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent(kb.Enter)))
	assert.Equal(t, "BUTTON|add-hole", active(), "after removing the last hole focus returns to «+ Отверстие»")
	assert.Zero(t, countInFrame(t, ctx, piece+".hole"))

	require.NoError(t, doWithin(ctx,
		chromedp.Evaluate[chromedp.Void](frameDoc+`.querySelector('#add-hardware').focus()`),
		chromedp.KeyEvent(kb.Enter)))
	assert.Equal(t, "SELECT|code", active(), "focus is on the new hardware line")

	// Labels name their fields; errors describe them.
	for _, key := range []string{"material", "thickness_mm", "quantity", "width_mm", "height_mm", "edge", "cutouts", "rounded_corners"} {
		named := evalInFrame[string](t, ctx, fmt.Sprintf(`(function (e) { return e.labels && e.labels.length ? e.labels[0].textContent : ''; })(d.querySelector('fieldset.piece [data-key=%q]'))`, key))
		assert.NotEmpty(t, named, "%s has a label", key)
	}
	require.NoError(t, doWithin(ctx, typeIn(piece+`[data-key="width_mm"]`, "150,5"), typeIn(piece+`[data-key="height_mm"]`, "2000")))
	waitText(t, ctx, piece+`.field[data-field="width_mm"] .err`, "целых миллиметрах", c.frame)
	described := evalInFrame[string](t, ctx, `(function (e) { return d.getElementById(e.getAttribute('aria-describedby')).textContent; })(d.querySelector('fieldset.piece [data-key="width_mm"]'))`)
	assert.Contains(t, described, "целых миллиметрах", "the width field is described by its error")
}

// TestAdminReadsPastedAddresses fills the admin form as an administrator does: the account's
// address pasted from the browser's address bar, and first a Client ID cut short. The short ID
// is refused at its field, the pasted address is kept as its host, and the corrected form goes
// on to amoCRM's consent page.
func TestAdminReadsPastedAddresses(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	ctx, cancel := context.WithTimeout(browser, time.Minute)
	defer cancel()
	require.NoError(t, doWithin(ctx, chromedp.Navigate(base+"/admin?token="+testAdminTok), chromedp.WaitVisible(chromedp.CSS("#connect-button"))))
	clientID := s.demo.Integration().ClientID
	fillAdmin := func(domain, id string) {
		require.NoError(t, doWithin(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#domain').value = ''; document.querySelector('#domain').focus()`),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: domain})
				return err
			}),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#client_id').value = ''; document.querySelector('#client_id').focus()`),
			chromedp.KeyEvent(id),
			chromedp.Click(chromedp.CSS("#connect-button")),
		))
	}
	fillAdmin("https://steklo.amocrm.ru/leads/detail/21000001", clientID[:20])
	require.NoError(t, doWithin(ctx, chromedp.WaitVisible(chromedp.CSS(".field-error"))))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".field-error")))
	require.NoError(t, err)
	assert.Contains(t, msg, "ID интеграции выглядит так")
	domain, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#domain")))
	require.NoError(t, err)
	assert.Equal(t, "steklo.amocrm.ru", domain, "the pasted URL is kept as its host")

	// The steps and the addresses they need come before the form that needs their result.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`['#steps', '#urls', '#archive'].every(function (id) {
		return !!(document.querySelector(id).compareDocumentPosition(document.querySelector('#connect')) & Node.DOCUMENT_POSITION_FOLLOWING);
	})`))
	require.NoError(t, err)
	assert.True(t, before, "setup steps, addresses and the archive come before the connect form")
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#demo-banner")))
	require.NoError(t, err)
	assert.Contains(t, banner, "нажмите «Подключить к amoCRM»")

	fillAdmin(" https://steklo.amocrm.ru/leads/pipeline ", clientID)
	require.NoError(t, doWithin(ctx, chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`))), "the consent page")
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)), chromedp.WaitVisible(chromedp.CSS("#flash"))))
	banner, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#demo-banner")))
	require.NoError(t, err)
	assert.Contains(t, banner, "демо-аккаунт подключён", "the demo banner follows the connection")
}

// TestCalculatorFitsTheNarrowColumn shows the calculator 290 px wide, as amoCRM's right column
// can be: the longest hardware name fits its select, and urgency and discount lines carry no
// "1 шт ×" under them.
func TestCalculatorFitsTheNarrowColumn(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, chromedp.EmulateViewport(290, 900), chromedp.Navigate(src), chromedp.WaitVisible(chromedp.CSS(`#calc[data-state="ready"]`))))
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#add-hardware"))))
	cut, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var sel = document.querySelector('.hw [data-key="code"]');
		var cs = getComputedStyle(sel);
		var g = document.createElement('canvas').getContext('2d');
		g.font = cs.font;
		var room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20; // the arrow
		return [].filter.call(sel.options, function (o) { return g.measureText(o.text).width > room; }).map(function (o) { return o.text; });
	})()`))
	require.NoError(t, err)
	assert.Empty(t, cut, "hardware names cut at 290 px")

	for _, step := range []struct{ sel, text string }{{`[data-key="width_mm"]`, "900"}, {`[data-key="height_mm"]`, "2000"}, {"#discount", "5"}} {
		require.NoError(t, doWithin(ctx,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function (e) { e.value = ''; e.focus(); })(document.querySelector(%q))`, step.sel)),
			chromedp.KeyEvent(step.text), chromedp.KeyEvent(kb.Tab)))
	}
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#urgent"))))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('#lines tr[data-code="discount"]') && !!document.querySelector('#lines tr[data-code="urgency"]')`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	odd, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#lines tr[data-code="discount"] .q, #lines tr[data-code="urgency"] .q').length`))
	require.NoError(t, err)
	assert.Zero(t, odd)
}
