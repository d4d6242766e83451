package demo

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/widget"
)

//go:embed web
var webFS embed.FS

var (
	cardTemplate = template.Must(template.ParseFS(webFS, "web/democard.html"))
	assets, _    = fs.Sub(webFS, "web")
)

// Assets are the demo card's stylesheet and script, which it links as /static/democard.css
// and /static/democard.js.
func Assets() fs.FS { return assets }

// demoWidgetCode is the widget code the demo card gives the widget (amoCRM assigns one at upload).
const demoWidgetCode = "amokit_glass_calc"

// Site is the demo mode's world: an in-process fake amoCRM with the demo account of a glass
// workshop, the integration registered there, and the demo deal card that imitates amoCRM's
// lead card around the real script.js. It serves the pages under /demo/ (mount it at
// "/demo/") and the demo's root page (Home).
type Site struct {
	fake      *amocrmtest.Server
	seed      Demo
	integ     amocrmtest.Integration
	publicURL string
	script    []byte          // script.js as the archive carries it
	i18n      json.RawMessage // i18n/ru.json of the archive
	logger    *slog.Logger
	mux       *http.ServeMux
}

// Start starts the fake amoCRM, seeds the demo account and registers the integration whose
// redirect URI and revoke hook are the server's at publicURL. archive is the server's
// widget.zip, whose script.js the card runs. Nothing is connected: a person connects the
// account through the admin page and the fake's consent page, the real OAuth flow.
func Start(publicURL string, archive []byte, logger *slog.Logger) (*Site, error) {
	script, i18n, err := archiveScript(archive)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fake := amocrmtest.NewServer()
	seed := Seed(fake)
	integ := fake.AddIntegration(amocrmtest.Integration{
		Name:          "Калькулятор стекла",
		RedirectURI:   publicURL + widget.CallbackPath,
		RevokeHookURL: publicURL + widget.RevokePath,
		Owner:         seed.Account.Subdomain,
	})
	d := &Site{fake: fake, seed: seed, integ: integ, publicURL: publicURL, script: script, i18n: i18n, logger: logger, mux: http.NewServeMux()}
	d.routes()
	return d, nil
}

// Close stops the fake amoCRM.
func (d *Site) Close() { d.fake.Close() }

// Fake is the fake amoCRM the demo account lives on.
func (d *Site) Fake() *amocrmtest.Server { return d.fake }

// Seed is what was seeded on the fake amoCRM.
func (d *Site) Seed() Demo { return d.seed }

// Integration is the integration registered on the fake amoCRM for this server; its
// credentials belong to the fake, not to any real account.
func (d *Site) Integration() amocrmtest.Integration { return d.integ }

// ServeHTTP serves the pages under /demo/.
func (d *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// archiveScript takes script.js and the Russian texts out of a built widget.zip, so that the
// demo card runs exactly what amoCRM would.
func archiveScript(archive []byte) (script []byte, i18n json.RawMessage, err error) {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, nil, fmt.Errorf("demo: reading widget.zip: %w", err)
	}
	read := func(name string) ([]byte, error) {
		f, err := zr.Open(name)
		if err != nil {
			return nil, fmt.Errorf("demo: widget.zip has no %s: %w", name, err)
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	if script, err = read("script.js"); err != nil {
		return nil, nil, err
	}
	ru, err := read("i18n/ru.json")
	if err != nil {
		return nil, nil, err
	}
	if !json.Valid(ru) {
		return nil, nil, errors.New("demo: i18n/ru.json in widget.zip is not JSON")
	}
	return script, ru, nil
}

// DefaultLead is the lead the printed card URL opens: the first one without a price (the
// seeded shower-screen lead is priced already), so saving visibly changes it.
func (d *Site) DefaultLead() int64 {
	leads := d.fake.Leads(d.seed.Account.Subdomain)
	for _, l := range leads {
		if l.Price == 0 {
			return l.ID
		}
	}
	if len(leads) > 0 {
		return leads[0].ID
	}
	return 0
}

// CardURL is the address of the demo card of a lead.
func (d *Site) CardURL(leadID int64) string {
	return d.publicURL + "/demo/card?lead=" + strconv.FormatInt(leadID, 10)
}

// homePage is the demo server's root: where to go first. The admin link carries no token; the
// token is only in the link the server printed when it started.
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Калькулятор стекла: демо</title>
<link rel="stylesheet" href="/static/admin.css">
</head>
<body>
<main>
  <h1>Калькулятор стекла: демо</h1>
  <section class="card">
    <h2>1. Подключите демо-аккаунт</h2>
    <p>Откройте <a href="/admin" id="home-admin">страницу администратора</a> по ссылке с токеном, которую сервер напечатал при запуске
      (или введите там этот токен), и нажмите «Подключить к amoCRM».</p>
  </section>
  <section class="card">
    <h2>2. Посчитайте заказ в карточке сделки</h2>
    <p>Откройте <a href="{{.Card}}" id="home-card">демо-карточку сделки</a>: калькулятор работает в её правой колонке, как в amoCRM.</p>
  </section>
</main>
</body>
</html>
`))

// Home serves the root page of the demo: where to start, without the admin token.
func (d *Site) Home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'none'; base-uri 'none'; form-action 'none'")
	if err := homePage.Execute(w, struct{ Card string }{d.CardURL(d.DefaultLead())}); err != nil {
		d.logger.ErrorContext(r.Context(), "demo: rendering the home page", slog.String("error", err.Error()))
	}
}

// routes mounts the demo pages.
func (d *Site) routes() {
	mux := d.mux
	mux.HandleFunc("GET /demo/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, d.CardURL(d.DefaultLead()), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /demo/card", d.card)
	mux.HandleFunc("GET /demo/lead", d.leadJSON)
	mux.HandleFunc("GET /demo/widget/script.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(d.script)
	})
}

// CardLead is a lead as the demo card shows it, and as GET /demo/lead?lead=ID answers it.
type CardLead struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Price       int64         `json:"price"`
	PriceText   string        `json:"price_text"`
	Responsible string        `json:"responsible"`
	Created     string        `json:"created"`
	Tags        []string      `json:"tags"`
	Contacts    []CardContact `json:"contacts"`
	Company     string        `json:"company"`
	Notes       []string      `json:"notes"` // the text of common notes, newest first
	Products    []CardProduct `json:"products"`
	Current     bool          `json:"-"`
}

// CardContact is a contact of the lead as the demo card shows it.
type CardContact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// CardProduct is a catalog element linked to the lead, with the link's quantity.
type CardProduct struct {
	Name     string `json:"name"`
	SKU      string `json:"sku"`
	Quantity string `json:"quantity"` // as stored: "1.8"
	Display  string `json:"display"`  // for people: "1,8"
}

// demoCardView is the data of web/democard.html.
type demoCardView struct {
	Account string
	Lead    CardLead
	Leads   []CardLead
	Config  template.JS // the shim's settings, JSON
}

// demoConfig is what web/democard.js reads: everything script.js's surroundings provide in
// amoCRM, and where the disposable token comes from.
type demoConfig struct {
	LeadID     int64           `json:"lead_id"`
	AccountID  int64           `json:"account_id"`
	Subdomain  string          `json:"subdomain"`
	UserID     int64           `json:"user_id"`
	UserName   string          `json:"user_name"`
	UserEmail  string          `json:"user_email"`
	ClientID   string          `json:"client_id"`
	APIURL     string          `json:"api_url"`
	TokenURL   string          `json:"token_url"`
	WidgetCode string          `json:"widget_code"`
	ScriptURL  string          `json:"script_url"`
	I18n       json.RawMessage `json:"i18n"`
}

func (d *Site) lead(id int64) (CardLead, bool) {
	l, ok := d.fake.Lead(id)
	if !ok || l.AccountID != d.seed.Account.ID {
		return CardLead{}, false
	}
	v := CardLead{ID: l.ID, Name: l.Name, Price: l.Price, PriceText: Roubles(l.Price), Tags: l.Tags,
		Created: l.CreatedAt.Format("02.01.2006")}
	if l.ResponsibleUserID == d.seed.Manager.ID {
		v.Responsible = d.seed.Manager.Name
	}
	for _, cid := range l.ContactIDs {
		if c, ok := d.fake.Contact(cid); ok {
			dc := CardContact{Name: c.Name}
			for _, f := range c.CustomFields {
				if len(f.Values) == 0 {
					continue
				}
				switch f.FieldCode {
				case "PHONE":
					dc.Phone = f.Values[0].Value
				case "EMAIL":
					dc.Email = f.Values[0].Value
				}
			}
			v.Contacts = append(v.Contacts, dc)
		}
	}
	if l.CompanyID != 0 {
		if c, ok := d.fake.Company(l.CompanyID); ok {
			v.Company = c.Name
		}
	}
	for _, n := range d.fake.Notes("leads", l.ID) {
		if text, ok := n.Params["text"].(string); ok {
			v.Notes = append(v.Notes, text)
		}
	}
	slices.Reverse(v.Notes) // newest first, as in the card's feed
	for _, ln := range d.fake.Links("leads", l.ID) {
		if ln.ToEntityType != "catalog_elements" {
			continue
		}
		p := CardProduct{Name: "#" + strconv.FormatInt(ln.ToEntityID, 10)}
		if e, ok := d.fake.Element(ln.ToEntityID); ok {
			p.Name = e.Name
			for _, f := range e.CustomFields {
				if f.FieldCode == "SKU" && len(f.Values) > 0 {
					p.SKU = f.Values[0].Value
				}
			}
		}
		switch q := ln.Metadata["quantity"].(type) {
		case float64:
			p.Quantity = strconv.FormatFloat(q, 'f', -1, 64)
		case nil:
		default:
			p.Quantity = fmt.Sprint(q)
		}
		p.Display = strings.ReplaceAll(p.Quantity, ".", ",")
		v.Products = append(v.Products, p)
	}
	return v, true
}

func (d *Site) leadID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.URL.Query().Get("lead"), 10, 64)
	if err != nil {
		return d.DefaultLead()
	}
	return id
}

// card serves the demo deal card: lead info on the left, the widgets column on the right where
// script.js puts the calculator, exactly as amoCRM's lead card does.
func (d *Site) card(w http.ResponseWriter, r *http.Request) {
	lead, ok := d.lead(d.leadID(r))
	if !ok {
		http.Error(w, "нет такой демо-сделки", http.StatusNotFound)
		return
	}
	view := demoCardView{Account: d.seed.Account.Name, Lead: lead}
	for _, l := range d.fake.Leads(d.seed.Account.Subdomain) {
		view.Leads = append(view.Leads, CardLead{ID: l.ID, Name: l.Name, PriceText: Roubles(l.Price), Current: l.ID == lead.ID})
	}
	cfg := demoConfig{
		LeadID: lead.ID, AccountID: d.seed.Account.ID, Subdomain: d.seed.Account.Subdomain,
		UserID: d.seed.Manager.ID, UserName: d.seed.Manager.Name, UserEmail: d.seed.Manager.Email,
		ClientID: d.integ.ClientID, APIURL: d.publicURL, WidgetCode: demoWidgetCode,
		TokenURL: d.fake.URL + "/ajax/v2/integrations/" + url.PathEscape(d.integ.ClientID) + "/disposable_token?" +
			url.Values{"account": {d.seed.Account.Subdomain}, "user_id": {strconv.FormatInt(d.seed.Manager.ID, 10)}}.Encode(),
		ScriptURL: "/demo/widget/script.js",
		I18n:      d.i18n,
	}
	raw, err := json.Marshal(cfg) // escapes <, > and &: safe inside a script element
	if err != nil {
		http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
		return
	}
	view.Config = template.JS(raw)
	var buf bytes.Buffer
	if err := cardTemplate.ExecuteTemplate(&buf, "democard.html", view); err != nil {
		d.logger.ErrorContext(r.Context(), "demo: rendering the card", slog.String("error", err.Error()))
		http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Inline styles are allowed, as on amoCRM's pages: script.js styles its block with them.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' "+d.fake.URL+"; frame-src 'self'; base-uri 'none'")
	w.Write(buf.Bytes())
}

// leadJSON serves the left column's data again, so the card shows the new price after a save.
func (d *Site) leadJSON(w http.ResponseWriter, r *http.Request) {
	lead, ok := d.lead(d.leadID(r))
	if !ok {
		widget.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "no such lead"})
		return
	}
	widget.WriteJSON(w, http.StatusOK, lead)
}

// Roubles writes whole roubles with thin groups: 17204 → "17 204 ₽".
func Roubles(n int64) string {
	s := strconv.FormatInt(max(n, -n), 10)
	var b strings.Builder
	if n < 0 {
		b.WriteString("−")
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u00a0")
		}
		b.WriteRune(c)
	}
	b.WriteString("\u00a0₽")
	return b.String()
}
