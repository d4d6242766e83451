package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/amokit/amokit/tokenstore"
)

// RevokeHandler serves amoCRM's disconnect hook (docs/widget.md#revoke-hook): a GET with
// client_uuid, account_id and signature = hex(HMAC-SHA256(client_secret, client_uuid + "|" +
// account_id)). It finds the account's connection, checks the signature in constant time with that
// integration's secret, and only then deletes the connection. A bad signature deletes nothing.
type RevokeHandler struct {
	// Config is the integration used for connections that carry no client id of their own.
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
	conns, err := h.Store.List(r.Context())
	if err != nil {
		reply(http.StatusServiceUnavailable, "store_unavailable")
		return
	}
	for _, c := range conns {
		id, secret := c.ClientID, c.ClientSecret
		if id == "" {
			id, secret = h.Config.ClientID, h.Config.ClientSecret
		}
		if c.AccountID != accountID || id != clientID || secret == "" {
			continue
		}
		if !validSignature(secret, clientID, q.Get("account_id"), sig) {
			h.log(r, slog.LevelWarn, "oauth: revoke hook with a bad signature", c.Account)
			reply(http.StatusForbidden, "bad_signature")
			return
		}
		if err := h.delete(r.Context(), c.Account); err != nil && !errors.Is(err, tokenstore.ErrNotFound) {
			reply(http.StatusServiceUnavailable, "store_unavailable")
			return
		}
		h.log(r, slog.LevelInfo, "oauth: integration disconnected by amoCRM", c.Account)
		if h.OnRevoke != nil {
			h.OnRevoke(r.Context(), c.Account)
		}
		reply(http.StatusOK, "")
		return
	}
	reply(http.StatusNotFound, "unknown_connection")
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

func (h *RevokeHandler) log(r *http.Request, level slog.Level, msg, account string) {
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), level, msg, slog.String("account", account))
	}
}
