package main

import (
	"context"
	"fmt"
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

// pasteInPage empties a field of the page itself, focuses it and inserts text the way a paste
// does: all at once, without key events.
func pasteInPage(sel, text string) chromedp.Action[chromedp.Void] {
	focus := fmt.Sprintf(`(function () {
		var e = document.querySelector(%[1]q);
		if (!e) throw new Error('no element ' + %[1]q);
		e.value = '';
		e.focus();
	})()`, sel)
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](focus), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// pageEval evaluates a JavaScript expression in the page and returns its value.
func pageEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// TestPriceEditorTypedAsPeopleType: the administrator types prices with spaces and commas,
// pastes one with non-breaking spaces, confirms fields with Enter (which never publishes), adds
// a thickness column from the keyboard, and removes rows without losing focus.
func TestPriceEditorTypedAsPeopleType(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	price := `[data-path='materials[0].prices["8"]']`
	active := `document.activeElement.id`
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin?token="+testAdminTok),
		chromedp.WaitVisible(css("#prices-link")),
		chromedp.Navigate(base+"/admin/prices/"),
		chromedp.WaitVisible(css(price)),
	))

	// A price typed and confirmed with Enter, a pasted one with non-breaking spaces, and Enter in
	// the name and author fields: the form stays a draft, nothing is published.
	cutout := `[data-path='cutout']`
	// Every request the page starts is counted: a check or a publish starts one within the key's
	// own event, so a count of zero after the keys proves none started, with no waiting.
	require.NoError(t, doWithin(ctx, chromedp.Evaluate[chromedp.Void](`(function () {
		var f = window.fetch; window.posts = 0;
		window.fetch = function (url, opts) { if (opts && opts.method === 'POST') window.posts++; return f.apply(this, arguments); };
	})()`)))
	require.NoError(t, doWithin(ctx,
		typeInPage(price, "1 500,50"), chromedp.KeyEvent(kb.Enter),
		pasteInPage(cutout, "1\u00a0250,5"), chromedp.KeyEvent(kb.Enter),
		typeInPage("#version", "лето-2027"), chromedp.KeyEvent(kb.Enter),
		typeInPage("#author", "Анна"), chromedp.KeyEvent(kb.Enter),
	))
	assert.Zero(t, pageEval[int](t, ctx, `window.posts`), "Enter checked or published")
	assert.Equal(t, "default-2025.1", s.prices.Current(t.Context()).Version, "Enter published the price list")
	versions, err := s.priceLists.List(t.Context(), 10)
	require.NoError(t, err)
	assert.Empty(t, versions, "Enter published the price list")
	assert.Equal(t, "author", pageEval[string](t, ctx, active), "Enter moved focus away")
	assert.True(t, pageEval[bool](t, ctx, `document.getElementById('problems').hidden`), "Enter checked or published")
	assert.Empty(t, pageEval[string](t, ctx, `document.getElementById('status').textContent`), "Enter checked or published")

	// A thickness typed wrong is refused at its field with the reason tied to it; typed right and
	// confirmed with Enter, its column appears with focus in its first cell, and what was typed
	// before is kept.
	require.NoError(t, doWithin(ctx, typeInPage("#new-thickness", "12,5"), chromedp.KeyEvent(kb.Enter)))
	waitText(t, ctx, "#new-thickness-error", "Введите толщину целым числом миллиметров", nil)
	assert.Equal(t, "true", pageEval[string](t, ctx, `document.getElementById('new-thickness').getAttribute('aria-invalid')`))
	assert.Equal(t, "new-thickness-error", pageEval[string](t, ctx, `document.getElementById('new-thickness').getAttribute('aria-describedby')`))
	require.NoError(t, doWithin(ctx, typeInPage("#new-thickness", "8"), chromedp.KeyEvent(kb.Enter)))
	waitText(t, ctx, "#new-thickness-error", "Толщина 8 мм уже есть", nil)
	require.NoError(t, doWithin(ctx, typeInPage("#new-thickness", "14"), chromedp.KeyEvent(kb.Enter)))
	waitText(t, ctx, "#sections thead", "14 мм", nil)
	assert.Equal(t, `materials[0].prices["14"]`, pageEval[string](t, ctx, `document.activeElement.dataset.path || ''`))
	assert.Equal(t, "1 500,50", pageEval[string](t, ctx, `document.querySelector(`+fmt.Sprintf("%q", price)+`).value`))
	assert.Equal(t, "1 250,50", pageEval[string](t, ctx, `document.querySelector("[data-path='cutout']").value`))
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent("3 100"), chromedp.KeyEvent(kb.Tab)))
	assert.Equal(t, "remove-materials-0", pageEval[string](t, ctx, active), "Tab goes on along the row")

	// Removing a row keeps focus in the table: on the row that took its place, then on the row
	// above once the last is gone, then on the add button once the table is empty.
	holes := pageEval[int](t, ctx, `document.querySelectorAll('tbody[data-path=holes] tr').length`)
	require.GreaterOrEqual(t, holes, 2)
	require.NoError(t, doWithin(ctx, chromedp.Focus(css("#remove-holes-0")), chromedp.KeyEvent(kb.Enter)))
	assert.Equal(t, holes-1, pageEval[int](t, ctx, `document.querySelectorAll('tbody[data-path=holes] tr').length`))
	assert.Equal(t, "remove-holes-0", pageEval[string](t, ctx, active))
	last := fmt.Sprintf("#remove-holes-%d", holes-2)
	require.NoError(t, doWithin(ctx, chromedp.Focus(css(last)), chromedp.KeyEvent(" ")))
	if holes-2 > 0 {
		assert.Equal(t, fmt.Sprintf("remove-holes-%d", holes-3), pageEval[string](t, ctx, active))
	}
	for pageEval[int](t, ctx, `document.querySelectorAll('tbody[data-path=holes] tr').length`) > 0 {
		require.NoError(t, doWithin(ctx, chromedp.Click(css("#remove-holes-0"))))
	}
	assert.Equal(t, "add-hole", pageEval[string](t, ctx, active))

	// The price typed with kopecks reaches the check as 1 500,50 ₽: no problems but the holes now
	// missing, and the name's hint stays tied to it through the problems.
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#preview"))))
	waitText(t, ctx, "#problems", "Исправьте", nil)
	assert.NotContains(t, pageEval[string](t, ctx, `document.getElementById('problems').textContent`), "число")
	assert.Equal(t, "version-hint", pageEval[string](t, ctx, `document.getElementById('version').getAttribute('aria-describedby')`))
	assert.Equal(t, "default-2025.1", s.prices.Current(t.Context()).Version)
	browsertest.Screenshot(t, ctx, "prices-typed")
}
