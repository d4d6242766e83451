package calculator_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
)

// seasons is a price source whose current list is "зима", float 8 mm at 2 500 ₽/m² instead of
// 2 300, with the default list as an older version.
type seasons struct{ current, old *glass.PriceList }

func newSeasons() seasons {
	winter := glass.DefaultPriceList()
	winter.Version = "зима"
	winter.Materials[0].Prices[8] = 250000
	return seasons{current: winter, old: glass.DefaultPriceList()}
}

func (s seasons) Current(context.Context) *glass.PriceList { return s.current }

func (s seasons) Version(_ context.Context, name string) (*glass.PriceList, error) {
	for _, pl := range []*glass.PriceList{s.current, s.old} {
		if pl.Version == name {
			return pl, nil
		}
	}
	return nil, calculator.ErrUnknownPriceList
}

func TestCalculate_pricesWithTheCurrentOrTheNamedVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{prices: newSeasons()})
	auth := "Bearer " + f.ticket(f.demo.Leads[0].ID)
	for _, c := range []struct {
		query, version string
		total          int64
	}{
		{"", "зима", 1720400 + 36000}, // 200 ₽ × 1,8 m² more
		{"?price_list=зима", "зима", 1756400},
		{"?price_list=default-2025.1", "default-2025.1", 1720400},
	} {
		a := f.do(http.MethodPost, "/widget/calculate"+c.query, fxOrder, "Authorization", auth)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		var q glass.Quote
		a.decode(t, &q)
		assert.Equal(t, c.total, q.Total, c.query)
		assert.Equal(t, c.version, q.PriceListVersion, c.query)
	}
	a := f.do(http.MethodPost, "/widget/calculate?price_list=весна-2020", fxOrder, "Authorization", auth)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, calculator.CodeUnknownPriceList, a.errorCode(t))
	assert.Contains(t, string(a.body), "весна-2020")
}

func TestSave_recordsTheVersionItWasPricedWith(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{prices: newSeasons()})
	lead := f.demo.Leads[0].ID
	body := `{"action":"save_calculation","idempotency_key":"0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b",` +
		`"price_list_version":"default-2025.1","order":` + fxOrder + `}`
	a := f.do(http.MethodPost, "/widget/api", body, "Authorization", "Bearer "+f.ticket(lead))
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var s saveAnswer
	a.decode(t, &s)
	assert.Equal(t, int64(1720400), s.Calculation.Quote.Total)
	assert.Equal(t, "default-2025.1", s.Calculation.Quote.PriceListVersion)

	_, s = f.save(lead, "1b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b", fxOrder)
	assert.Equal(t, int64(1756400), s.Calculation.Quote.Total, "a new calculation has the current prices")
	assert.Equal(t, "зима", s.Calculation.Quote.PriceListVersion)
}

func TestNewHandler_pricesOneWay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	both := f.cfg
	both.Prices = newSeasons()
	_, err := calculator.NewHandler(both)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "both set")
	neither := f.cfg
	neither.PriceList = nil
	_, err = calculator.NewHandler(neither)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set one")
}
