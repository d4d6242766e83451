package amocrm

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type item struct {
	ID int64 `json:"id"`
}

// pagedServer serves items 1..n in pages of two with absolute next links, then 204 past the end.
func pagedServer(t *testing.T, n int) (*Client, *atomic.Int32) {
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("GET /amo/api/v4/items", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "2", r.URL.Query().Get("limit"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		first := (page-1)*2 + 1
		if first > n {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var items []item
		for id := first; id <= min(first+1, n); id++ {
			items = append(items, item{ID: int64(id)})
		}
		links := map[string]any{"self": map[string]string{"href": "http://" + r.Host + r.URL.String()}}
		// The last full page still links to a next page: amoCRM answers that one with 204.
		if first+1 <= n {
			links["next"] = map[string]string{"href": fmt.Sprintf("http://%s/amo/api/v4/items?limit=2&page=%d", r.Host, page+1)}
		}
		writeJSON(t, w, 200, map[string]any{"_page": page, "_links": links, "_embedded": map[string]any{"items": items}})
	})
	return c, &calls
}

func TestAllFollowsNextLinksUntil204(t *testing.T) {
	t.Parallel()
	c, calls := pagedServer(t, 6)
	var ids []int64
	for it, err := range listAll[item](t.Context(), c, "api/v4/items", map[string][]string{"limit": {"2"}}, "items") {
		require.NoError(t, err)
		ids = append(ids, it.ID)
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, ids)
	assert.Equal(t, int32(4), calls.Load(), "three pages and a 204")
}

func TestAllStopsWithoutANextLinkAndOnBreak(t *testing.T) {
	t.Parallel()
	c, calls := pagedServer(t, 5)
	n := 0
	for _, err := range listAll[item](t.Context(), c, "api/v4/items", map[string][]string{"limit": {"2"}}, "items") {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 5, n)
	assert.Equal(t, int32(3), calls.Load())

	calls.Store(0)
	seq := listAll[item](t.Context(), c, "api/v4/items", map[string][]string{"limit": {"2"}}, "items")
	assert.Zero(t, calls.Load(), "All is lazy")
	for it := range seq {
		if it.ID == 3 {
			break
		}
	}
	assert.Equal(t, int32(2), calls.Load())
}

func TestAllCopiesTheOptionsAndYieldsAnErrorOnce(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetry(RetryPolicy{Attempts: 1}))
	mux.HandleFunc("GET /amo/api/v4/items", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	q := map[string][]string{"limit": {"2"}}
	seq := listAll[item](t.Context(), c, "api/v4/items", q, "items")
	q["limit"][0] = "99"
	errs := 0
	for _, err := range seq {
		require.Error(t, err)
		errs++
	}
	assert.Equal(t, 1, errs)
}

func TestListPage(t *testing.T) {
	t.Parallel()
	c, _ := pagedServer(t, 3)
	p, err := listPage[item](t.Context(), c, "api/v4/items", map[string][]string{"limit": {"2"}, "page": {"2"}}, "items")
	require.NoError(t, err)
	assert.Equal(t, 2, p.Number)
	assert.Equal(t, []item{{ID: 3}}, p.Items)
	assert.False(t, p.HasNext())

	p, err = listPage[item](t.Context(), c, "api/v4/items", map[string][]string{"limit": {"2"}, "page": {"9"}}, "items")
	require.NoError(t, err)
	assert.Empty(t, p.Items)
	assert.False(t, p.HasNext())
}

func TestPageToleratesOtherKeysUnderEmbedded(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/items", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"_page":1,"_embedded":{"meta":{"total":2},"items":[{"id":1},{"id":2}]}}`))
	})
	mux.HandleFunc("GET /amo/api/v4/broken", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"_page":1,"_embedded":{"items":[{"id":"one"}]}}`))
	})
	p, err := listPage[item](t.Context(), c, "api/v4/items", nil, "items")
	require.NoError(t, err)
	assert.Equal(t, []item{{ID: 1}, {ID: 2}}, p.Items)

	_, err = listPage[item](t.Context(), c, "api/v4/broken", nil, "items")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "_embedded.items")
}
