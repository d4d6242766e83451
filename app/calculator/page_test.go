package calculator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
)

// switchPrices is a PriceSource whose current price list a test replaces.
type switchPrices struct {
	mu sync.Mutex
	pl *glass.PriceList
}

func (s *switchPrices) Current(context.Context) *glass.PriceList {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pl
}

func (s *switchPrices) Version(ctx context.Context, name string) (*glass.PriceList, error) {
	return calculator.StaticPrices(s.Current(ctx)).Version(ctx, name)
}

// embeddedPriceList reads the price list the page carries.
func embeddedPriceList(t *testing.T, page string) *glass.PriceList {
	t.Helper()
	const open = `<script id="pricelist" type="application/json">`
	start := strings.Index(page, open)
	require.Positive(t, start)
	raw := page[start+len(open):]
	raw = raw[:strings.Index(raw, "</script>")]
	pl, err := glass.LoadPriceList(strings.NewReader(raw))
	require.NoError(t, err, "the embedded price list reads back")
	return pl
}

// TestNewPage: the page carries the current price list, a newly published one as soon as it is
// current, and a content policy of its own beside the widget's frame-ancestors.
func TestNewPage(t *testing.T) {
	t.Parallel()
	prices := &switchPrices{pl: glass.DefaultPriceList()}
	page, err := calculator.NewPage(prices)
	require.NoError(t, err)
	open := func() (*http.Response, string) {
		rec := httptest.NewRecorder()
		page.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/widget/page?ticket=abc", nil))
		resp := rec.Result()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	resp, body := open()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, glass.DefaultPriceList(), embeddedPriceList(t, body))
	assert.Contains(t, body, `src="/static/calculator.js"`)

	winter := glass.DefaultPriceList()
	winter.Version = "зима"
	winter.Materials[0].Prices[8] = 250000
	prices.mu.Lock()
	prices.pl = winter
	prices.mu.Unlock()
	_, body = open()
	assert.Equal(t, winter, embeddedPriceList(t, body), "a page opened now has the new prices")

	for _, name := range []string{"calculator.js", "calculator.css"} {
		_, err := calculator.Assets().Open(name)
		assert.NoError(t, err, name)
	}
}
