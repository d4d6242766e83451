// Package oauth connects amoCRM and Kommo accounts with OAuth 2.0 and keeps their tokens fresh.
//
// It covers the whole flow (docs/amocrm-reference.md#oauth, docs/widget-backend.md#install-hook,
// docs/widget-backend.md#revoke-hook):
//
//   - Config.AuthCodeURL sends a person to amoCRM's consent page with a signed, expiring,
//     single-use state (States);
//   - CallbackHandler serves the redirect URI: it checks the state (or, for the widget's install
//     hook, which has none, throttles it per account), checks the account host before the client
//     secret goes anywhere, exchanges the code, proves the tokens are that account's and saves
//     the connection in a tokenstore.Store;
//   - RevokeHandler serves amoCRM's disconnect hook and deletes the connection once the signature
//     checks out and amoCRM refuses the stored tokens (a replayed signature deletes nothing);
//   - Config.TokenSource gives an oauth2.TokenSource for one account that refreshes before expiry,
//     serialises refreshes across goroutines and, through tokenstore.Locker, across processes,
//     and saves the rotated refresh token before the new access token is used.
//
// Connecting an account and then calling the API from any replica:
//
//	cfg := oauth.Config{ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://calc.example.com/oauth/callback"}
//	store := tokenstore.NewMemory() // or tokenstore/postgres, shared by every replica
//	states, err := oauth.NewStates(stateKey, 0)
//	if err != nil {
//		return err
//	}
//	http.Handle("/oauth/callback", &oauth.CallbackHandler{Config: cfg, States: states, Store: store})
//	http.Handle("/oauth/revoke", &oauth.RevokeHandler{Config: cfg, Store: store})
//	state, err := states.New(oauth.StateData{Account: "acme.amocrm.ru", Mode: oauth.ModePopup})
//	if err != nil {
//		return err
//	}
//	fmt.Println("connect at", cfg.AuthCodeURL(state, oauth.ModePopup))
//
//	// Once the callback has saved the connection:
//	ts, err := cfg.TokenSource(ctx, store, "acme.amocrm.ru")
//	if err != nil {
//		return err
//	}
//	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithTokenSource(ts))
//
// amoCRM rotates the refresh token on every refresh and treats it as single use: a refresh whose
// result is lost, or two processes refreshing at once, lock the integration out until a person
// authorises it again. The token source exists to make that impossible.
package oauth
