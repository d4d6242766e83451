package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/browsertest"
)

// typeInPage empties a field of the page itself (not the calculator frame), focuses it and types
// text with real key events.
func typeInPage(sel, text string) chromedp.Action[chromedp.Void] {
	focus := fmt.Sprintf(`(function () {
		var e = document.querySelector(%[1]q);
		if (!e) throw new Error('no element ' + %[1]q);
		e.value = '';
		e.focus();
		if (document.activeElement !== e) throw new Error('cannot focus ' + %[1]q);
	})()`, sel)
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](focus), chromedp.KeyEvent(text))
}

// TestPriceListEditedPublishedAndUsed: a calculation saved at today's prices; the administrator
// types a new price for 8 mm clear glass the way Russians write numbers, checks it against the
// worked example, publishes; the calculator prices with it at once, and the old calculation
// reopens with its own prices.
func TestPriceListEditedPublishedAndUsed(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	connectDemo(t, s)
	leadID := s.demo.Seed().Leads[2].ID
	card := fmt.Sprintf("%s/demo/card?lead=%d", base, leadID)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()

	// A calculation saved at the default prices.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(card)))
	frame, _ := saveWorkedExample(t, ctx)
	waitText(t, ctx, "#history li", "17 204,00 ₽", frame)

	// The administrator edits the price of 8 mm clear glass.
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin?token="+testAdminTok),
		chromedp.WaitVisible(css("#prices-link")),
		chromedp.Click(css("#prices-link")),
		chromedp.WaitVisible(css(`[data-path='materials[0].prices["8"]']`)),
	))
	price := `[data-path='materials[0].prices["8"]']`
	require.NoError(t, doWithin(ctx,
		typeInPage(price, "2 500,5"), // a price with kopecks, typed with a space and a comma
		chromedp.Click(css("#preview")),
	))
	example := waitText(t, ctx, "#example", "с новыми ценами", nil)
	assert.Contains(t, example, "сейчас 17 204,00 ₽, с новыми ценами 17 564,90 ₽") // 200,50 ₽ × 1,8 m² more

	// A wrong price is refused at its field, with nothing published.
	require.NoError(t, doWithin(ctx,
		typeInPage(price, "2500 руб"),
		chromedp.Click(css("#preview")),
	))
	problem := waitText(t, ctx, "#problems", "Исправьте", nil)
	assert.Contains(t, problem, "Введите число, например 1 500")
	invalid, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+fmt.Sprintf("%q", price)+`).getAttribute('aria-invalid')`))
	require.NoError(t, err)
	assert.Equal(t, "true", invalid)
	browsertest.Screenshot(t, ctx, "prices-problem")

	require.NoError(t, doWithin(ctx,
		typeInPage(price, "2 500"),
		typeInPage("#version", "зима-2027"),
		typeInPage("#author", "Анна"),
		chromedp.Click(css("#publish")),
	))
	waitText(t, ctx, "#status", "Опубликована версия «зима-2027»", nil)
	waitText(t, ctx, "#versions tbody", "Анна", nil)
	assert.Equal(t, "зима-2027", s.prices.Current(t.Context()).Version)
	browsertest.Screenshot(t, ctx, "prices-published")

	// The calculator uses it at once: the form kept for the lead is priced anew.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(card)))
	frame = calculatorFrame(t, ctx)
	in := chromedp.FromNode(frame)
	waitText(t, ctx, "#total", "17 564,00 ₽", frame)
	// The old calculation keeps its prices, and reopens with them.
	waitText(t, ctx, "#history li", "17 204,00 ₽", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#history li button.link"), in)))
	note := waitText(t, ctx, "#version-note", "default-2025.1", frame)
	assert.Contains(t, note, "зима-2027")
	waitText(t, ctx, "#total", "17 204,00 ₽", frame)
	browsertest.Screenshot(t, ctx, "calculator-old-prices")
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#version-current"), in)))
	waitText(t, ctx, "#total", "17 564,00 ₽", frame)

	// A shop's existing JSON file imports into the form and publishes as it is.
	spring := glass.DefaultPriceList()
	spring.Version = "весна-2027"
	spring.Materials[0].Prices[8] = 240000
	data, err := json.Marshal(spring)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "прайс весна.json")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin/prices/"),
		chromedp.WaitVisible(css(price)),
		chromedp.SetUploadFiles(css("#import"), []string{file}),
	))
	waitText(t, ctx, "#status", "загружен в форму", nil)
	value, err := chromedp.Run(ctx, chromedp.Value(css(price)))
	require.NoError(t, err)
	assert.Equal(t, "2 400", value)
	require.NoError(t, doWithin(ctx, typeInPage("#author", "Пётр"), chromedp.Click(css("#publish"))))
	waitText(t, ctx, "#status", "Опубликована версия «весна-2027»", nil)
	assert.Equal(t, "весна-2027", s.prices.Current(t.Context()).Version)
}
