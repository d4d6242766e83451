package calculatortest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
)

// RunCatalogIndex runs the contract of calculator.CatalogIndex as parallel subtests of t.
// newIndex must return a new, empty index each time it is called; it may register cleanups on
// the t it is given.
func RunCatalogIndex(t *testing.T, newIndex func(t *testing.T) calculator.CatalogIndex) {
	t.Helper()
	const acme, other = "acme.amocrm.ru", "other.amocrm.ru"

	t.Run("NothingRemembered", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		c, err := x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Zero(t, c.ID)
		assert.Zero(t, c.PriceFieldID)
		assert.Empty(t, c.Elements)
		require.NoError(t, x.ForgetElements(t.Context(), acme, 5, []string{"a"}), "forgetting what is not there is no error")
		require.NoError(t, x.ForgetCatalog(t.Context(), acme))
	})

	t.Run("RememberedAndMerged", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5}))
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5, PriceFieldID: 77,
			Elements: map[string]int64{"float-8": 101, "hinge": 102}}))
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5,
			Elements: map[string]int64{"hinge": 202, "polish": 103}}))
		c, err := x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, calculator.ProductCatalog{ID: 5, PriceFieldID: 77,
			Elements: map[string]int64{"float-8": 101, "hinge": 202, "polish": 103}}, c,
			"a price field of 0 keeps the known one; an SKU takes its newest element")
	})

	t.Run("AccountsApart", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5, PriceFieldID: 77,
			Elements: map[string]int64{"float-8": 101}}))
		require.NoError(t, x.RememberCatalog(t.Context(), other, calculator.ProductCatalog{ID: 9,
			Elements: map[string]int64{"float-8": 901}}))
		c, err := x.LoadCatalog(t.Context(), other)
		require.NoError(t, err)
		assert.Equal(t, calculator.ProductCatalog{ID: 9, Elements: map[string]int64{"float-8": 901}}, c)
		require.NoError(t, x.ForgetCatalog(t.Context(), other))
		c, err = x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, int64(101), c.Elements["float-8"], "forgetting one account's catalog leaves the other's")
		require.NoError(t, x.ForgetElements(t.Context(), other, 5, []string{"float-8"}))
		c, err = x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, int64(101), c.Elements["float-8"], "another account's catalog id does not reach this one")
	})

	t.Run("AnotherCatalogReplaces", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5, PriceFieldID: 77,
			Elements: map[string]int64{"float-8": 101}}))
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 6,
			Elements: map[string]int64{"mirror-4": 601}}))
		c, err := x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, calculator.ProductCatalog{ID: 6, Elements: map[string]int64{"mirror-4": 601}}, c,
			"the old catalog's price field and elements are gone with it")
	})

	t.Run("ForgetElements", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5, PriceFieldID: 77,
			Elements: map[string]int64{"a": 1, "b": 2, "c": 3}}))
		require.NoError(t, x.ForgetElements(t.Context(), acme, 6, []string{"a"}), "another catalog: nothing forgotten")
		require.NoError(t, x.ForgetElements(t.Context(), acme, 5, []string{"b", "c", "zzz"}))
		c, err := x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, calculator.ProductCatalog{ID: 5, PriceFieldID: 77, Elements: map[string]int64{"a": 1}}, c)
		require.NoError(t, x.ForgetCatalog(t.Context(), acme))
		c, err = x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Zero(t, c.ID)
		assert.Empty(t, c.Elements)
	})

	t.Run("CopiesAndValidation", func(t *testing.T) {
		t.Parallel()
		x := newIndex(t)
		in := map[string]int64{"a": 1}
		require.NoError(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{ID: 5, Elements: in}))
		in["a"] = 99
		c, err := x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		c.Elements["a"] = 98
		c, err = x.LoadCatalog(t.Context(), acme)
		require.NoError(t, err)
		assert.Equal(t, int64(1), c.Elements["a"])
		assert.Error(t, x.RememberCatalog(t.Context(), acme, calculator.ProductCatalog{Elements: in}), "a catalog needs its id")
	})
}
