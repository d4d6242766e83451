package amocrm_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestFakeUpdateElement(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	rival := rivalOf(t, acct)
	ctx := t.Context()
	cat := acct.ProductsCatalog()
	mirror := acct.AddElement(cat.ID, amocrmtest.Element{Name: "Зеркало 4 мм"})
	glass := acct.AddElement(cat.ID, amocrmtest.Element{Name: "Стекло 4 мм"})

	name := "Зеркало 4 мм, серебро"
	saved, err := c.Catalogs.UpdateElement(ctx, cat.ID, mirror.ID, amocrm.UpdateElementRequest{ID: glass.ID, Name: &name,
		CustomFieldsValues: amocrm.ProductFields{SKU: "ZR-4"}.Fields()})
	require.NoError(t, err)
	assert.Equal(t, mirror.ID, saved.ID, "the id in the path wins over req.ID")
	got, err := c.Catalogs.GetElement(ctx, cat.ID, mirror.ID)
	require.NoError(t, err)
	assert.Equal(t, name, got.Name)
	assert.Equal(t, "ZR-4", got.SKU())
	other, err := c.Catalogs.GetElement(ctx, cat.ID, glass.ID)
	require.NoError(t, err)
	assert.Equal(t, "Стекло 4 мм", other.Name)

	_, err = c.Catalogs.UpdateElement(ctx, 0, mirror.ID, amocrm.UpdateElementRequest{Name: &name})
	assert.ErrorContains(t, err, "invalid catalog id")
	_, err = c.Catalogs.UpdateElement(ctx, cat.ID, 0, amocrm.UpdateElementRequest{Name: &name})
	assert.ErrorContains(t, err, "without a valid ID")
	_, err = c.Catalogs.UpdateElement(ctx, cat.ID, 424242, amocrm.UpdateElementRequest{Name: &name})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	empty := ""
	_, err = c.Catalogs.UpdateElement(ctx, cat.ID, mirror.ID, amocrm.UpdateElementRequest{Name: &empty})
	assert.ErrorIs(t, err, amocrm.ErrValidation, "an element keeps a name")
	err = c.Do(ctx, http.MethodPatch, "api/v4/catalogs/"+strconv.FormatInt(cat.ID, 10)+"/elements/"+strconv.FormatInt(mirror.ID, 10),
		map[string]any{"id": glass.ID, "name": "x"}, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "a body id other than the path's")

	// Another account's valid token finds neither the catalog nor the element.
	_, err = rival.Catalogs.UpdateElement(ctx, cat.ID, mirror.ID, amocrm.UpdateElementRequest{Name: new("чужое")})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	own := rival.Catalogs
	rc, err := own.ProductsCatalog(ctx)
	require.NoError(t, err)
	_, err = own.UpdateElement(ctx, rc.ID, mirror.ID, amocrm.UpdateElementRequest{Name: new("чужое")})
	assert.ErrorIs(t, err, amocrm.ErrNotFound, "the element through the rival's own catalog")
	got, err = c.Catalogs.GetElement(ctx, cat.ID, mirror.ID)
	require.NoError(t, err)
	assert.Equal(t, name, got.Name)
}
