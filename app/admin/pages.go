package admin

import (
	"net/http"
	"time"

	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/proposal"
)

// otherPages makes the admin's price-list editor and proposal settings, both behind the admin
// session: a page or a read needs a valid session, a change also the session's CSRF token (in
// the X-CSRF-Token header for the editor's JSON calls, in the form for the settings page) and
// our own Origin.
func (a *Page) otherPages(cfg Config) error {
	auth := a.auth
	csrf := func(r *http.Request) string { return auth.csrfToken(auth.session(r)) }
	var err error
	a.prices, err = pricelist.NewAdminHandler(pricelist.AdminConfig{
		Store: cfg.PriceLists, Live: cfg.Prices, Logger: a.logger,
		Zone: func(r *http.Request) *time.Location { return a.sharedZone(r.Context()) },
		CSRF: csrf,
		Allow: func(r *http.Request) bool {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return auth.session(r) != ""
			}
			return auth.checkHeader(r)
		},
	})
	if err != nil {
		return err
	}
	a.proposal, err = proposal.NewSettingsHandler(proposal.SettingsConfig{
		Store: cfg.ProposalSettings, Logger: a.logger, CSRF: csrf,
		Allow: func(r *http.Request) bool {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return auth.session(r) != ""
			}
			return auth.checkPost(r)
		},
	})
	return err
}

// pageHeaders gives the admin's other pages the admin page's policy: their own scripts and
// styles only, never in a frame.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
