package calculator_test

import (
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/widget"
)

func TestCalculate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fake.ResetRequests()
	a := f.do(http.MethodPost, "/widget/calculate", fxOrder, "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var q glass.Quote
	a.decode(t, &q)
	want := quoteOf(t, fxOrder)
	assert.Equal(t, want.Lines, q.Lines)
	assert.Equal(t, int64(1720400), q.Total)
	assert.Equal(t, int64(17204), q.LeadPrice)
	assert.Equal(t, want.PriceListVersion, q.PriceListVersion)
	assert.Empty(t, f.fake.Requests(), "a quote is not saved anywhere")

	a = f.do(http.MethodPost, "/widget/calculate", fxOrder)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, widget.CodeTicketMissing, a.errorCode(t))
}

type fieldsAnswer struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Fields  []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"error"`
}

func TestCalculateValidationErrorsHavePaths(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := "Bearer " + f.ticket(f.demo.Leads[0].ID)
	for name, tc := range map[string]struct {
		order string
		paths []string
	}{
		"rules": {
			`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1,"holes":[12,500]},
			{"material":"unobtainium","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}],"discount_percent":90}`,
			[]string{"pieces[0].holes[1]", "pieces[1].material", "discount_percent"},
		},
		"form": {
			`{"pieces":[{"material":"float","thickness_mm":8.5,"width_mm":900,"height_mm":2000,"quantity":1,"colour":"red"}]}`,
			[]string{"pieces[0].thickness_mm", "pieces[0].colour"},
		},
		"missing pieces": {`{}`, []string{"pieces"}},
	} {
		a := f.do(http.MethodPost, "/widget/calculate", tc.order, "Authorization", auth)
		require.Equal(t, http.StatusUnprocessableEntity, a.status, "%s: %s", name, a.body)
		var e fieldsAnswer
		a.decode(t, &e)
		assert.Equal(t, calculator.CodeInvalidOrder, e.Error.Code, name)
		assert.NotEmpty(t, e.Error.Message, name)
		var paths []string
		for _, fe := range e.Error.Fields {
			paths = append(paths, fe.Path)
			assert.NotEmpty(t, fe.Message, name)
		}
		assert.ElementsMatch(t, tc.paths, paths, name)
	}

	a := f.do(http.MethodPost, "/widget/calculate", `{"pieces":[`, "Authorization", auth)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, calculator.CodeInvalidOrder, a.errorCode(t))
	a = f.do(http.MethodPost, "/widget/calculate", ``, "Authorization", auth)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
}

// TestCalculateCapsValidation: 16 requests at once, each a 48 KB order of 16,000 empty pieces,
// get answers of at most 64 KiB that list the first problems and count the rest, and together
// allocate less than 64 MB (an upper bound on what they can add to the heap). Not parallel, so
// that the allocation count is this test's.
func TestCalculateCapsValidation(t *testing.T) {
	f := newFixture(t)
	body := `{"pieces":[` + strings.Repeat(`{},`, 15999) + `{}],"hardware":[],"installation":false,"delivery":false,"urgent":false,"discount_percent":0}`
	require.Less(t, len(body), 49<<10)
	auth := "Bearer " + f.ticket(f.demo.Leads[0].ID)
	f.do(http.MethodPost, "/widget/calculate", body, "Authorization", auth) // warm up: pools, the first connection

	const concurrent = 16
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	answers := make([]answer, concurrent)
	var wg sync.WaitGroup
	for i := range concurrent {
		wg.Go(func() { answers[i] = f.do(http.MethodPost, "/widget/calculate", body, "Authorization", auth) })
	}
	wg.Wait()
	runtime.ReadMemStats(&after)

	for _, a := range answers {
		require.Equal(t, http.StatusUnprocessableEntity, a.status)
		assert.LessOrEqual(t, len(a.body), 64<<10)
		var e struct {
			Error struct {
				Message string              `json:"message"`
				Fields  []widget.FieldError `json:"fields"`
			} `json:"error"`
		}
		a.decode(t, &e)
		assert.Len(t, e.Error.Fields, glass.MaxFieldErrors)
		assert.Contains(t, e.Error.Message, "и ещё")
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("16 concurrent capped answers: %d bytes each, %.1f MB allocated in all", len(answers[0].body), float64(allocated)/(1<<20))
	assert.Less(t, allocated, uint64(64<<20))
}
