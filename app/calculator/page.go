package calculator

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sync"

	"github.com/amokit/amokit/app/glass"
)

//go:embed web
var webFS embed.FS

var (
	pageTemplate = template.Must(template.ParseFS(webFS, "web/calculator.html"))
	assets, _    = fs.Sub(webFS, "web")
)

// Assets are the calculator page's stylesheet and script, which it links as
// /static/calculator.css and /static/calculator.js.
func Assets() fs.FS { return assets }

// NewPage returns the calculator page, the page the widget frames in the lead card
// (widget.Config.Page): calculator.html with the current price list of prices inside, so a page opened after a new
// version is published prices with it. The page of each version is rendered once.
func NewPage(prices PriceSource) (http.Handler, error) {
	var mu sync.Mutex
	pages := map[*glass.PriceList][]byte{}
	render := func(pl *glass.PriceList) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if page, ok := pages[pl]; ok {
			return page, nil
		}
		raw, err := json.Marshal(pl) // escapes <, > and &: safe inside a script element
		if err != nil {
			return nil, fmt.Errorf("encoding the price list: %w", err)
		}
		var buf bytes.Buffer
		if err := pageTemplate.ExecuteTemplate(&buf, "calculator.html", map[string]any{"PriceList": template.JS(raw)}); err != nil {
			return nil, fmt.Errorf("rendering the calculator page: %w", err)
		}
		clear(pages) // only the current version's page is kept
		pages[pl] = buf.Bytes()
		return buf.Bytes(), nil
	}
	if _, err := render(prices.Current(context.Background())); err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := render(prices.Current(r.Context()))
		if err != nil {
			http.Error(w, "Не удалось показать калькулятор. Обновите страницу.", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		// The widget package has set frame-ancestors; this second policy limits everything else.
		h.Add("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'")
		w.Write(page)
	}), nil
}
