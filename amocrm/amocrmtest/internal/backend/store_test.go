package backend

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newAccount(st *Store, subdomain string) *Account {
	a := &Account{
		ID: st.Next("account"), Subdomain: subdomain, PipelineID: st.Next("pipeline"),
		Statuses: []Status{{ID: 1, Type: 1}, {ID: 2}}, TagIDs: map[string]int64{}, TagNames: map[int64]string{},
	}
	st.AddAccount(a)
	return a
}

func TestIDsAreSequentialPerKind(t *testing.T) {
	t.Parallel()
	st := New()
	a := newAccount(st, "acme")
	l1, l2 := st.NewEntity(a, "leads", 7, 100), st.NewEntity(a, "leads", 7, 100)
	c1 := st.NewEntity(a, "contacts", 7, 100)
	assert.Equal(t, l1.ID+1, l2.ID)
	assert.Equal(t, int64(41000001), c1.ID, "contacts count on their own")
	assert.Equal(t, int64(1), st.Next("webhook"), "a kind never used starts at 1")
}

func TestLookupsFindWhatWasStored(t *testing.T) {
	t.Parallel()
	st := New()
	a := newAccount(st, "acme")
	assert.Same(t, a, st.Account(a.ID))
	assert.Same(t, a, st.AccountBySubdomain("acme"))
	assert.Nil(t, st.AccountBySubdomain("other"))

	u := &User{ID: st.Next("user"), AccountID: a.ID}
	st.AddUser(u)
	assert.Same(t, u, st.User(u.ID))
	assert.Equal(t, []int64{u.ID}, a.UserIDs, "the account lists its user")

	e := st.NewEntity(a, "companies", u.ID, 100)
	assert.Same(t, e, st.Entity("companies", e.ID))
	assert.Nil(t, st.Entity("leads", e.ID), "ids are per kind")
	n := 0
	for _, x := range st.Entities("companies") {
		assert.Same(t, e, x)
		n++
	}
	assert.Equal(t, 1, n)
}

func TestANewLeadStartsInTheDefaultStage(t *testing.T) {
	t.Parallel()
	st := New()
	a := newAccount(st, "acme")
	l := st.NewEntity(a, "leads", 5, 100)
	assert.Equal(t, a.PipelineID, l.PipelineID)
	assert.Equal(t, int64(2), l.StatusID, "the first stage after unsorted")
	assert.Equal(t, int64(5), l.ResponsibleUserID)
	c := st.NewEntity(a, "contacts", 5, 100)
	assert.Zero(t, c.StatusID, "only leads have a stage")
}

func TestSetLinkReplacesTheMetadataFromEitherSide(t *testing.T) {
	t.Parallel()
	st := New()
	st.SetLink(1, "leads", 10, "catalog_elements", 20, json.RawMessage(`{"quantity":1}`))
	st.SetLink(1, "catalog_elements", 20, "leads", 10, json.RawMessage(`{"quantity":3}`))
	st.SetLink(2, "leads", 10, "catalog_elements", 20, nil) // another account's

	got := st.LinksOf(1, "leads", 10)
	require.Len(t, got, 1, "one link, its metadata replaced")
	assert.Equal(t, LinkView{"leads", 10, "catalog_elements", 20, json.RawMessage(`{"quantity":3}`)}, got[0])
	from := st.LinksOf(1, "catalog_elements", 20)
	require.Len(t, from, 1)
	assert.Equal(t, "leads", from[0].ToType, "seen from the element")

	st.Unlink(1, "catalog_elements", 20, "leads", 10)
	assert.Empty(t, st.LinksOf(1, "leads", 10))
	assert.Len(t, st.LinksOf(2, "leads", 10), 1, "the other account keeps its link")
}

func TestTagIDFindsANameWhateverItsCase(t *testing.T) {
	t.Parallel()
	st := New()
	a := newAccount(st, "acme")
	id := st.TagID(a, 0, "Срочно")
	assert.Equal(t, id, st.TagID(a, 0, "СРОЧНО"))
	assert.NotEqual(t, id, st.TagID(a, 0, "Опт"))
	assert.Equal(t, int64(42), st.TagID(a, 42, "ignored"), "an id is taken as given")
	e := st.NewEntity(a, "leads", 1, 1)
	e.Tags = []int64{id}
	assert.Equal(t, []string{"Срочно"}, st.TagList(e), "the name as first written")
}

func TestDeleteWebhookRemovesOnlyTheAccountsOwn(t *testing.T) {
	t.Parallel()
	st := New()
	st.AddWebhook(&Webhook{AccountID: 1, Destination: "https://a.example/hook"})
	st.AddWebhook(&Webhook{AccountID: 2, Destination: "https://a.example/hook"})
	assert.False(t, st.DeleteWebhook(1, "https://b.example/hook"))
	assert.True(t, st.DeleteWebhook(1, "https://a.example/hook"))
	var left []int64
	for _, w := range st.Webhooks() {
		left = append(left, w.AccountID)
	}
	assert.Equal(t, []int64{2}, left)
}

func TestALongLivedPairHasNoRefreshToken(t *testing.T) {
	t.Parallel()
	st := New()
	g := &Grant{}
	st.AddGrant(g)
	st.AddPair(g, &TokenPair{Access: "a1", Refresh: "r1"})
	st.AddPair(g, &TokenPair{Access: "a2"})
	require.NotNil(t, st.ByAccessToken("a1"))
	assert.Same(t, g, st.ByRefreshToken("r1").Grant)
	assert.Equal(t, "a2", st.ByAccessToken("a2").Pair.Access)
	assert.Nil(t, st.ByRefreshToken(""), "an empty refresh token leads nowhere")
}

func TestServicesAreMadeOncePerAccount(t *testing.T) {
	t.Parallel()
	st := New()
	sv := st.Services(1)
	sv.Tasks[5] = &Task{ID: 5}
	assert.Same(t, sv, st.Services(1))
	assert.Empty(t, st.Services(2).Tasks)
	d := st.Drive()
	d.Files["u"] = &DriveFile{UUID: "u"}
	assert.Same(t, d, st.Drive())
}
