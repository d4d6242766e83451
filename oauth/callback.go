package oauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
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

// CallbackHandler serves the integration's redirect URI (docs/amocrm-api.md#redirect,
// docs/widget.md#install-hook). It reads code, state, referer, client_id, from_widget and error;
// checks the state, or for the install hook (from_widget, which carries no state) the client id;
// checks the referer with amocrm.ParseDomain before the client secret is sent anywhere; exchanges
// the code; saves the connection; calls OnResult; and answers with a small page. In post_message
// mode the page tells its opener {ok, account} (never a token) and closes; otherwise it redirects
// to ReturnURL.
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
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// callbackError is a refusal with a code for the page and the log.
type callbackError struct {
	code   string
	status int
	err    error
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
	if got := q.Get("client_id"); (res.FromWidget || got != "") && got != clientID {
		return res, data.Mode, refuse("unknown_integration", http.StatusBadRequest, "client_id %q is not this integration", truncate(got, 64))
	}
	cfg := h.Config
	cfg.ClientID, cfg.ClientSecret = clientID, secret
	tok, err := cfg.Exchange(ctx, account, code)
	if err != nil {
		return res, data.Mode, refuse("exchange_failed", http.StatusBadGateway, "exchanging the code: %w", err)
	}
	h.fill(conn, clientID, secret, tok)
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
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	conn.RefreshedAt = now()
	if c, err := ParseClaims(tok.AccessToken); err == nil && c.AccountID != 0 {
		conn.AccountID = c.AccountID
	}
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
	"invalid_state":       "Ссылка подключения устарела или уже использована. Начните подключение заново.",
	"access_denied":       "Доступ не предоставлен: в amoCRM нажали «Отказать».",
	"consent_error":       "amoCRM вернул ошибку при подтверждении доступа.",
	"invalid_referer":     "amoCRM вернул неверный адрес аккаунта.",
	"account_mismatch":    "Доступ подтверждён для другого аккаунта, чем тот, что подключали.",
	"no_code":             "amoCRM не передал код авторизации.",
	"unknown_integration": "Интеграция не настроена для этого аккаунта: сохраните Client ID и Client Secret и начните заново.",
	"exchange_failed":     "amoCRM не принял код авторизации. Начните подключение заново.",
	"store_unavailable":   "Хранилище подключений недоступно. Попробуйте позже.",
	"no_state_keys":       "Сервер настроен неверно.",
}

func (h *CallbackHandler) respond(w http.ResponseWriter, r *http.Request, res Result, mode Mode) {
	code, status := "", http.StatusOK
	var ce *callbackError
	if errors.As(res.Err, &ce) {
		code, status = ce.code, ce.status
	} else if res.Err != nil {
		code, status = "error", http.StatusInternalServerError
	}
	if res.FromWidget {
		// amoCRM's install hook ignores the answer (docs/widget.md#install-hook); keep it short.
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
