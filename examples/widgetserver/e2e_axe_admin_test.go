package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/browsertest"
)

// TestAccessibility_adminPagesAndProposalPanel runs axe-core on the price-list editor (as loaded,
// with problems at fields, with a refused thickness), on the proposal settings (empty, with
// problems, saved) and on the calculator with its proposal panel, before and after a proposal:
// none may break a WCAG 2.2 A or AA rule.
func TestAccessibility_adminPagesAndProposalPanel(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	connectDemo(t, s)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()

	price := `[data-path='materials[0].prices["8"]']`
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin?token="+testAdminTok),
		chromedp.WaitVisible(css("#prices-link")),
		chromedp.Navigate(base+"/admin/prices/"),
		chromedp.WaitVisible(css(price)),
	))
	checkAxe(t, ctx, axe, "price list")
	require.NoError(t, doWithin(ctx, typeInPage(price, "2500 руб"), typeInPage(`[data-path='cutout']`, ""), chromedp.Click(css("#preview"))))
	waitText(t, ctx, "#problems", "Исправьте ошибки: 2", nil)
	checkAxe(t, ctx, axe, "price list with problems")
	require.NoError(t, doWithin(ctx, typeInPage("#new-thickness", "тонкое"), chromedp.KeyEvent(kb.Enter)))
	waitText(t, ctx, "#new-thickness-error", "Введите толщину", nil)
	checkAxe(t, ctx, axe, "price list with a refused thickness")

	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin/proposal/"),
		chromedp.WaitVisible(css("#name")),
	))
	checkAxe(t, ctx, axe, "proposal settings")
	require.NoError(t, doWithin(ctx, typeInPage("#inn", "123"), typeInPage("#valid_days", "две недели"),
		chromedp.Click(css(`button[type="submit"]`)), chromedp.WaitVisible(css(".problems"))))
	waitText(t, ctx, ".problems", "Исправьте: 3", nil)
	checkAxe(t, ctx, axe, "proposal settings with problems")
	// The problems have focus, so they are read first; a problem's link takes focus to its field
	// (the browser focuses a focusable fragment target).
	require.Equal(t, "problems", pageEval[string](t, ctx, `document.activeElement.id`))
	require.NoError(t, doWithin(ctx, chromedp.Click(css(`.problems a[href="#valid_days"]`))))
	require.Equal(t, "valid_days", pageEval[string](t, ctx, `document.activeElement.id`))
	require.NoError(t, doWithin(ctx, typeInPage("#name", "Мастерская «Грань»"), typeInPage("#inn", ""), typeInPage("#valid_days", "14"),
		chromedp.Click(css(`button[type="submit"]`)), chromedp.WaitVisible(css(".ok"))))
	waitText(t, ctx, ".ok", "Сохранено", nil)
	checkAxe(t, ctx, axe, "proposal settings saved")

	// The calculator of a deal with a saved calculation shows the proposal panel; it is checked
	// as its own page, the frame's address opened directly.
	lead := s.demo.Seed().Leads[2]
	require.NoError(t, doWithin(ctx, chromedp.Navigate(fmt.Sprintf("%s/demo/card?lead=%d", base, lead.ID))))
	saveWorkedExample(t, ctx)
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, chromedp.Navigate(src)))
	waitText(t, ctx, "#proposal-party", "(компания)", nil)
	checkAxe(t, ctx, axe, "calculator with the proposal panel")
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#proposal-make"))))
	waitText(t, ctx, `#proposal-status[data-state="saved"]`, "прикреплено к сделке", nil)
	checkAxe(t, ctx, axe, "calculator with a proposal made")
}
