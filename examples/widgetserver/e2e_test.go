package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/browsertest"
	"github.com/amokit/amokit/internal/serve"
	"github.com/amokit/amokit/tokenstore"
)

// workedExample is the order of docs/glass-domain.md#worked-example: one shower
// screen, float 8 mm 900 × 2000, polished, tempered, two 12 mm holes, one cut-out, two
// wall-to-glass hinges, installation. It costs 17 204 ₽.
const workedExample = `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1,
 "edge":"polish","tempered":true,"holes":[12,12],"cutouts":1,"rounded_corners":0}],
 "hardware":[{"code":"hinge_wall_glass","count":2}],
 "installation":true,"delivery":false,"urgent":false,"discount_percent":0}`

// TestDemoEndToEnd runs the server as `widgetserver -demo` does and walks a person's path in
// Chromium: connect the demo account on the admin page through the fake amoCRM's consent page,
// open the demo deal card, enter the worked example into the calculator inside the card, see
// 17 204 ₽, save, and then check what the fake amoCRM holds.
func TestDemoEndToEnd(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)

	srv := startDemo(t)

	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	defer cancel()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// The admin page: the printed link trades the token for a session cookie.
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(srv.adminURL),
		chromedp.WaitVisible(css("#connect-button")),
	), "opening the admin page")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, srv.base+"/admin", loc, "the token is dropped from the address")
	domain, err := chromedp.Run(ctx, chromedp.Value(css("#domain")))
	require.NoError(t, err)
	assert.Equal(t, "steklo.amocrm.ru", domain, "the demo prefills the account")
	secret, err := chromedp.Run(ctx, chromedp.Value(css("#client_secret")))
	require.NoError(t, err)
	assert.Empty(t, secret, "no secret is written into the page, not even the demo's")
	browsertest.Screenshot(t, ctx, "admin")

	// «Подключить к amoCRM» → the fake's consent page → «Разрешить» → back on the admin page.
	require.NoError(t, doWithin(ctx,
		chromedp.Click(css("#connect-button")),
		chromedp.WaitVisible(css(`button[value="allow"]`)),
	), "reaching the consent page")
	consentTitle, err := chromedp.Run(ctx, chromedp.Text(css("h1")))
	require.NoError(t, err)
	assert.Contains(t, consentTitle, "Калькулятор стекла")
	require.NoError(t, doWithin(ctx,
		chromedp.Click(css(`button[value="allow"]`)),
		chromedp.WaitVisible(css("#flash")),
	), "coming back from the consent page")
	flash, err := chromedp.Run(ctx, chromedp.Text(css("#flash")))
	require.NoError(t, err)
	assert.Contains(t, normalizeSpaces(flash), "steklo.amocrm.ru подключён")
	badge, err := chromedp.Run(ctx, chromedp.Text(css(`.conn[data-account="steklo.amocrm.ru"] .badge`)))
	require.NoError(t, err)
	assert.Equal(t, "подключён", badge)
	browsertest.Screenshot(t, ctx, "admin-connected")

	// The demo deal card: script.js asks for a session with the disposable token and loads the
	// calculator into the right column.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(srv.cardURL)), "opening the demo card")
	frame := calculatorFrame(t, ctx)
	in := chromedp.FromNode(frame)
	leadName, err := chromedp.Run(ctx, chromedp.Text(css("#lead-name"), in))
	require.NoError(t, err)
	assert.Equal(t, srv.leadName, leadName, "the lead on top is the card's lead")

	// Enter the worked example as a person would.
	piece := "fieldset.piece "
	require.NoError(t, doWithin(ctx, enterWorkedExample(in)...), "entering the order")

	total := waitText(t, ctx, "#total", "17 204", frame)
	assert.Equal(t, "17 204,00 ₽", total)
	leadTotal := waitText(t, ctx, "#lead-total", "₽", frame)
	assert.Equal(t, "17 204 ₽", leadTotal)
	assert.Equal(t, 2, countInFrame(t, ctx, piece+".hole"), "two holes")

	// Save into the deal.
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#save"), in)), "saving")
	status := waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	assert.Contains(t, status, "17 204 ₽")
	waitText(t, ctx, "#lead-price", "17 204", frame) // the lead on top reloads with its new price
	waitText(t, ctx, "#lead-price", "17 204", nil)   // and so does the card around it
	waitText(t, ctx, "#history li", "17 204,00 ₽", frame)
	assert.Equal(t, 1, countInFrame(t, ctx, "#history li"), "the saved calculation is listed")
	browsertest.Screenshot(t, ctx, "card-saved")

	// What the fake amoCRM now holds for the lead.
	want, err := glass.DefaultPriceList().Quote(mustOrder(t, workedExample))
	require.NoError(t, err)
	require.Equal(t, int64(17204), want.LeadPrice)
	lead := srv.lead(t)
	assert.Equal(t, int64(17204), lead.Price, "the lead's price")
	breakdown := 0
	for _, n := range lead.Notes {
		if strings.HasPrefix(n, "Менеджер: ") && strings.Contains(n, "\n"+want.NoteText()+"\nРасчёт ") { // who saved it, the breakdown, then the calculation's marker line
			breakdown++
		}
	}
	assert.Equal(t, 1, breakdown, "exactly one note holds the breakdown; notes: %q", lead.Notes)
	got := map[string]string{}
	for _, p := range lead.Products {
		got[p.SKU] = p.Quantity
	}
	wantProducts := map[string]string{}
	for _, p := range want.Products() {
		wantProducts[p.SKU] = p.Quantity.String()
	}
	assert.Equal(t, wantProducts, got, "the products linked to the lead, with their quantities")
	assert.Equal(t, "1.8", got["float-8"])
	assert.Equal(t, "2", got["hw-hinge_wall_glass"])

	keepScreenshot(t, ctx)
}

// saveWorkedExample enters the worked example into the calculator of the card open in ctx and
// saves it into the deal, waiting for its total and for the save to be confirmed. It returns the
// calculator frame and the query option that looks inside it.
func saveWorkedExample(t *testing.T, ctx context.Context) (*chromedp.Node, chromedp.QueryOption) {
	t.Helper()
	frame := calculatorFrame(t, ctx)
	in := chromedp.FromNode(frame)
	require.NoError(t, doWithin(ctx, enterWorkedExample(in)...))
	waitText(t, ctx, "#total", "17 204,00 ₽", frame)
	require.NoError(t, doWithin(ctx, chromedp.Click(chromedp.CSS("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	return frame, in
}

// enterWorkedExample types the worked example into an empty calculator form, as a person would.
func enterWorkedExample(in chromedp.QueryOption) []chromedp.Action[chromedp.Void] {
	piece := "fieldset.piece "
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	return []chromedp.Action[chromedp.Void]{
		choose(piece+`[data-key="material"]`, "float"),
		choose(piece+`[data-key="thickness_mm"]`, "8"),
		typeIn(piece+`[data-key="width_mm"]`, "900"),
		typeIn(piece+`[data-key="height_mm"]`, "2000"),
		choose(piece+`[data-key="edge"]`, "polish"),
		chromedp.Click(css(piece+`[data-key="tempered"]`), in),
		chromedp.Click(css(piece+`[data-action="add-hole"]`), in),
		chromedp.Click(css(piece+`[data-action="add-hole"]`), in),
		typeIn(piece+`[data-key="cutouts"]`, "1"),
		chromedp.Click(css("#add-hardware"), in),
		choose(`.hw [data-key="code"]`, "hinge_wall_glass"),
		typeIn(`.hw [data-key="count"]`, "2"),
		chromedp.Click(css("#installation"), in),
	}
}

// demoServer is a running `widgetserver -demo`.
type demoServer struct {
	base, adminURL, cardURL string
	leadID                  string
	leadName                string
}

// startDemo runs the server through run, as main does, on a free port, and waits for the two
// URLs it prints. The server stops when the test ends.
func startDemo(t *testing.T) *demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	out := newLineWriter()
	var logs admintest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, out, &logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "run after cancel")
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Error("the server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	s := &demoServer{}
	timeout := time.After(30 * time.Second)
	for s.adminURL == "" || s.cardURL == "" {
		select {
		case line := <-out.lines:
			switch {
			case strings.HasPrefix(line, "amokit widgetserver listening on "):
				s.base = strings.TrimPrefix(line, "amokit widgetserver listening on ")
			case strings.Contains(line, "Admin page"):
				s.adminURL = line[strings.LastIndex(line, " ")+1:]
			case strings.Contains(line, "Demo deal card"):
				s.cardURL = line[strings.LastIndex(line, " ")+1:]
			}
		case err := <-done:
			t.Fatalf("run returned before serving: %v\n%s", err, logs.String())
		case <-timeout:
			t.Fatalf("no URLs printed in time; log:\n%s", logs.String())
		}
	}
	require.True(t, strings.HasPrefix(s.adminURL, s.base+"/admin?token="), s.adminURL)
	require.True(t, strings.HasPrefix(s.cardURL, s.base+"/demo/card?lead="), s.cardURL)
	s.leadID = s.cardURL[strings.Index(s.cardURL, "lead=")+len("lead="):]
	lead := s.lead(t)
	require.Zero(t, lead.Price, "the demo card opens a lead without a price, so the save shows")
	require.Empty(t, lead.Products)
	s.leadName = lead.Name
	return s
}

// lead reads the card's lead as the fake amoCRM stores it (the demo's /demo/lead reads the
// fake's state directly, not through the widget backend).
func (s *demoServer) lead(t *testing.T) demo.CardLead {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/demo/lead?lead="+s.leadID, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var l demo.CardLead
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&l))
	return l
}

func mustOrder(t *testing.T, s string) glass.Order {
	t.Helper()
	o, err := glass.DecodeOrder([]byte(s))
	require.NoError(t, err)
	return o
}

// frameDoc is the calculator frame's document, as seen from the card (same origin in the demo).
const frameDoc = `document.querySelector('#widgets iframe.amokit-calc__frame').contentDocument`

// choose picks an option of a select inside the calculator frame and fires the events a
// person's choice fires. Selects are not typed into, so the test's script does it.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(function (d) {
		var e = d.querySelector(%[2]q);
		if (!e) throw new Error('no element ' + %[2]q);
		if (![].some.call(e.options, function (o) { return o.value === %[3]q; })) throw new Error('no option ' + %[3]q + ' in ' + %[2]q);
		e.value = %[3]q;
		e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true}));
	})(%[1]s)`, frameDoc, sel, value)
	return chromedp.Evaluate[chromedp.Void](js)
}

// typeIn empties a field of the calculator frame, focuses it, and types text with real key
// events, as a person would. (chromedp.SendKeys reads the node's attributes without its lock,
// which the race detector catches when the page changes them meanwhile, as it does with
// aria-invalid.)
func typeIn(sel, text string) chromedp.Action[chromedp.Void] {
	focus := fmt.Sprintf(`(function (d) {
		var e = d.querySelector(%[2]q);
		if (!e) throw new Error('no element ' + %[2]q);
		e.value = '';
		e.focus();
		if (d.activeElement !== e) throw new Error('cannot focus ' + %[2]q);
	})(%[1]s)`, frameDoc, sel)
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](focus), chromedp.KeyEvent(text))
}

// waitText waits until the element's text contains want, with every kind of space read as one
// space, and returns the text so normalised. frame nil means the card itself.
func waitText(t *testing.T, ctx context.Context, sel, want string, frame *chromedp.Node) string {
	t.Helper()
	js := fmt.Sprintf(`(function () {
		var e = document.querySelector(%q);
		if (!e) return false;
		var t = e.textContent.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
		return t.indexOf(%q) >= 0 ? t : false;
	})()`, sel, want)
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(20 * time.Second)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	text, err := chromedp.Run(ctx, chromedp.Poll[string](js, opts...))
	require.NoError(t, err, "%s: waiting for %q", sel, want)
	return text
}

// countInFrame counts the calculator frame's elements that match sel.
func countInFrame(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`%s.querySelectorAll(%q).length`, frameDoc, sel)))
	require.NoError(t, err)
	return n
}

func normalizeSpaces(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\n' || r == '\t' }), " ")
}

// keepScreenshot saves the deal card (lead and widget column, without the empty page around
// them) as docs/screenshot.png, the README's picture, when AMOKIT_UPDATE_SCREENSHOT=1.
func keepScreenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	if os.Getenv("AMOKIT_UPDATE_SCREENSHOT") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS(".app"), 0.75))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("docs", "screenshot.png"), png, 0o644))
	t.Logf("README screenshot saved to docs/screenshot.png (%d bytes)", len(png))
}

// lineWriter hands what run prints to the test line by line.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 64)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err == io.EOF {
			w.buf.WriteString(line) // keep the partial line
			return len(p), nil
		}
		select {
		case w.lines <- strings.TrimRight(line, "\r\n"):
		default: // nobody reads any more
		}
	}
}

// TestCalculatorErrorsAndRetry checks the calculator's other states in the narrow card column:
// an error shown next to the field it concerns, a save that amoCRM fails half-way and its retry
// with the same idempotency key (which writes only what failed), and the page in a wide frame.
func TestCalculatorErrorsAndRetry(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	fake := s.demo.Fake()
	acct := s.demo.Seed().Account

	// Connected without the consent page (TestDemoEndToEnd walks it).
	tok, err := fake.IssueToken(s.demo.Integration().ClientID, acct.Subdomain)
	require.NoError(t, err)
	require.NoError(t, s.store.Save(t.Context(), &tokenstore.Connection{
		Account: acct.Host, AccountID: acct.ID, ClientID: s.demo.Integration().ClientID, ClientSecret: s.demo.Integration().ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))
	leadID := s.demo.Seed().Leads[1].ID // the mirror for the hallway

	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	defer cancel()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	require.NoError(t, doWithin(ctx, chromedp.Navigate(fmt.Sprintf("%s/demo/card?lead=%d", base, leadID))))
	frame := calculatorFrame(t, ctx)
	in := chromedp.FromNode(frame)

	piece := "fieldset.piece "
	require.NoError(t, doWithin(ctx,
		choose(piece+`[data-key="material"]`, "mirror"),
		choose(piece+`[data-key="thickness_mm"]`, "4"),
		typeIn(piece+`[data-key="width_mm"]`, "5000"),
		typeIn(piece+`[data-key="height_mm"]`, "1600"),
	))
	// The width is over the stock sheet: the message sits under the width field.
	widthErr := waitText(t, ctx, piece+`.field[data-field="width_mm"] .err`, "", frame)
	assert.NotEmpty(t, widthErr)
	waitText(t, ctx, `#quote[data-state="invalid"] #quote-status`, "исправьте", frame)
	assert.Empty(t, textInFrame(t, ctx, piece+`.field[data-field="height_mm"] .err`), "only the field concerned")
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](frameDoc+`.querySelector('fieldset.piece [data-key="tempered"]').disabled`))
	require.NoError(t, err)
	assert.True(t, disabled, "mirror is not tempered")

	// A hole smaller than the glass is thick: the message names the hole, under the holes.
	require.NoError(t, doWithin(ctx,
		typeIn(piece+`[data-key="width_mm"]`, "600"),
		chromedp.Click(css(piece+`[data-action="add-hole"]`), in),
		typeIn(piece+`.hole input`, "2"),
	))
	holeErr := waitText(t, ctx, piece+`.field[data-field="holes"] .err`, "Отверстие 1:", frame)
	assert.NotEmpty(t, strings.TrimPrefix(holeErr, "Отверстие 1:"))
	assert.Empty(t, textInFrame(t, ctx, piece+`.field[data-field="width_mm"] .err`), "the fixed width has no error any more")
	require.NoError(t, doWithin(ctx, chromedp.Click(css(piece+`.hole [data-action="remove-hole"]`), in)))

	want, err := glass.DefaultPriceList().Quote(mustOrder(t, `{"pieces":[{"material":"mirror","thickness_mm":4,"width_mm":600,"height_mm":1600,"quantity":1,"edge":"none"}]}`))
	require.NoError(t, err)
	waitText(t, ctx, "#lead-total", normalizeSpaces(demo.Roubles(want.LeadPrice)), frame)
	assert.Empty(t, textInFrame(t, ctx, piece+`.field[data-field="holes"] .err`))

	// amoCRM fails the note once: the save is partial and says what is missing.
	fake.ResetRequests()
	fake.FailNext(1, http.MethodPost, "/api/v4/leads/notes", amocrmtest.Fault{Status: http.StatusInternalServerError})
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#save"), in)))
	partial := waitText(t, ctx, `#save-status[data-state="partial"]`, "примечание — не записано", frame)
	assert.Contains(t, partial, "бюджет — записано")
	assert.Contains(t, partial, "товары — записано")
	assert.Equal(t, "Повторить сохранение", waitText(t, ctx, "#save", "Повторить", frame))
	waitText(t, ctx, "#lead-price", normalizeSpaces(demo.Roubles(want.LeadPrice)), nil) // the card shows the price written
	browsertest.Screenshot(t, ctx, "card-partial")

	// The retry reuses the key: only the note is written, and there is one calculation.
	require.NoError(t, doWithin(ctx, chromedp.Click(css("#save"), in)))
	waitText(t, ctx, `#save-status[data-state="saved"]`, "Сохранено в сделку", frame)
	waitText(t, ctx, "#history li", normalizeSpaces(glass.FormatKopecks(want.Total)), frame)
	assert.Equal(t, 1, countInFrame(t, ctx, "#history li"), "one calculation: the retry continued the first attempt")
	calls := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Method != http.MethodGet {
			calls[r.Method+" "+r.Path]++
		}
	}
	assert.Equal(t, 2, calls["POST /api/v4/leads/notes"], "the failed note and its retry")
	assert.Equal(t, 1, calls["PATCH /api/v4/leads/"+strconv.FormatInt(leadID, 10)]+calls["PATCH /api/v4/leads"], "the price once: %v", calls)
	notes := 0
	for _, n := range fake.Notes("leads", leadID) {
		if text, _ := n.Params["text"].(string); strings.Contains(text, "\n"+want.NoteText()+"\nРасчёт ") {
			notes++
		}
	}
	assert.Equal(t, 1, notes, "one breakdown note")
	lead, ok := fake.Lead(leadID)
	require.True(t, ok)
	assert.Equal(t, want.LeadPrice, lead.Price)

	// The same page in a wide frame (a modal): the quote moves beside the form.
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#widgets iframe.amokit-calc__frame').src`))
	require.NoError(t, err)
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(src),
		chromedp.WaitVisible(css(`#calc[data-state="ready"]`)),
	))
	waitText(t, ctx, "#history li", normalizeSpaces(glass.FormatKopecks(want.Total)), nil)
	side, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		var f = document.querySelector('.order').getBoundingClientRect();
		var r = document.querySelector('.result').getBoundingClientRect();
		return r.left >= f.right && r.top < f.bottom;
	})()`))
	require.NoError(t, err)
	assert.True(t, side, "two columns when wide")
	browsertest.Screenshot(t, ctx, "calculator-wide")
}

// startInProcessDemo builds the demo server as run does, but keeps hold of it, so a test can
// reach the fake amoCRM and the stores.
func startInProcessDemo(t *testing.T) (*server, string) {
	t.Helper()
	return startInProcessDemoWith(t, nil)
}

// startInProcessDemoWith is startInProcessDemo with the configuration changed by edit first.
func startInProcessDemoWith(t *testing.T, edit func(*config)) (*server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	public := "http://" + ln.Addr().String()
	logs := &admintest.SyncBuffer{}
	logger := serve.NewLogger(logs, slog.LevelDebug)
	cfg := config{Demo: true, Addr: ln.Addr().String(), AdminToken: testAdminTok, PriceList: glass.DefaultPriceList()}
	if edit != nil {
		edit(&cfg)
	}
	s, err := build(t.Context(), cfg, public, logger)
	require.NoError(t, err)
	t.Cleanup(s.close)
	srv := newHTTPServer(context.WithoutCancel(t.Context()), s.handler(func() bool { return false }), logger)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s, public
}

// calculatorFrame waits until script.js has opened the session and the calculator inside the
// frame has loaded its lead, and returns the frame's node. The node is taken only then: taken
// while the frame still shows its first, empty document, queries from it would search that one.
func calculatorFrame(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function (f) {
		var d = f && !f.hidden && f.contentDocument;
		return !!(d && d.querySelector('#calc[data-state="ready"]'));
	})(document.querySelector('#widgets iframe.amokit-calc__frame'))`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "the calculator opens in the card and loads its lead")
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#widgets iframe.amokit-calc__frame")))
	require.NoError(t, err)
	require.Len(t, frames, 1)
	// The node's document is the calculator's now.
	short, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(short, chromedp.WaitVisible(chromedp.CSS(`#calc[data-state="ready"]`), chromedp.FromNode(frames[0]))))
	return frames[0]
}

// textInFrame is the calculator frame's text of the first element matching sel.
func textInFrame(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(function (e) { return e ? e.textContent : ''; })(%s.querySelector(%q))`, frameDoc, sel)))
	require.NoError(t, err)
	return strings.TrimSpace(text)
}

// doWithin runs browser steps with a bound of their own, so a step that cannot happen fails
// the test with its message soon instead of at the test's deadline.
func doWithin(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}
