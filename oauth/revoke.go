package oauth

import (
	"time"

	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/amokit/amokit/amocrm"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/amokit/amokit/tokenstore"
)

// RevokeHandler serves amoCRM's disconnect hook (docs/security.md#the-revoke-hook): a GET with
// client_uuid, account_id and signature = hex(HMAC-SHA256(client_secret, client_uuid + "|" +
// account_id)). It finds the account's connection by account id (tokenstore.FindByAccountID),
// checks the signature in constant time with that integration's secret, and then asks amoCRM
// whether the stored tokens still work: only when amoCRM refuses them (the integration really
// was disconnected) is the connection deleted. A signature is the same on every call for an
// account, so a replayed old one must not delete a connection made again since. An unknown
// account, a bad signature and tokens amoCRM still accepts all get the same answer, so that
// nobody can probe which accounts are connected.
type RevokeHandler struct {
	// Config is the integration used for connections that carry no client id of their own, and
	// how amoCRM is reached (BaseURL, HTTPClient) to check the tokens.
	Config   Config
	Store    tokenstore.Store
	OnRevoke func(ctx context.Context, account string)
	Logger   *slog.Logger
}

func (h *RevokeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"ok": code == "", "error": code})
	}
	refused := func() { reply(http.StatusForbidden, "refused") }
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		reply(http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	q := r.URL.Query()
	clientID, sig := q.Get("client_uuid"), q.Get("signature")
	accountID, err := strconv.ParseInt(q.Get("account_id"), 10, 64)
	if clientID == "" || sig == "" || err != nil || accountID <= 0 {
		reply(http.StatusBadRequest, "bad_request")
		return
	}
	conns, err := tokenstore.FindByAccountID(r.Context(), h.Store, accountID)
	if err != nil {
		reply(http.StatusServiceUnavailable, "store_unavailable")
		return
	}
	var target *tokenstore.Connection
	for _, c := range conns {
		id, secret := c.ClientID, c.ClientSecret
		if id == "" {
			id, secret = h.Config.ClientID, h.Config.ClientSecret
		}
		if id == clientID && secret != "" && validSignature(secret, clientID, q.Get("account_id"), sig) {
			target = &c
			break
		}
	}
	if target == nil {
		h.log(r, slog.LevelWarn, "oauth: revoke hook refused: no connection of this account and integration with this signature", "",
			slog.Int64("account_id", accountID))
		refused()
		return
	}
	gone, err := h.disconnected(r.Context(), target.Account)
	switch {
	case err != nil:
		h.log(r, slog.LevelWarn, "oauth: revoke hook: amoCRM could not be asked whether the integration is disconnected", target.Account,
			slog.String("error", err.Error()))
		reply(http.StatusServiceUnavailable, "unavailable")
		return
	case !gone:
		h.log(r, slog.LevelWarn, "oauth: revoke hook with a valid signature, but amoCRM still accepts the tokens: a replay; nothing deleted", target.Account)
		refused()
		return
	}
	if err := h.delete(r.Context(), target.Account); err != nil && !errors.Is(err, tokenstore.ErrNotFound) {
		reply(http.StatusServiceUnavailable, "store_unavailable")
		return
	}
	h.log(r, slog.LevelInfo, "oauth: integration disconnected by amoCRM", target.Account)
	if h.OnRevoke != nil {
		h.OnRevoke(r.Context(), target.Account)
	}
	reply(http.StatusOK, "")
}

// disconnected asks amoCRM with the account's stored tokens (refreshing them when they are
// due, like any call) whether the integration is still connected: true when amoCRM refuses the
// tokens or the refresh token.
func (h *RevokeHandler) disconnected(ctx context.Context, account string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	ts, err := h.Config.TokenSource(ctx, h.Store, account, WithRefreshAttempts(1))
	if err != nil {
		return false, err
	}
	opts := []amocrm.Option{amocrm.WithTokenSource(ts), amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 1})}
	if h.Config.HTTPClient != nil {
		opts = append(opts, amocrm.WithHTTPClient(h.Config.HTTPClient))
	}
	if h.Config.BaseURL != "" {
		opts = append(opts, amocrm.WithBaseURL(h.Config.BaseURL))
	}
	client, err := amocrm.New(account, opts...)
	if err != nil {
		return false, err
	}
	_, err = client.Account.Get(ctx)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, ErrReauthorizationRequired), errors.Is(err, amocrm.ErrUnauthorized):
		return true, nil
	}
	return false, err
}

// delete removes the connection under the account's lock when the store has one, so that a
// refresh in flight cannot save the connection back after it was deleted.
func (h *RevokeHandler) delete(ctx context.Context, account string) error {
	if l, ok := h.Store.(tokenstore.Locker); ok {
		return l.WithLock(ctx, account, func(ctx context.Context) error { return h.Store.Delete(ctx, account) })
	}
	return h.Store.Delete(ctx, account)
}

func validSignature(secret, clientID, accountID, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(clientID + "|" + accountID))
	return hmac.Equal(got, m.Sum(nil))
}

func (h *RevokeHandler) log(r *http.Request, level slog.Level, msg, account string, attrs ...slog.Attr) {
	if h.Logger != nil {
		if account != "" {
			attrs = append(attrs, slog.String("account", account))
		}
		h.Logger.LogAttrs(r.Context(), level, msg, attrs...)
	}
}
