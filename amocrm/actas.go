package amocrm

import (
	"context"
	"net/http"
	"strconv"
)

// ContextUserHeader is the header that makes amoCRM run a request with the rights of one of the
// account's users. See AsUser.
const ContextUserHeader = "X-Context-User-ID"

type actAsKey struct{}

// AsUser returns a copy of ctx under which every request a Client sends runs as the account user
// userID: amoCRM applies that user's rights (a lead the user may not see is not found, a lead the
// user may not edit is refused) and records the user as the author of what the request writes.
// The Client sends X-Context-User-ID on every attempt, paced, authorised and retried like any
// other request. amoCRM honours the header only for a token granted by an account administrator,
// and refuses it for a user who is free, inactive or not in the account (docs/security.md).
// A userID ≤ 0 returns ctx without a user: the request runs as the token's own user.
func AsUser(ctx context.Context, userID int64) context.Context {
	if userID <= 0 {
		return context.WithValue(ctx, actAsKey{}, int64(0))
	}
	return context.WithValue(ctx, actAsKey{}, userID)
}

// ActingUser returns the user set on ctx by AsUser, if any.
func ActingUser(ctx context.Context) (int64, bool) {
	id, _ := ctx.Value(actAsKey{}).(int64)
	return id, id > 0
}

// actAsTransport sets ContextUserHeader from the request's context, and removes it when the
// context names no user, so that only AsUser decides whom a request acts as.
type actAsTransport struct{ base http.RoundTripper }

func (t *actAsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	id, ok := ActingUser(req.Context())
	if !ok && req.Header.Get(ContextUserHeader) == "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	if ok {
		r.Header.Set(ContextUserHeader, strconv.FormatInt(id, 10))
	} else {
		r.Header.Del(ContextUserHeader)
	}
	return t.base.RoundTrip(r)
}
