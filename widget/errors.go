package widget

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes written by the pieces of this package. Handlers add their own codes; every code is
// a stable, lower-case snake_case word that the iframe and script.js may switch on.
const (
	// CodeTokenMissing: the X-Auth-Token header is absent or empty.
	CodeTokenMissing = "token_missing"
	// CodeTokenTooLarge: the token is longer than MaxTokenSize and was not parsed.
	CodeTokenTooLarge = "token_too_large"
	// CodeTokenMalformed: the token is not a well-formed JWT with the expected claim types.
	CodeTokenMalformed = "token_malformed"
	// CodeTokenAlgorithm: the token is signed with something other than HS256.
	CodeTokenAlgorithm = "token_algorithm"
	// CodeTokenSignature: the HS256 signature does not match the integration's client secret.
	CodeTokenSignature = "token_signature"
	// CodeTokenExpired: exp has passed (beyond the allowed clock skew).
	CodeTokenExpired = "token_expired"
	// CodeTokenNotYetValid: nbf lies in the future (beyond the allowed clock skew).
	CodeTokenNotYetValid = "token_not_yet_valid"
	// CodeTokenIssuedInFuture: iat lies in the future (beyond the allowed clock skew).
	CodeTokenIssuedInFuture = "token_issued_in_future"
	// CodeTokenAudience: aud is not the scheme and host of our redirect URI.
	CodeTokenAudience = "token_audience"
	// CodeTokenUnknownClient: the account named by iss is not connected with the integration
	// named by client_uuid.
	CodeTokenUnknownClient = "token_unknown_client"
	// CodeTokenAccount: account_id is not the id stored for the account named by iss.
	CodeTokenAccount = "token_account_mismatch"
	// CodeTokenLifetime: exp lies further from iat than amoCRM's tokens live (MaxTokenLifetime).
	CodeTokenLifetime = "token_lifetime"
	// CodeTokenIssuer: iss is not an amoCRM or Kommo account URL, or disagrees with subdomain.
	CodeTokenIssuer = "token_issuer"
	// CodeTokenClaims: a required claim (account_id, user_id, exp, …) is missing or out of range.
	CodeTokenClaims = "token_claims"

	// CodeTicketMissing: no session ticket in Authorization: Bearer or ?ticket=.
	CodeTicketMissing = "ticket_missing"
	// CodeTicketInvalid: the ticket is malformed or its signature does not match.
	CodeTicketInvalid = "ticket_invalid"
	// CodeTicketExpired: the ticket's lifetime is over; the card must ask for a new session.
	CodeTicketExpired = "ticket_expired"
	// CodeTicketMismatch: X-Lead-Id or X-Account-Domain disagrees with the ticket.
	CodeTicketMismatch = "ticket_mismatch"

	// CodeOriginNotAllowed: a CORS preflight from an origin that is not an amoCRM account.
	CodeOriginNotAllowed = "origin_not_allowed"
	// CodeInternal: the server failed; the message says no more than that.
	CodeInternal = "internal_error"
)

// MaxFieldErrors is how many field errors WriteError puts into one answer; the message says how
// many there were in all. Validators should stop collecting there too (see app/glass).
const MaxFieldErrors = 50

// FieldError names one invalid field of a request.
type FieldError struct {
	Path    string `json:"path"`    // JSON path of the field, e.g. "order.items[2].width_mm"
	Message string `json:"message"` // what is wrong, for people
}

// ErrorBody is the inside of every error answer of the widget backend.
type ErrorBody struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

// ErrorResponse is the JSON shape of every error answer of the widget backend:
//
//	{"error":{"code":"token_expired","message":"…","fields":[{"path":"…","message":"…"}]}}
//
// fields is left out when there are none. Clients decode it to read the code.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// WriteError writes an ErrorResponse with the given HTTP status. code is one of the Code
// constants or a handler's own code; message is for people and must never carry a token, a
// ticket or a secret. The answer is marked no-store and nosniff.
func WriteError(w http.ResponseWriter, status int, code, message string, fields ...FieldError) {
	if len(fields) > MaxFieldErrors {
		message += fmt.Sprintf(" (показаны первые %d ошибок из %d)", MaxFieldErrors, len(fields))
		fields = fields[:MaxFieldErrors]
	}
	body, err := json.Marshal(ErrorResponse{Error: ErrorBody{Code: code, Message: message, Fields: fields}})
	if err != nil { // cannot happen for strings and FieldError, but never write a half answer
		body = []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
