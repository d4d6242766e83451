package admin

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/throttle"
	"github.com/amokit/amokit/internal/tzname"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

//go:embed web
var webFS embed.FS

var (
	pageTemplate = template.Must(template.ParseFS(webFS, "web/admin.html"))
	assets, _    = fs.Sub(webFS, "web")
)

// Assets are the page's stylesheet and script, which it links as /static/admin.css and
// /static/admin.js.
func Assets() fs.FS { return assets }

// Config is what New needs. Fields marked required must be set.
type Config struct {
	// Token is the admin token a person logs in with. Required.
	Token string
	// Key signs the session cookies and CSRF tokens: a key of its own, never the admin token.
	// Required.
	Key []byte
	// PublicURL is the server's public origin (https://calc.example.com), for the integration's
	// addresses shown on the page and the Origin check of forms. Required.
	PublicURL string
	// Connections are the connected accounts the page lists and disconnects. Required.
	Connections tokenstore.Store
	// Connect saves an integration's credentials: WidgetConnector, usually. Required.
	Connect ConnectFunc
	// Archive builds widget.zip for this server. Required.
	Archive func() ([]byte, error)
	// PriceLists keeps the published price lists and Prices serves the current one, for the
	// price-list editor under /admin/prices/. Required.
	PriceLists pricelist.Store
	Prices     *pricelist.Live
	// ProposalSettings keeps the shop's details for proposals, edited under /admin/proposal/.
	// Required.
	ProposalSettings proposal.SettingsStore
	// StoreLabel names where connections are kept, for the page: "PostgreSQL".
	StoreLabel string
	// Demo fills the connect form in demo mode; nil otherwise.
	Demo *Demo
	// Logger receives the page's errors and refusals; nil discards them.
	Logger *slog.Logger
	// Zone reads a connected account's time zone (AmoCRMZone, usually). The page shows each
	// account's times in its zone, and the price lists' times in the zone the connected accounts
	// share; Moscow time, which the shops' accounts keep unless they say otherwise, where a zone
	// is not known. Nil: Moscow time throughout.
	Zone ZoneFunc
}

// New returns the admin page with the price-list editor and the proposal settings, all behind
// one admin session. It returns an error naming every required field that is missing.
func New(cfg Config) (*Page, error) {
	var problems []error
	for _, f := range []struct {
		missing bool
		name    string
	}{
		{cfg.Token == "", "Token"}, {len(cfg.Key) == 0, "Key"}, {cfg.PublicURL == "", "PublicURL"},
		{cfg.Connections == nil, "Connections"}, {cfg.Connect == nil, "Connect"}, {cfg.Archive == nil, "Archive"},
		{cfg.PriceLists == nil, "PriceLists"}, {cfg.Prices == nil, "Prices"}, {cfg.ProposalSettings == nil, "ProposalSettings"},
	} {
		if f.missing {
			problems = append(problems, errors.New("admin: Config."+f.name+" is required"))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Page{
		auth: &adminAuth{
			token: cfg.Token, key: cfg.Key, secure: strings.HasPrefix(cfg.PublicURL, "https://"),
			origin: cfg.PublicURL, ended: &endedSessions{},
		},
		store:      cfg.Connections,
		connect:    cfg.Connect,
		publicURL:  cfg.PublicURL,
		archive:    cfg.Archive,
		demo:       cfg.Demo,
		priceList:  func() string { return cfg.Prices.Current(context.Background()).Version },
		logger:     logger,
		tmpl:       pageTemplate,
		zones:      &zones{read: cfg.Zone, logger: logger},
		storeLabel: cfg.StoreLabel,
		mux:        http.NewServeMux(),
	}
	if err := a.otherPages(cfg); err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

// Demo fills the connect form in demo mode with the fake integration's credentials.
// They belong to the in-process fake amoCRM, not to any real account.
type Demo struct {
	Domain, ClientID, ClientSecret string
	CardURL                        string
}

// Page serves the admin page under /admin: mount it at "/admin" and "/admin/".
type Page struct {
	auth       *adminAuth
	store      tokenstore.Store
	connect    ConnectFunc
	publicURL  string
	archive    func() ([]byte, error) // widget.zip for this server
	demo       *Demo                  // nil outside the demo
	priceList  func() string          // the current price list's version, for the page
	logger     *slog.Logger
	tmpl       *template.Template
	zones      *zones
	storeLabel string            // "PostgreSQL" or "память процесса"
	failures   throttle.Failures // wrong admin tokens per client
	mux        *http.ServeMux
	// prices and proposal are the price-list editor and the proposal settings.
	prices, proposal http.Handler
}

// ServeHTTP serves the admin's pages.
func (a *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// routes mounts the admin pages on the page's mux.
func (a *Page) routes() {
	mux := a.mux
	mux.HandleFunc("GET /admin", a.page)
	mux.HandleFunc("POST /admin/login", a.login)
	mux.HandleFunc("POST /admin/logout", a.logout)
	mux.HandleFunc("POST /admin/connect", a.connectAccount)
	mux.HandleFunc("POST /admin/disconnect", a.disconnect)
	mux.HandleFunc("GET /admin/widget.zip", a.downloadArchive)
	mux.Handle("/admin/prices/", pageHeaders(http.StripPrefix("/admin/prices", a.prices)))
	mux.Handle("/admin/proposal/", pageHeaders(http.StripPrefix("/admin/proposal", a.proposal)))
}

// adminView is the data of web/admin.html.
type adminView struct {
	LoggedIn    bool
	LoginError  string
	CSRF        string
	Flash       string
	FlashError  bool
	Connections []connectionView
	Form        connectForm
	RedirectURI string
	RevokeURI   string
	PublicURL   string
	HTTPS       bool
	Demo        *Demo
	PriceList   string
	Store       string
}

type connectForm struct {
	Domain, ClientID string
	// DemoSecret: in demo mode the secret field may stay empty and the server uses the fake
	// integration's secret, so that no secret is ever written into the page.
	DemoSecret bool
	Error      string
	Fields     map[string]string
}

// connectionView is a connection as the page shows it: never a secret or a token.
type connectionView struct {
	Account        string
	AccountID      int64
	ClientID       string
	Connected      bool // has tokens
	ExpiresAt      string
	Expired        bool
	RefreshedAt    string
	ReauthRequired bool
	UpdatedAt      string
	// Zone names the zone of the times shown ("Asia/Yekaterinburg, UTC+05:00"); ZoneKnown is
	// false when it is Moscow time standing in for a zone that could not be read.
	Zone      string
	ZoneKnown bool
}

// callbackErrors are the Russian texts for the error codes the OAuth callback sends back.
var callbackErrors = map[string]string{
	"invalid_state":              "Ссылка подключения устарела или уже использована. Нажмите «Подключить к amoCRM» ещё раз.",
	"access_denied":              "Доступ не предоставлен: на странице amoCRM нажали «Отказать».",
	"consent_error":              "amoCRM вернул ошибку при подтверждении доступа.",
	"invalid_referer":            "amoCRM вернул неверный адрес аккаунта.",
	"account_mismatch":           "Доступ подтверждён в другом аккаунте amoCRM, чем указан в форме.",
	"no_code":                    "amoCRM не передал код авторизации.",
	"unknown_integration":        "Интеграция для этого аккаунта не настроена: заполните форму и подключите заново.",
	"exchange_failed":            "amoCRM не принял код авторизации: проверьте Client Secret и Redirect URI интеграции и подключите заново.",
	"store_unavailable":          "Хранилище подключений недоступно. Попробуйте позже.",
	"unknown_account":            "Такого подключения нет: возможно, аккаунт уже отключили. Список ниже — текущий.",
	"too_many_attempts":          "Слишком много попыток подключения. Подождите минуту и попробуйте снова.",
	"account_unverified":         "Не удалось проверить, к какому аккаунту amoCRM выдал доступ. Подключите заново.",
	"tokens_for_another_account": "amoCRM выдал доступ к другому аккаунту, чем указан в форме. Подключение не изменено.",
}

func (a *Page) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("token") {
		// A link with the token: trade it for a cookie and drop it from the address bar.
		if !a.checkToken(w, r, q.Get("token")) {
			return
		}
		a.auth.setSession(w)
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return
	}
	session := a.auth.session(r)
	if session == "" {
		a.render(w, r, http.StatusUnauthorized, adminView{})
		return
	}
	v := a.view(r.Context(), session)
	// Every message is chosen by a code from the query; no text of the query reaches the page.
	// An account is named only when it is one of the connections listed.
	switch {
	case q.Has("connected"):
		v.Flash = "Аккаунт подключён. Откройте любую сделку: калькулятор появится в правой колонке."
		if i := slices.IndexFunc(v.Connections, func(c connectionView) bool { return c.Account == q.Get("connected") }); i >= 0 {
			v.Flash = "Аккаунт " + v.Connections[i].Account + " подключён. Откройте любую сделку: калькулятор появится в правой колонке."
		}
	case q.Has("disconnected"):
		v.Flash = "Аккаунт отключён."
	case q.Has("error"):
		v.FlashError = true
		v.Flash = callbackErrors[q.Get("error")]
		if v.Flash == "" {
			v.Flash = "Подключение не удалось. Нажмите «Подключить к amoCRM» ещё раз."
		}
	}
	a.render(w, r, http.StatusOK, v)
}

// checkToken is the admin token check of the login form and the ?token= link, throttled per
// client: a client that failed too often is answered 429 with Retry-After, its token unchecked,
// and its failures are logged once per window with a count.
func (a *Page) checkToken(w http.ResponseWriter, r *http.Request, token string) bool {
	client := throttle.ClientKey(r)
	if wait, ok := a.failures.Allow(client); !ok {
		w.Header().Set("Retry-After", throttle.RetryAfter(wait))
		a.render(w, r, http.StatusTooManyRequests, adminView{LoginError: "Слишком много неверных попыток. Подождите и попробуйте снова."})
		return false
	}
	if !a.auth.checkToken(token) {
		if n, log := a.failures.Fail(client); log {
			a.logger.WarnContext(r.Context(), "admin: wrong admin token", slog.String("client", client), slog.Int("failures", n))
		}
		a.render(w, r, http.StatusUnauthorized, adminView{LoginError: "Неверный токен администратора."})
		return false
	}
	a.failures.Succeed(client)
	return true
}

// view collects what the logged-in page shows.
func (a *Page) view(ctx context.Context, session string) adminView {
	v := adminView{
		LoggedIn:    true,
		CSRF:        a.auth.csrfToken(session),
		RedirectURI: a.publicURL + "/oauth/callback",
		RevokeURI:   a.publicURL + "/oauth/revoke",
		PublicURL:   a.publicURL,
		HTTPS:       strings.HasPrefix(a.publicURL, "https://"),
		Demo:        a.demo,
		PriceList:   a.priceList(),
		Store:       a.storeLabel,
	}
	if a.demo != nil {
		v.Form = connectForm{Domain: a.demo.Domain, ClientID: a.demo.ClientID, DemoSecret: true}
	}
	conns, err := a.store.List(ctx)
	var unreadable *tokenstore.UnreadableError
	switch {
	case errors.As(err, &unreadable):
		// The other connections are listed; these rows are sealed with a key this server lacks.
		a.logger.ErrorContext(ctx, "admin: some connections cannot be read", slog.String("error", err.Error()))
		v.Flash, v.FlashError = "Не удаётся расшифровать подключения: "+strings.Join(unreadable.Accounts, ", ")+
			". Проверьте ключ шифрования (AMOKIT_ENCRYPTION_KEY) или отключите и подключите эти аккаунты заново.", true
	case err != nil:
		a.logger.ErrorContext(ctx, "admin: listing connections", slog.String("error", err.Error()))
		v.Flash, v.FlashError = "Хранилище подключений недоступно: список подключений не загружен.", true
		return v
	}
	byAccount := a.zones.of(ctx, conns)
	for _, c := range conns {
		v.Connections = append(v.Connections, a.connectionView(c, byAccount[c.Account]))
	}
	return v
}

// sharedZone is the zone of the times that belong to no one account: see shared.
func (a *Page) sharedZone(ctx context.Context) *time.Location {
	conns, err := a.store.List(ctx)
	if err != nil && len(conns) == 0 {
		return unknownZone.loc
	}
	return shared(conns, a.zones.of(ctx, conns)).loc
}

func (a *Page) connectionView(c tokenstore.Connection, z zone) connectionView {
	cv := connectionView{
		Account:        c.Account,
		AccountID:      c.AccountID,
		ClientID:       c.ClientID,
		Connected:      c.RefreshToken != "",
		ReauthRequired: c.ReauthRequired,
		UpdatedAt:      formatTime(c.UpdatedAt, z.loc),
		Zone:           tzname.Label(time.Now().In(z.loc)),
		ZoneKnown:      z.known,
	}
	if !c.Expiry.IsZero() {
		cv.ExpiresAt = formatTime(c.Expiry, z.loc)
		cv.Expired = !time.Now().Before(c.Expiry)
	}
	if !c.RefreshedAt.IsZero() {
		cv.RefreshedAt = formatTime(c.RefreshedAt, z.loc)
	}
	return cv
}

// formatTime writes t in loc with its UTC offset: "02.01.2026 15:00:00 UTC+05:00".
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(loc)
	return t.Format("02.01.2006 15:04:05") + " " + tzname.Offset(t)
}

func (a *Page) render(w http.ResponseWriter, r *http.Request, status int, v adminView) {
	var buf bytes.Buffer
	if err := a.tmpl.ExecuteTemplate(&buf, "admin.html", v); err != nil {
		a.logger.ErrorContext(r.Context(), "admin: rendering the page", slog.String("error", err.Error()))
		http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (a *Page) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !a.checkToken(w, r, r.PostFormValue("token")) {
		return
	}
	a.auth.setSession(w)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (a *Page) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if a.auth.checkPost(r) {
		a.auth.end(a.auth.session(r))
		a.auth.clearSession(w)
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// forbidden answers a POST without a valid session or CSRF token.
func (a *Page) forbidden(w http.ResponseWriter, r *http.Request) {
	a.logger.WarnContext(r.Context(), "admin: refused a form without a valid session or CSRF token", slog.String("path", r.URL.Path))
	a.render(w, r, http.StatusForbidden, adminView{LoginError: "Сессия истекла или форма устарела. Войдите снова."})
}

func (a *Page) connectAccount(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !a.auth.checkPost(r) {
		a.forbidden(w, r)
		return
	}
	form := connectForm{
		Domain:   accountHost(r.PostFormValue("domain")),
		ClientID: strings.ToLower(strings.TrimSpace(r.PostFormValue("client_id"))),
	}
	secret := strings.TrimSpace(r.PostFormValue("client_secret"))
	if secret == "" && a.demo != nil && form.ClientID == a.demo.ClientID {
		secret = a.demo.ClientSecret // the demo's own integration: the page never held its secret
	}
	fields := map[string]string{}
	if form.Domain == "" {
		fields["domain"] = "Укажите адрес аккаунта, например acme.amocrm.ru."
	}
	switch {
	case form.ClientID == "":
		fields["client_id"] = "Укажите ID интеграции из вкладки «Ключи и доступы»."
	case !isUUID(form.ClientID):
		fields["client_id"] = "ID интеграции выглядит так: 0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b. Скопируйте его из вкладки «Ключи и доступы» целиком."
	}
	if secret == "" {
		fields["client_secret"] = "Укажите секретный ключ из вкладки «Ключи и доступы»."
	}
	var account, authURL string
	var err error
	if len(fields) == 0 {
		account, authURL, err = a.connect(r.Context(), form.Domain, form.ClientID, secret)
	} else {
		err = &connectError{Message: "Заполните все поля формы.", Fields: fields}
	}
	if err != nil {
		var ce *connectError
		if !errors.As(err, &ce) {
			a.logger.ErrorContext(r.Context(), "admin: saving the connection", slog.String("error", err.Error()))
			ce = &connectError{Message: "Не удалось сохранить подключение. Попробуйте ещё раз."}
		}
		v := a.view(r.Context(), a.auth.session(r))
		form.Error, form.Fields = ce.Message, ce.Fields
		form.DemoSecret = a.demo != nil
		v.Form = form // the secret a person typed is never sent back
		a.render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	a.logger.InfoContext(r.Context(), "admin: connection saved, sending to the consent page", slog.String("account", account))
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

func (a *Page) disconnect(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !a.auth.checkPost(r) {
		a.forbidden(w, r)
		return
	}
	account := r.PostFormValue("account")
	// Delete alone, so that a connection whose row cannot be read can still be removed.
	err := a.store.Delete(r.Context(), account)
	if errors.Is(err, tokenstore.ErrNotFound) {
		http.Redirect(w, r, "/admin?error=unknown_account", http.StatusSeeOther)
		return
	}
	if err != nil {
		a.logger.ErrorContext(r.Context(), "admin: deleting the connection", slog.String("account", account), slog.String("error", err.Error()))
		http.Redirect(w, r, "/admin?error=store_unavailable", http.StatusSeeOther)
		return
	}
	a.logger.InfoContext(r.Context(), "admin: connection deleted", slog.String("account", account))
	http.Redirect(w, r, "/admin?disconnected=1", http.StatusSeeOther)
}

func (a *Page) downloadArchive(w http.ResponseWriter, r *http.Request) {
	if a.auth.session(r) == "" {
		a.render(w, r, http.StatusUnauthorized, adminView{})
		return
	}
	zip, err := a.archive()
	if err != nil {
		a.logger.ErrorContext(r.Context(), "admin: building widget.zip", slog.String("error", err.Error()))
		http.Error(w, "не удалось собрать архив виджета", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+widget.ArchiveName+`"`)
	h.Set("Cache-Control", "no-store")
	w.Write(zip)
}

// accountHost reads the account's address as people give it: a host ("acme.amocrm.ru") or a
// URL pasted from the browser ("https://acme.amocrm.ru/leads/detail/1"), of which it keeps the
// host, in lower case.
func accountHost(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return strings.ToLower(u.Hostname())
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// isUUID reports whether s is a UUID in its textual form, as amoCRM shows an integration's ID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
