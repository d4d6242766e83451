// Package oauth connects amoCRM and Kommo accounts with OAuth 2.0 and keeps their tokens fresh.
//
// It covers the whole flow (docs/amocrm-api.md#oauth, docs/widget.md#install-hook,
// docs/widget.md#revoke-hook):
//
//   - Config.AuthCodeURL sends a person to amoCRM's consent page with a signed, expiring,
//     single-use state (States);
//   - CallbackHandler serves the redirect URI: it checks the state (or, for the widget's install
//     hook, the client id), checks the account host before the client secret goes anywhere,
//     exchanges the code and saves the connection in a tokenstore.Store;
//   - RevokeHandler serves amoCRM's disconnect hook and deletes the connection once the signature
//     checks out;
//   - Config.TokenSource gives an oauth2.TokenSource for one account that refreshes before expiry,
//     serialises refreshes across goroutines and, through tokenstore.Locker, across processes,
//     and saves the rotated refresh token before the new access token is used.
//
// amoCRM rotates the refresh token on every refresh and treats it as single use: a refresh whose
// result is lost, or two processes refreshing at once, lock the integration out until a person
// authorises it again. The token source exists to make that impossible.
package oauth
