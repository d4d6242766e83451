package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/browsertest"
	"github.com/amokit/amokit/tokenstore"
)

// openedCalculator is the demo card of one lead with the calculator loaded in it.
type openedCalculator struct {
	s      *server
	base   string
	leadID int64
	ctx    context.Context
	frame  *chromedp.Node
}

// openCalculator runs the demo server in process (its configuration changed by edit, if not
// nil), connects its account without the consent page (TestDemoEndToEnd walks that) and opens
// the card of the demo's second lead.
func openCalculator(t *testing.T, edit func(*config)) *openedCalculator {
	t.Helper()
	browser := browsertest.Context(t)
	s, base := startInProcessDemoWith(t, edit)
	connectDemo(t, s)
	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	t.Cleanup(cancel)
	c := &openedCalculator{s: s, base: base, leadID: s.demo.Seed().Leads[1].ID, ctx: ctx}
	require.NoError(t, doWithin(ctx, chromedp.Navigate(fmt.Sprintf("%s/demo/card?lead=%d", base, c.leadID))))
	c.frame = calculatorFrame(t, ctx)
	return c
}

// connectDemo stores a connection of the demo account, as the consent page would.
func connectDemo(t *testing.T, s *server) {
	t.Helper()
	acct := s.demo.Seed().Account
	tok, err := s.demo.Fake().IssueToken(s.demo.Integration().ClientID, acct.Subdomain)
	require.NoError(t, err)
	require.NoError(t, s.store.Save(t.Context(), &tokenstore.Connection{
		Account: acct.Host, AccountID: acct.ID, ClientID: s.demo.Integration().ClientID, ClientSecret: s.demo.Integration().ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))
}

// pasteIn empties a field of the calculator frame, focuses it and inserts text the way a paste
// does: all at once, without key events.
func pasteIn(sel, text string) chromedp.Action[chromedp.Void] {
	focus := fmt.Sprintf(`(function (d) {
		var e = d.querySelector(%[2]q);
		if (!e) throw new Error('no element ' + %[2]q);
		e.value = '';
		e.focus();
	})(%[1]s)`, frameDoc, sel)
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](focus), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// quotedLeadPrice is the lead price glass quotes for one piece of the calculator's default
// material (float 6 mm, no edge) of the given size.
func quotedLeadPrice(t *testing.T, width, height int) string {
	t.Helper()
	q, err := glass.DefaultPriceList().Quote(mustOrder(t, fmt.Sprintf(
		`{"pieces":[{"material":"float","thickness_mm":6,"width_mm":%d,"height_mm":%d,"quantity":1,"edge":"none"}]}`, width, height)))
	require.NoError(t, err)
	return normalizeSpaces(demo.Roubles(q.LeadPrice))
}

// TestCalculatorReadsNumbersAsTyped types numbers as Russian managers do: a comma before a
// fraction, spaces between thousands, a pasted value with non-breaking spaces. What can be read
// exactly is priced; a fraction in a whole-millimetre size and text that is not a number are
// refused at their field, and nothing is priced or saveable meanwhile.
func TestCalculatorReadsNumbersAsTyped(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx, frame := c.ctx, c.frame
	piece := "fieldset.piece "
	width, height := piece+`[data-key="width_mm"]`, piece+`[data-key="height_mm"]`
	widthErr := piece + `.field[data-field="width_mm"] .err`

	// "150,5" is a fraction of a millimetre: refused, with the two whole sizes to choose from.
	require.NoError(t, doWithin(ctx, typeIn(width, "150,5"), chromedp.KeyEvent(kb.Tab), typeIn(height, "1 000"), chromedp.KeyEvent(kb.Tab)))
	msg := waitText(t, ctx, widthErr, "целых миллиметрах", frame)
	assert.Contains(t, msg, "150 или 151")
	waitText(t, ctx, `#quote[data-state="invalid"] #quote-status`, "Исправьте", frame)
	assert.Equal(t, "—", textInFrame(t, ctx, "#total"), "no total for an order that cannot be read")
	assert.True(t, evalInFrame[bool](t, ctx, `d.querySelector('#save').getAttribute('aria-disabled') === 'true'`), "nothing to save")
	assert.Equal(t, "true", evalInFrame[string](t, ctx, `d.querySelector('[data-key="width_mm"]').getAttribute('aria-invalid') || ''`))
	assert.Equal(t, "150,5", evalInFrame[string](t, ctx, `d.querySelector('[data-key="width_mm"]').value`), "what was typed stays as typed")

	// "1 500" with a space between thousands is 1500 mm; "1 000" likewise.
	require.NoError(t, doWithin(ctx, typeIn(width, "1 500"), chromedp.KeyEvent(kb.Tab)))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1500, 1000), frame)
	assert.Empty(t, textInFrame(t, ctx, widthErr))
	assert.False(t, evalInFrame[bool](t, ctx, `d.querySelector('#save').getAttribute('aria-disabled') === 'true'`), "a quoted order can be saved")

	// A pasted height with non-breaking spaces around and inside it.
	require.NoError(t, doWithin(ctx, pasteIn(height, "\u00a01\u00a0200 ")))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1500, 1200), frame)

	// Enter in a field neither reloads the page nor loses what was typed.
	require.NoError(t, doWithin(ctx, typeIn(width, "1 600"), chromedp.KeyEvent(kb.Enter)))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1600, 1200), frame)
	assert.Equal(t, "1 600", evalInFrame[string](t, ctx, `d.querySelector('[data-key="width_mm"]').value`))

	// Spaces that do not separate thousands, and words, are refused, not guessed at.
	require.NoError(t, doWithin(ctx, typeIn(piece+`[data-key="quantity"]`, "1 5")))
	waitText(t, ctx, piece+`.field[data-field="quantity"] .err`, "между тысячами", frame)
	require.NoError(t, doWithin(ctx, typeIn(piece+`[data-key="quantity"]`, "два")))
	waitText(t, ctx, piece+`.field[data-field="quantity"] .err`, "Это не число", frame)
	require.NoError(t, doWithin(ctx, typeIn(piece+`[data-key="quantity"]`, "1"), chromedp.KeyEvent(kb.Backspace)))
	waitText(t, ctx, piece+`.field[data-field="quantity"] .err`, "Укажите количество", frame)
	require.NoError(t, doWithin(ctx, typeIn(piece+`[data-key="quantity"]`, "2")))
	waitText(t, ctx, `#quote[data-state="ready"] #lead-total`, "₽", frame)

	// A hole of 12,5 mm and a blank hole: each said at the holes, in words.
	require.NoError(t, doWithin(ctx,
		chromedp.Click(chromedp.CSS(piece+`[data-action="add-hole"]`), chromedp.FromNode(frame)),
		typeIn(piece+`.hole input`, "12,5"),
	))
	waitText(t, ctx, piece+`.field[data-field="holes"] .err`, "целых миллиметрах", frame)
	require.NoError(t, doWithin(ctx, typeIn(piece+`.hole input`, "1"), chromedp.KeyEvent(kb.Backspace)))
	waitText(t, ctx, piece+`.field[data-field="holes"] .err`, "Укажите диаметр отверстия", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS(piece+`.hole [data-action="remove-hole"]`), chromedp.FromNode(frame))))

	// A discount of 5,5 % is refused; 5 % is priced.
	require.NoError(t, doWithin(ctx, typeIn("#discount", "5,5")))
	waitText(t, ctx, `.field[data-path="discount_percent"] .err`, "в целых процентах", frame)
	require.NoError(t, doWithin(ctx, typeIn("#discount", "5")))
	q, err := glass.DefaultPriceList().Quote(mustOrder(t,
		`{"pieces":[{"material":"float","thickness_mm":6,"width_mm":1600,"height_mm":1200,"quantity":2,"edge":"none"}],"discount_percent":5}`))
	require.NoError(t, err)
	waitText(t, ctx, "#lead-total", normalizeSpaces(demo.Roubles(q.LeadPrice)), frame)
	browsertest.Screenshot(t, ctx, "numbers")

	// Why a mirror has no tempering is said on the page, not only in a tooltip.
	require.NoError(t, doWithin(ctx, choose(piece+`[data-key="material"]`, "mirror")))
	waitText(t, ctx, piece+`[data-role="temper-note"]`, "Зеркало не закаливают", frame)
}

// evalInFrame evaluates a JavaScript expression with d bound to the calculator frame's document.
func evalInFrame[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](fmt.Sprintf(`(function (d) { return %s; })(%s)`, expr, frameDoc)))
	require.NoError(t, err, expr)
	return v
}

// TestCalculatorKeepsWorkAcrossSessionsAndSaves checks that nothing typed is lost and nothing is
// written twice: the ticket is renewed before it runs out and after a refusal without reloading
// the frame, a reload of the card puts back the form, a save locks the form while it runs, and
// Save says «Сохранено» and writes nothing more until the order changes.
func TestCalculatorKeepsWorkAcrossSessionsAndSaves(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	c := openCalculator(t, func(cfg *config) { cfg.TicketTTL = ttl })
	ctx, frame := c.ctx, c.frame
	fake := c.s.demo.Fake()
	piece := "fieldset.piece "
	width, height := piece+`[data-key="width_mm"]`, piece+`[data-key="height_mm"]`

	require.NoError(t, doWithin(ctx, typeIn(width, "900"), chromedp.KeyEvent(kb.Tab), typeIn(height, "2000")))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 900, 2000), frame)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](frameDoc+`.defaultView.sameFrame = true`))
	require.NoError(t, err)

	// Past the ticket's lifetime the calculator still quotes, in the same page.
	time.Sleep(ttl + time.Second)
	require.NoError(t, doWithin(ctx, typeIn(width, "1 000")))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1000, 2000), frame)
	assert.True(t, evalInFrame[bool](t, ctx, `d.defaultView.sameFrame === true`), "the frame was not reloaded")
	assert.True(t, evalInFrame[bool](t, ctx, `d.querySelector('#fatal').hidden`), "no session error")

	// A ticket the server refuses is renewed on the refusal and the request sent again.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function (f) {
		f.contentWindow.postMessage({type: 'amokit:calc:ticket', ticket: 'not-a-ticket'}, '*');
		return true;
	})(document.querySelector('#widgets iframe.amokit-calc__frame'))`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx, typeIn(width, "1 100")))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1100, 2000), frame)
	assert.True(t, evalInFrame[bool](t, ctx, `d.querySelector('#fatal').hidden`), "no session error")

	// A reload of the card puts back what was typed, as typed.
	require.NoError(t, doWithin(ctx, chromedp.Reload()))
	frame = calculatorFrame(t, ctx)
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1100, 2000), frame)
	assert.Equal(t, "1 100", evalInFrame[string](t, ctx, `d.querySelector('[data-key="width_mm"]').value`))
	assert.Equal(t, "2000", evalInFrame[string](t, ctx, `d.querySelector('[data-key="height_mm"]').value`))

	// A slow save: the form cannot change under it.
	fake.FailNext(1, http.MethodPost, "/api/v4/leads/notes", amocrmtest.Fault{Delay: 2 * time.Second})
	in := chromedp.FromNode(frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saving"]`, "Сохраняем", frame)
	assert.True(t, evalInFrame[bool](t, ctx, `d.querySelector('#order').inert`), "the form is locked while saving")
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS(height), in), chromedp.KeyEvent("5"),
		chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	assert.Equal(t, "2000", evalInFrame[string](t, ctx, `d.querySelector('[data-key="height_mm"]').value`), "nothing typed into a locked form")

	// Saved: the button says so, and pressing it (twice, by mouse and by keyboard) writes nothing.
	assert.Equal(t, "Сохранено", waitText(t, ctx, "#save", "Сохранено", frame))
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(" ")))
	assert.Equal(t, "true", evalInFrame[string](t, ctx, `d.activeElement === d.querySelector('#save') ? d.querySelector('#save').getAttribute('aria-disabled') : 'focus lost'`))

	// A reload after the save still knows it is saved.
	require.NoError(t, doWithin(ctx, chromedp.Reload()))
	frame = calculatorFrame(t, ctx)
	in = chromedp.FromNode(frame)
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1100, 2000), frame)
	waitText(t, ctx, "#save", "Сохранено", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))

	// A change makes it saveable again; that save is the second calculation, not the third.
	require.NoError(t, doWithin(ctx, typeIn(height, "2 100")))
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1100, 2100), frame)
	waitText(t, ctx, `#save[data-state="ready"]`, "Сохранить в сделку", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	waitText(t, ctx, "#save", "Сохранено", frame)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('#history li').length === 2`,
		chromedp.WithPollingInFrame(frame), chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "two calculations in the history")
	notes := 0
	for _, n := range fake.Notes("leads", c.leadID) {
		if text, _ := n.Params["text"].(string); strings.Contains(text, "\nРасчёт №") {
			notes++
		}
	}
	assert.Equal(t, 2, notes, "one note per calculation")

	// Calculations are numbered in the lead, newest first, with their date.
	assert.Contains(t, textInFrame(t, ctx, "#history li:first-child .h-name"), "Расчёт №2 от ")
	assert.Contains(t, textInFrame(t, ctx, "#history li:last-child .h-name"), "Расчёт №1 от ")
	// Who saved each, as amoCRM names the manager, and when in the account's zone (Moscow here).
	assert.Contains(t, textInFrame(t, ctx, "#history li:first-child .h-desc"), "Ирина Смирнова")
	assert.Contains(t, textInFrame(t, ctx, "#history li:first-child .h-name"), " МСК")
}

// TestCalculatorReplacesItsOwnProductsOnly saves two calculations of one lead with a product
// added by hand in between: the second calculation's products replace the first's, the product
// added by hand stays, and the calculator said so before the save.
func TestCalculatorReplacesItsOwnProductsOnly(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx, frame := c.ctx, c.frame
	in := chromedp.FromNode(frame)
	piece := "fieldset.piece "
	width, height := piece+`[data-key="width_mm"]`, piece+`[data-key="height_mm"]`

	// The first calculation: a 900 × 2000 piece and a hinge.
	require.NoError(t, doWithin(ctx,
		typeIn(width, "900"), chromedp.KeyEvent(kb.Tab), typeIn(height, "2000"),
		chromedp.Click(chromedp.CSS("#add-hardware"), in),
		choose(`.hw [data-key="code"]`, "hinge_wall_glass"),
	))
	waitText(t, ctx, `#quote[data-state="ready"] #lines`, "Петля", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	assert.ElementsMatch(t, []string{"float-6", "hw-hinge_wall_glass"}, leadSKUs(t, c))

	// A person adds a product from the catalog by hand.
	acct, ok := c.s.demo.Fake().Account(c.s.demo.Seed().Account.Subdomain)
	require.True(t, ok)
	var knob int64
	for _, e := range c.s.demo.Seed().ProductElements {
		if e.Name == "Ручка-кнопка" {
			knob = e.ID
		}
	}
	require.NotZero(t, knob)
	acct.Link(amocrmtest.Link{EntityType: "leads", EntityID: c.leadID, ToEntityType: "catalog_elements", ToEntityID: knob,
		Metadata: map[string]any{"catalog_id": c.s.demo.Seed().Products.ID, "quantity": 1}})

	// The second calculation, without the hinge: reopening the card shows what a save will do.
	require.NoError(t, doWithin(ctx, chromedp.Reload()))
	frame = calculatorFrame(t, ctx)
	in = chromedp.FromNode(frame)
	require.NoError(t, doWithin(ctx,
		chromedp.Click(chromedp.CSS(`.hw [data-action="remove-hardware"]`), in),
		typeIn(width, "1000"),
	))
	note := waitText(t, ctx, "#products-note", "останутся: Ручка-кнопка", frame)
	assert.Contains(t, note, "Товары прошлого расчёта заменятся")
	waitText(t, ctx, "#lead-total", quotedLeadPrice(t, 1000, 2000), frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)

	assert.ElementsMatch(t, []string{"float-6", "handle_knob"}, leadSKUs(t, c), "the hinge of the first calculation is gone, the knob stays")
}

// leadSKUs lists the SKUs of the products linked to the calculator's lead, as the fake holds them.
func leadSKUs(t *testing.T, c *openedCalculator) []string {
	t.Helper()
	l := (&demoServer{base: c.base, leadID: strconv.FormatInt(c.leadID, 10)}).lead(t)
	var skus []string
	for _, p := range l.Products {
		skus = append(skus, p.SKU)
	}
	return skus
}

// TestCardSaysWhatToDoBeforeConnecting opens the demo card before the account is connected: the
// widget block says in Russian whom to ask and where, not a developer's English.
func TestCardSaysWhatToDoBeforeConnecting(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	ctx, cancel := context.WithTimeout(browser, time.Minute)
	defer cancel()
	require.NoError(t, doWithin(ctx, chromedp.Navigate(fmt.Sprintf("%s/demo/card?lead=%d", base, s.demo.Seed().Leads[1].ID))))
	status := waitText(t, ctx, `.amokit-calc[data-state="error"] .amokit-calc__status`, "администратора", nil)
	assert.Contains(t, status, base+"/admin", "where to connect")
	assert.NotRegexp(t, `[A-Za-z]{4,} [A-Za-z]{4,}`, strings.ReplaceAll(status, base+"/admin", ""), "no English words")
	browsertest.Screenshot(t, ctx, "not-connected")
}

// TestCalculatorStartsInOneRequest opens the card: once its page is in, the calculator is ready
// after a single request to the server, which brings the lead, its contact and products and the
// saved calculations together.
func TestCalculatorStartsInOneRequest(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	calls := evalInFrame[[]string](t, c.ctx, `d.defaultView.performance.getEntriesByType('resource').map(function (e) {
		return new URL(e.name).pathname + new URL(e.name).search.replace(/ticket=[^&]*/, 'ticket=…');
	}).filter(function (p) { return p.indexOf('/static/') !== 0; })`)
	assert.Equal(t, []string{"/widget/api?action=start"}, calls, "one request after the page")
	assert.NotEmpty(t, textInFrame(t, c.ctx, "#lead-contact"))
	assert.Contains(t, textInFrame(t, c.ctx, "#history-empty"), "пока нет")
}

// TestCalculatorKeepsTotalAndSaveInView fills a long order in the demo card's narrow column as a
// manager does, and types into its last piece: the card keeps the frame within its window, and
// the total and Save stay in view in the frame and in the card without covering the field
// being typed in.
func TestCalculatorKeepsTotalAndSaveInView(t *testing.T) {
	t.Parallel()
	c := openCalculator(t, nil)
	ctx := c.ctx
	const pieces = 5
	require.NoError(t, doWithin(ctx, chromedp.EmulateViewport(1280, 720)))
	piece := func(i int, key string) string {
		return fmt.Sprintf(`fieldset.piece[data-index="%d"] [data-key=%q]`, i, key)
	}
	for i := range pieces {
		if i > 0 {
			require.NoError(t, doWithin(ctx,
				chromedp.Evaluate[chromedp.Void](frameDoc+`.querySelector('#add-piece').focus()`),
				chromedp.KeyEvent(kb.Enter)))
		}
		require.NoError(t, doWithin(ctx, typeIn(piece(i, "width_mm"), "900"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("1 000")))
	}
	waitText(t, c.ctx, `#quote[data-state="ready"] #lead-total`, "₽", c.frame)

	// inView measures, from the card, the frame, the focused field, the bar, the total and
	// Save: each on the card's window and on the frame's.
	type box struct{ Top, Bottom float64 }
	type view struct {
		Window, Frame           float64 // the card's window height and the frame's
		FrameBox                box     // the frame in the card's window
		Focused                 string  // the focused field's data-key
		Field, Bar, Total, Save box     // in the frame's window
		FrameScrolls            bool    // the frame's page is taller than the frame
		TotalText               string
	}
	inView := func() view {
		return evalInFrame[view](t, ctx, `(function () {
			var w = d.defaultView, f = w.frameElement;
			var r = function (e) { var b = e.getBoundingClientRect(); return {top: b.top, bottom: b.bottom}; };
			return {
				window: innerHeight, frame: w.innerHeight, frameBox: r(f),
				focused: d.activeElement.getAttribute('data-key') || d.activeElement.id,
				field: r(d.activeElement), bar: r(d.querySelector('#bar')), total: r(d.querySelector('#total')), save: r(d.querySelector('#save')),
				frameScrolls: d.documentElement.scrollHeight > w.innerHeight + 100,
				totalText: d.querySelector('#total').textContent
			};
		})()`)
	}
	check := func(what string, wantKey string) view {
		t.Helper()
		v := inView()
		assert.Equal(t, wantKey, v.Focused, what)
		assert.True(t, v.FrameScrolls, "%s: the order is longer than the frame", what)
		assert.LessOrEqual(t, v.FrameBox.Bottom-v.FrameBox.Top, v.Window, "%s: the frame fits the card's window", what)
		assert.GreaterOrEqual(t, v.FrameBox.Top, 0.0, "%s: the frame's top is in the card's window: %+v", what, v)
		assert.LessOrEqual(t, v.FrameBox.Bottom, v.Window, "%s: the frame's bottom is in the card's window: %+v", what, v)
		for name, b := range map[string]box{"total": v.Total, "Save": v.Save, "field": v.Field} {
			assert.GreaterOrEqual(t, b.Top, 0.0, "%s: %s in the frame: %+v", what, name, v)
			assert.LessOrEqual(t, b.Bottom, v.Frame, "%s: %s in the frame: %+v", what, name, v)
		}
		assert.LessOrEqual(t, v.Field.Bottom, v.Bar.Top, "%s: the bar does not cover the field: %+v", what, v)
		return v
	}

	// The last piece's width, typed as a fraction, then Tab: the error is shown, the bar stays.
	last := pieces - 1
	require.NoError(t, doWithin(ctx, typeIn(piece(last, "width_mm"), "150,5"), chromedp.KeyEvent(kb.Tab)))
	waitText(t, ctx, fmt.Sprintf(`fieldset.piece[data-index="%d"] .field[data-field="width_mm"] .err`, last), "целых миллиметрах", c.frame)
	v := check("after 150,5 and Tab", "height_mm")
	assert.Equal(t, "—", v.TotalText, "no total for an order that cannot be read")
	browsertest.Screenshot(t, ctx, "fraction")

	// Corrected, the total is back in the bar while the height is typed.
	require.NoError(t, doWithin(ctx, typeIn(piece(last, "width_mm"), "1 500"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("1 200")))
	q, err := glass.DefaultPriceList().Quote(mustOrder(t, `{"pieces":[`+strings.Repeat(
		`{"material":"float","thickness_mm":6,"width_mm":900,"height_mm":1000,"quantity":1,"edge":"none"},`, pieces-1)+
		`{"material":"float","thickness_mm":6,"width_mm":1500,"height_mm":1200,"quantity":1,"edge":"none"}]}`))
	require.NoError(t, err)
	waitText(t, ctx, `#bar[data-state="ready"] #total`, normalizeSpaces(glass.FormatKopecks(q.Total)), c.frame)
	check("typing the height", "height_mm")

	// The last fields of the form, reached by Tab, stay above the bar too.
	require.NoError(t, doWithin(ctx, typeIn("#discount", "5")))
	check("typing the discount", "discount")
	browsertest.Screenshot(t, ctx, "typing")
	require.NoError(t, doWithin(ctx, chromedp.KeyEvent(kb.Tab)))
	assert.Equal(t, "save", inView().Focused, "Tab from the last field goes to Save")

	// The same in the narrowest and the widest column the calculator is made for.
	for _, width := range []int{260, 380} {
		got := evalInFrame[int](t, ctx, fmt.Sprintf(`(function (f) {
			var col = document.querySelector('aside.right');
			col.style.width = (col.getBoundingClientRect().width + %d - f.getBoundingClientRect().width) + 'px';
			return Math.round(f.getBoundingClientRect().width);
		})(d.defaultView.frameElement)`, width))
		require.Equal(t, width, got)
		require.NoError(t, doWithin(ctx, typeIn(piece(last, "quantity"), "2"), chromedp.KeyEvent(kb.Tab)))
		waitText(t, ctx, `#bar[data-state="ready"] #total`, "₽", c.frame)
		check(fmt.Sprintf("%d px wide", width), "width_mm")
	}
}
