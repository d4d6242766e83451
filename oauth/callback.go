package oauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/tokenstore"
)

// Result is the outcome of one visit to the redirect URI.
type Result struct {
	Account    string // the account host, when it was valid
	AccountID  int64  // from the new access token
	FromWidget bool   // the widget's install hook rather than a person's consent
	Err        error  // nil on success
}

// CallbackHandler serves the integration's redirect URI (docs/security.md#the-oauth-callback). It
// reads code, state, referer, client_id, from_widget and error; checks the state, or for the
// install hook (from_widget, which carries no state and may carry no client_id) takes the
// account's one integration and throttles the exchanges per account (HookExchanges per
// HookWindow); checks the referer with amocrm.ParseDomain before the client secret is sent
// anywhere; exchanges the code; proves with GET /api/v4/account that the tokens are the
// referer's account (and its stored id), dropping them otherwise; saves the connection; calls
// OnResult; and answers with a small page. In post_message mode the page tells its opener {ok,
// account} (never a token) and closes; otherwise it redirects to ReturnURL. Use it through a
// pointer: it keeps the throttle's counts.
type CallbackHandler struct {
	// Config is the integration. Its client id and secret are used when the account has no stored
	// connection of its own (a connection saved from the admin page brings its own).
	Config Config
	States *States
	Store  tokenstore.Store
	// ReturnURL is where a person lands after the callback outside post_message mode; the query
	// gets connected=<account> or error=<code>. Empty: a small page is shown instead.
	ReturnURL string
	// OnResult, if set, is called once per callback.
	OnResult func(ctx context.Context, r Result)
	Logger   *slog.Logger

	hooks hookThrottle
}

// HookExchanges is how many codes of the install hook (which carries no state, so anyone can
// send it) the handler exchanges per account in HookWindow; more are refused with 429 without
// sending the client secret anywhere.
const (
	HookExchanges = 3
	HookWindow    = time.Minute
)

// hookThrottle counts the install hook's exchanges per account in fixed windows.
type hookThrottle struct {
	mu     sync.Mutex
	counts map[string]hookWindow
}

type hookWindow struct {
	start time.Time
	n     int
}

// allow takes one exchange of account's budget at now, or returns how long until the next one.
func (t *hookThrottle) allow(account string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]hookWindow{}
	}
	if len(t.counts) > 10000 { // forget windows that are over, so forged referers cannot grow the map
		for k, w := range t.counts {
			if now.Sub(w.start) >= HookWindow {
				delete(t.counts, k)
			}
		}
	}
	w := t.counts[account]
	if now.Sub(w.start) >= HookWindow {
		w = hookWindow{start: now}
	}
	if w.n >= HookExchanges {
		return w.start.Add(HookWindow).Sub(now), false
	}
	w.n++
	t.counts[account] = w
	return 0, true
}

// callbackError is a refusal with a code for the page and the log.
type callbackError struct {
	code       string
	status     int
	err        error
	retryAfter time.Duration
}

func (e *callbackError) Error() string { return e.code + ": " + e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

func refuse(code string, status int, format string, args ...any) *callbackError {
	return &callbackError{code: code, status: status, err: fmt.Errorf(format, args...)}
}

func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	res, mode, err := h.handle(r.Context(), q)
	res.Err = err
	if err != nil && h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelWarn, "oauth: callback refused", slog.String("account", res.Account), slog.String("reason", err.Error()))
	} else if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelInfo, "oauth: account connected", slog.String("account", res.Account), slog.Bool("from_widget", res.FromWidget))
	}
	if h.OnResult != nil {
		h.OnResult(r.Context(), res)
	}
	h.respond(w, r, res, mode)
}

func (h *CallbackHandler) handle(ctx context.Context, q url.Values) (Result, Mode, error) {
	res := Result{FromWidget: q.Has("from_widget")}
	var data StateData
	if !res.FromWidget {
		if h.States == nil {
			return res, "", refuse("no_state_keys", http.StatusInternalServerError, "the handler has no States")
		}
		d, err := h.States.Verify(q.Get("state"))
		if err != nil {
			return res, "", &callbackError{code: "invalid_state", status: http.StatusBadRequest, err: err}
		}
		data = d
	}
	if e := q.Get("error"); e != "" {
		code := "access_denied"
		if e != "access_denied" {
			code = "consent_error"
		}
		return res, data.Mode, refuse(code, http.StatusOK, "amoCRM answered error=%q", truncate(e, 40))
	}
	// The account host is where the client secret and the code are about to go: check it first.
	account, err := amocrm.ParseDomain(q.Get("referer"))
	if err != nil {
		return res, data.Mode, &callbackError{code: "invalid_referer", status: http.StatusBadRequest, err: err}
	}
	res.Account = account
	if data.Account != "" && data.Account != account {
		return res, data.Mode, refuse("account_mismatch", http.StatusBadRequest, "the consent was given for %s, not for %s", account, data.Account)
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return res, data.Mode, refuse("no_code", http.StatusBadRequest, "no authorization code")
	}
	conn, err := h.Store.Load(ctx, account)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		conn = &tokenstore.Connection{Account: account}
	case err != nil:
		return res, data.Mode, refuse("store_unavailable", http.StatusServiceUnavailable, "loading the connection: %w", err)
	}
	clientID, secret := conn.ClientID, conn.ClientSecret
	if clientID == "" || secret == "" {
		clientID, secret = h.Config.ClientID, h.Config.ClientSecret
	}
	if clientID == "" || secret == "" {
		return res, data.Mode, refuse("unknown_integration", http.StatusBadRequest, "no integration is configured for %s", account)
	}
	// amoCRM's install hook may come without client_id; the account's one integration is then
	// the one the code is for. When present it must name that integration.
	if got := q.Get("client_id"); got != "" && got != clientID {
		return res, data.Mode, refuse("unknown_integration", http.StatusBadRequest, "client_id %q is not this integration", truncate(got, 64))
	}
	if res.FromWidget {
		if wait, ok := h.hooks.allow(account, time.Now()); !ok {
			e := refuse("too_many_attempts", http.StatusTooManyRequests, "more than %d install hooks for %s in %v", HookExchanges, account, HookWindow)
			e.retryAfter = wait
			return res, data.Mode, e
		}
	}
	cfg := h.Config
	cfg.ClientID, cfg.ClientSecret = clientID, secret
	tok, err := cfg.Exchange(ctx, account, code)
	if err != nil {
		return res, data.Mode, refuse("exchange_failed", http.StatusBadGateway, "exchanging the code: %w", err)
	}
	// Whoever sent the code, the tokens must be the account's: otherwise they are dropped and
	// the stored connection stays as it was.
	accountID, err := cfg.proveAccount(ctx, account, conn.AccountID, tok)
	if err != nil {
		var ce *callbackError
		if errors.As(err, &ce) {
			return res, data.Mode, ce
		}
		return res, data.Mode, refuse("account_unverified", http.StatusBadGateway, "reading the account with the new token: %w", err)
	}
	h.fill(conn, clientID, secret, tok)
	conn.AccountID = accountID
	res.AccountID = conn.AccountID
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.Store.Save(sctx, conn); err != nil {
		return res, data.Mode, refuse("store_unavailable", http.StatusServiceUnavailable, "saving the connection: %w", err)
	}
	return res, data.Mode, nil
}

func (h *CallbackHandler) fill(conn *tokenstore.Connection, clientID, secret string, tok *oauth2.Token) {
	conn.ClientID, conn.ClientSecret = clientID, secret
	conn.AccessToken, conn.RefreshToken, conn.Expiry = tok.AccessToken, tok.RefreshToken, tok.Expiry
	conn.ReauthRequired = false
	conn.RefreshedAt = time.Now()
}

// proveAccount shows that tok belongs to account: the token's account_id claim, when there is
// one, must be the stored id (when known), and GET /api/v4/account with the token at the
// account's host must answer the account's subdomain and that same id. Whether amoCRM's token
// endpoint would ever hand out tokens of another account for a code sent to this host is not
// documented, so the answer is checked rather than trusted. It returns the account id.
func (c Config) proveAccount(ctx context.Context, account string, storedID int64, tok *oauth2.Token) (int64, error) {
	mismatch := func(format string, args ...any) error {
		return refuse("tokens_for_another_account", http.StatusBadRequest, format, args...)
	}
	var claimID int64
	if cl, err := ParseClaims(tok.AccessToken); err == nil {
		claimID = cl.AccountID
	}
	if claimID != 0 && storedID != 0 && claimID != storedID {
		return 0, mismatch("the new token is for account %d, %s is account %d", claimID, account, storedID)
	}
	opts := []amocrm.Option{amocrm.WithAccessToken(tok.AccessToken), amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 2, MinWait: 100 * time.Millisecond, MaxWait: time.Second})}
	if c.HTTPClient != nil {
		opts = append(opts, amocrm.WithHTTPClient(c.HTTPClient))
	}
	if c.BaseURL != "" {
		opts = append(opts, amocrm.WithBaseURL(c.BaseURL))
	}
	client, err := amocrm.New(account, opts...)
	if err != nil {
		return 0, err
	}
	a, err := client.Account.Get(ctx)
	if err != nil {
		return 0, err
	}
	sub, _, _ := strings.Cut(account, ".")
	switch {
	case !strings.EqualFold(a.Subdomain, sub):
		return 0, mismatch("the new token reads account %q, not %s", a.Subdomain, account)
	case a.ID <= 0 || (claimID != 0 && a.ID != claimID) || (storedID != 0 && a.ID != storedID):
		return 0, mismatch("the new token reads account %d (claims %d, stored %d)", a.ID, claimID, storedID)
	}
	return a.ID, nil
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>amoCRM</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:3em auto;max-width:32em;padding:0 1em;color:#222}.err{color:#b00020}</style></head>
<body>{{if .OK}}<h1>Аккаунт подключён</h1><p>{{.Account}} подключён. Окно можно закрыть.</p>
{{else}}<h1 class="err">Не удалось подключить аккаунт</h1><p>{{.Message}}</p><p><small>Код ошибки: {{.Code}}</small></p>{{end}}
{{if .PostMessage}}<script>
(function(){var msg={{.Payload}};
if(window.opener){try{window.opener.postMessage(msg,{{.Origin}});}catch(e){}setTimeout(function(){window.close();},300);}})();
</script>{{end}}</body></html>`))

// messages are shown to people for each refusal code; they never include secrets.
var messages = map[string]string{
	"invalid_state":              "Ссылка подключения устарела или уже использована. Начните подключение заново.",
	"access_denied":              "Доступ не предоставлен: в amoCRM нажали «Отказать».",
	"consent_error":              "amoCRM вернул ошибку при подтверждении доступа.",
	"invalid_referer":            "amoCRM вернул неверный адрес аккаунта.",
	"account_mismatch":           "Доступ подтверждён для другого аккаунта, чем тот, что подключали.",
	"no_code":                    "amoCRM не передал код авторизации.",
	"unknown_integration":        "Интеграция не настроена для этого аккаунта: сохраните Client ID и Client Secret и начните заново.",
	"exchange_failed":            "amoCRM не принял код авторизации. Начните подключение заново.",
	"store_unavailable":          "Хранилище подключений недоступно. Попробуйте позже.",
	"no_state_keys":              "Сервер настроен неверно.",
	"too_many_attempts":          "Слишком много попыток подключения. Подождите минуту и попробуйте снова.",
	"account_unverified":         "Не удалось проверить, к какому аккаунту выдан доступ. Начните подключение заново.",
	"tokens_for_another_account": "amoCRM выдал доступ к другому аккаунту. Подключение не изменено.",
}

func (h *CallbackHandler) respond(w http.ResponseWriter, r *http.Request, res Result, mode Mode) {
	code, status := "", http.StatusOK
	var ce *callbackError
	if errors.As(res.Err, &ce) {
		code, status = ce.code, ce.status
		if ce.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((ce.retryAfter+time.Second-1)/time.Second)))
		}
	} else if res.Err != nil {
		code, status = "error", http.StatusInternalServerError
	}
	if res.FromWidget {
		// amoCRM's install hook ignores the answer (docs/widget-backend.md#install-hook); keep it short.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		if code == "" {
			w.Write([]byte("ok\n"))
		} else {
			w.Write([]byte(code + "\n"))
		}
		return
	}
	if mode != ModePostMessage && h.ReturnURL != "" {
		u, err := url.Parse(h.ReturnURL)
		if err == nil {
			q := u.Query()
			if code == "" {
				q.Set("connected", res.Account)
			} else {
				q.Set("error", code)
			}
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	payload := map[string]any{"ok": code == "", "account": res.Account}
	if code != "" {
		payload["error"] = code
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	callbackPage.Execute(w, map[string]any{
		"OK": code == "", "Account": res.Account, "Code": code, "Message": messages[code],
		"PostMessage": mode == ModePostMessage, "Payload": payload, "Origin": h.Config.RedirectOrigin(),
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
