// Package pricelisttest is the contract every pricelist.Store passes:
// versions keep their bytes, author and order, names are unique even under
// concurrent publishing, and lists are newest first.
package pricelisttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/pricelist"
)

// Run runs the contract against stores made by newStore, one per subtest.
func Run(t *testing.T, newStore func(t *testing.T) pricelist.Store) {
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Latest(t.Context())
		assert.ErrorIs(t, err, pricelist.ErrNoVersion)
		id, err := s.LatestID(t.Context())
		require.NoError(t, err)
		assert.Zero(t, id)
		_, err = s.Get(t.Context(), "x")
		assert.ErrorIs(t, err, pricelist.ErrNoVersion)
		list, err := s.List(t.Context(), 10)
		require.NoError(t, err)
		assert.Empty(t, list)
	})
	t.Run("PublishKeepsBytesAuthorAndOrder", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		before := time.Now().Add(-time.Minute)
		data1 := []byte(`{"version": "зима-2027",  "odd spacing": true}`)
		v1, err := s.Publish(ctx, "зима-2027", "Анна", data1)
		require.NoError(t, err)
		v2, err := s.Publish(ctx, "весна-2027", "Пётр", []byte(`{"version":"весна-2027"}`))
		require.NoError(t, err)
		assert.Greater(t, v2.ID, v1.ID)
		assert.True(t, v1.PublishedAt.After(before), "PublishedAt %v", v1.PublishedAt)

		got, err := s.Get(ctx, "зима-2027")
		require.NoError(t, err)
		assert.Equal(t, data1, got.JSON, "the JSON comes back byte for byte")
		assert.Equal(t, "Анна", got.Author)
		assert.Equal(t, v1.ID, got.ID)

		latest, err := s.Latest(ctx)
		require.NoError(t, err)
		assert.Equal(t, "весна-2027", latest.Name)
		id, err := s.LatestID(ctx)
		require.NoError(t, err)
		assert.Equal(t, v2.ID, id)

		list, err := s.List(ctx, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, []string{"весна-2027", "зима-2027"}, []string{list[0].Name, list[1].Name})
		assert.Nil(t, list[0].JSON, "lists leave the JSON out")
		one, err := s.List(ctx, 1)
		require.NoError(t, err)
		assert.Len(t, one, 1)
	})
	t.Run("NamesAreUnique", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Publish(t.Context(), "v1", "a", []byte(`{}`))
		require.NoError(t, err)
		_, err = s.Publish(t.Context(), "v1", "b", []byte(`{"other":1}`))
		assert.ErrorIs(t, err, pricelist.ErrVersionExists)
		got, err := s.Get(t.Context(), "v1")
		require.NoError(t, err)
		assert.Equal(t, "a", got.Author, "the first publication stays")
	})
	t.Run("ConcurrentPublishersOneWinnerPerName", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.Publish(context.Background(), "same", fmt.Sprint("author", i), []byte(`{}`))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, pricelist.ErrVersionExists)
			}
		}
		assert.Equal(t, 1, won)
	})
	t.Run("ReturnedVersionsAreCopies", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		v, err := s.Publish(t.Context(), "v", "a", []byte(`{"a":1}`))
		require.NoError(t, err)
		v.JSON[0] = 'X'
		got, err := s.Get(t.Context(), "v")
		require.NoError(t, err)
		got.JSON[1] = 'Y'
		again, err := s.Get(t.Context(), "v")
		require.NoError(t, err)
		assert.True(t, bytes.Equal([]byte(`{"a":1}`), again.JSON))
	})
	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Publish(ctx, "v", "a", []byte(`{}`)); err != nil {
			assert.True(t, errors.Is(err, context.Canceled), "a failed publish says why: %v", err)
		}
	})
}
