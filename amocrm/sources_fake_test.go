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

func TestFakeSourceUpdateOneAndDeleteOne(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	rival := rivalOf(t, acct)
	ctx := t.Context()
	saved, err := c.Sources.Create(ctx, []amocrm.SourceRequest{{Name: "Сайт", ExternalID: "site"}, {Name: "Телефон", ExternalID: "phone"}})
	require.NoError(t, err)
	site, phone := saved[0].ID, saved[1].ID

	yes := true
	up, err := c.Sources.UpdateOne(ctx, site, amocrm.SourceRequest{ID: phone, Name: "Сайт, форма заказа", Default: &yes})
	require.NoError(t, err)
	assert.Equal(t, site, up.ID, "the id in the path wins over req.ID")
	got, err := c.Sources.Get(ctx, site)
	require.NoError(t, err)
	assert.Equal(t, "Сайт, форма заказа", got.Name)
	assert.True(t, got.Default)
	assert.Equal(t, "site", got.ExternalID, "left alone")
	other, err := c.Sources.Get(ctx, phone)
	require.NoError(t, err)
	assert.Equal(t, "Телефон", other.Name)

	// Bad input never leaves the client; an unknown id is not found.
	_, err = c.Sources.UpdateOne(ctx, site, amocrm.SourceRequest{ExternalID: "new"})
	assert.ErrorContains(t, err, "cannot change")
	_, err = c.Sources.UpdateOne(ctx, 0, amocrm.SourceRequest{Name: "x"})
	assert.ErrorContains(t, err, "invalid source id")
	assert.ErrorContains(t, c.Sources.DeleteOne(ctx, -1), "invalid source id")
	_, err = c.Sources.UpdateOne(ctx, 424242, amocrm.SourceRequest{Name: "x"})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	assert.ErrorIs(t, c.Sources.DeleteOne(ctx, 424242), amocrm.ErrNotFound)
	// The fake refuses a body whose id is not the path's, as the client never sends one.
	err = c.Do(ctx, http.MethodPatch, "api/v4/sources/"+strconv.FormatInt(site, 10), map[string]any{"id": phone, "name": "x"}, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation)

	// Another account's valid token neither changes nor deletes the source.
	_, err = rival.Sources.UpdateOne(ctx, site, amocrm.SourceRequest{Name: "чужой"})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	assert.ErrorIs(t, rival.Sources.DeleteOne(ctx, site), amocrm.ErrNotFound)
	got, err = c.Sources.Get(ctx, site)
	require.NoError(t, err)
	assert.Equal(t, "Сайт, форма заказа", got.Name)

	require.NoError(t, c.Sources.DeleteOne(ctx, site))
	_, err = c.Sources.Get(ctx, site)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	left, err := c.Sources.List(ctx)
	require.NoError(t, err)
	require.Len(t, left, 1)
	assert.Equal(t, phone, left[0].ID)
}
