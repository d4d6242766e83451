package webhook_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/webhook"
)

func TestParseUpdateLead(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "update_lead"))
	require.NoError(t, err)
	assert.Equal(t, webhook.Account{ID: 12345678, Subdomain: "example", Self: "https://example.amocrm.ru"}, d.Account)
	assert.Equal(t, "example.amocrm.ru", d.Account.Host())
	require.Len(t, d.Events, 1)
	ev := d.Events[0]
	assert.Equal(t, webhook.EntityLead, ev.Entity)
	assert.Equal(t, webhook.ActionUpdate, ev.Action)
	assert.Equal(t, amocrm.WebhookUpdateLead, ev.Name())
	assert.Equal(t, int64(15318175), ev.ID)
	require.NotNil(t, ev.Lead)
	assert.Nil(t, ev.Contact)
	assert.Equal(t, &webhook.Lead{
		ID: 15318175, Name: "Order 1042", Price: "1000",
		StatusID: 67548619, OldStatusID: 67548607, PipelineID: 8572511,
		ResponsibleUserID: 11087123, CreatedUserID: 11087123, ModifiedUserID: 11087123, AccountID: 12345678,
		DateCreate: amocrm.Unix(1726572752), LastModified: amocrm.Unix(1726572758),
		CreatedAt: amocrm.Unix(1726572752), UpdatedAt: amocrm.Unix(1726572758),
		Tags: []webhook.Tag{{ID: 80147, Name: "repeat"}},
		CustomFields: []webhook.CustomField{
			{ID: 1246483, Name: "Text", Values: []webhook.CustomFieldValue{{Value: "Text"}}},
			{ID: 1246489, Name: "Select", Values: []webhook.CustomFieldValue{{Value: "2", Enum: 908107}}},
			{ID: 1246491, Name: "Date", Values: []webhook.CustomFieldValue{{Value: "1725915600"}}},
		},
	}, ev.Lead)
	assert.Empty(t, d.Ignored)
}

func TestParseStatusLeadValuesWithoutValueKey(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "status_lead"))
	require.NoError(t, err)
	require.Len(t, d.Events, 1)
	ev := d.Events[0]
	assert.Equal(t, amocrm.WebhookStatusLead, ev.Name())
	assert.Equal(t, int64(142), ev.Lead.StatusID)
	assert.Equal(t, int64(7039101), ev.Lead.OldStatusID)
	assert.Equal(t, []webhook.CustomField{
		{ID: 427183, Name: "Checkbox custom field", Values: []webhook.CustomFieldValue{{Value: "1"}}},
		{ID: 427271, Name: "Date custom field", Values: []webhook.CustomFieldValue{{Value: "1412380800"}}},
		{ID: 427661, Name: "Text custom field", Values: []webhook.CustomFieldValue{{Value: "Валера"}}},
	}, ev.Lead.CustomFields)
	assert.Equal(t, webhook.Account{ID: 7039099, Subdomain: "example"}, d.Account)
}

func TestParseContactAndCompany(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "add_contact"))
	require.NoError(t, err)
	require.Len(t, d.Events, 1)
	c := d.Events[0]
	assert.Equal(t, webhook.EntityContact, c.Entity)
	assert.Equal(t, amocrm.WebhookAddContact, c.Name())
	assert.Equal(t, "Company", c.Contact.CompanyName)
	assert.Equal(t, int64(10857345), c.Contact.LinkedCompanyID)
	assert.Equal(t, []int64{7551167}, c.Contact.LinkedLeadIDs)
	assert.Equal(t, []webhook.CustomField{
		{ID: 771906, Name: "Phone", Code: "PHONE", Values: []webhook.CustomFieldValue{{Value: "+76665554433", Enum: 552476}}},
		{ID: 791730, Name: "Any radiobutton", Values: []webhook.CustomFieldValue{{Value: "2", Enum: 566642}}},
	}, c.Contact.CustomFields)
	assert.Equal(t, "example.kommo.com", d.Account.Host())

	d, err = webhook.Parse(payload(t, "add_company"))
	require.NoError(t, err)
	require.Len(t, d.Events, 1)
	co := d.Events[0]
	assert.Equal(t, webhook.EntityCompany, co.Entity)
	assert.Equal(t, amocrm.WebhookAddCompany, co.Name())
	assert.Equal(t, int64(10959143), co.ID)
	assert.Equal(t, "Компания", co.Contact.Name)
	assert.Equal(t, []int64{7480363}, co.Contact.LinkedLeadIDs)
}

func TestParseTask(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "update_task"))
	require.NoError(t, err)
	require.Len(t, d.Events, 1)
	ev := d.Events[0]
	assert.Equal(t, amocrm.WebhookUpdateTask, ev.Name())
	tk := ev.Task
	require.NotNil(t, tk)
	assert.Equal(t, int64(11122233), ev.ID)
	assert.Equal(t, int64(33322211), tk.ElementID)
	assert.Equal(t, 2, tk.ElementType)
	assert.Equal(t, 1, tk.Status)
	assert.True(t, tk.ActionClose)
	assert.Equal(t, webhook.TaskResult{ID: 155155155, Text: "Success"}, tk.Result)
	assert.Equal(t, "2017-07-20 15:00:00", tk.DateCreate.String())
	assert.Equal(t, "2017-07-22 23:59:00", tk.CompleteTill.String())
	moscow := time.FixedZone("MSK", 3*3600)
	assert.Equal(t, time.Date(2017, 7, 22, 20, 59, 0, 0, time.UTC), tk.CompleteTill.In(moscow).UTC())
	// Only the subdomain: the 2016-era shape.
	assert.Equal(t, webhook.Account{Subdomain: "test"}, d.Account)
}

func TestParseNotes(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "note"))
	require.NoError(t, err)
	require.Len(t, d.Events, 2)
	lead, company := d.Events[0], d.Events[1]
	assert.Equal(t, amocrm.WebhookNoteLead, lead.Name())
	assert.Equal(t, int64(15318175), lead.ID)
	require.NotNil(t, lead.Note)
	assert.Nil(t, lead.Lead)
	assert.Equal(t, "Called, sending the offer", lead.Note.Text)
	assert.Equal(t, 4, lead.Note.NoteType)
	assert.Equal(t, `{"event_source":{"type":"web"}}`, lead.Note.Metadata)
	assert.Equal(t, "2024-09-17 14:32:38", lead.Note.DateCreate.String())

	assert.Equal(t, amocrm.WebhookNoteCompany, company.Name())
	assert.Equal(t, int64(10959143), company.ID)
	assert.Equal(t, 5, company.Note.NoteType)
	assert.Equal(t, "f1d2d2f9-24a1-4c3e-9a6c-0b6b8e1c2f3a/offer.pdf", company.Note.Attachment)
}

func TestParseBothDeleteShapes(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "delete"))
	require.NoError(t, err)
	var got []string
	for _, ev := range d.Events {
		got = append(got, string(ev.Name())+" "+itoa(ev.ID))
	}
	assert.Equal(t, []string{
		"delete_lead 15318175", "delete_lead 15318176", "delete_company 10959143", "delete_task 11122233",
	}, got)
	assert.Equal(t, int64(8572511), d.Events[0].Lead.PipelineID)
	assert.Equal(t, int64(15318176), d.Events[1].Lead.ID)
	assert.Equal(t, int64(11122233), d.Events[3].Task.ID)

	// amoCRM's page: {"leads":{"delete":"id"}}.
	d, err = webhook.Parse(encodeLines("leads[delete]=77\naccount[id]=1"))
	require.NoError(t, err)
	require.Len(t, d.Events, 1)
	assert.Equal(t, int64(77), d.Events[0].ID)
	assert.Equal(t, webhook.EntityLead, d.Events[0].Entity)
}

func TestParseResponsibleRestoreAndIgnored(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(payload(t, "responsible"))
	require.NoError(t, err)
	require.Len(t, d.Events, 3)
	assert.Equal(t, amocrm.WebhookResponsibleLead, d.Events[0].Name())
	assert.Equal(t, int64(111), d.Events[0].Lead.OldResponsibleUserID)
	assert.Equal(t, amocrm.WebhookRestoreContact, d.Events[1].Name())
	assert.Equal(t, amocrm.WebhookUpdateContact, d.Events[2].Name())
	assert.Equal(t, int64(111), d.Events[2].Contact.OldResponsibleUserID)
	assert.Equal(t, []string{"unsorted", "customers"}, d.Ignored)
}

func TestParseKeepsUnknownFields(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(encodeLines("leads[add][0][id]=1\nleads[add][0][loss_reason_id]=7\nleads[add][0][x][0][y]=z\naccount[id]=1"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"loss_reason_id": "7", "x[0][y]": "z"}, d.Events[0].Lead.Other)
}

func TestParseSeveralItemsInOrder(t *testing.T) {
	t.Parallel()
	body := encodeLines("leads[add][0][id]=10\nleads[add][1][id]=11\nleads[add][0][name]=a\nleads[add][1][name]=b\naccount[id]=1")
	d, err := webhook.Parse(body)
	require.NoError(t, err)
	require.Len(t, d.Events, 2)
	assert.Equal(t, "a", d.Events[0].Lead.Name)
	assert.Equal(t, "b", d.Events[1].Lead.Name)
	assert.Equal(t, int64(11), d.Events[1].ID)
}

func TestParseRefusesMalformed(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"bad escape":         "leads%5Badd%5D%5B0%5D%5Bid%5D=%zz",
		"cut escape":         "leads[add][0][id]=1%2",
		"unclosed bracket":   "leads[add][0][id=1",
		"text after bracket": "leads[add][0]x[id]=1",
		"id not a number":    "leads[add][0][id]=abc",
		"item without id":    "leads[add][0][name]=x",
		"index not a number": "leads[add][x][id]=1",
		"unknown contact":    "contacts[add][0][id]=1&contacts[add][0][type]=robot",
		"bare id on update":  "leads[update][0]=1",
		"no action":          "leads=1",
		"bad task date":      "task[add][0][id]=1&task[add][0][date_create]=20.07.2017",
		"month 13":           "task[add][0][id]=1&task[add][0][complete_till]=2017-13-01 00:00:00",
		"nested too deep":    "leads[add][0][a][b][c][d][e][f][g][h][i][j][k]=1",
		"empty root":         "[add]=1",
		"linked lead not id": "contacts[add][0][id]=1&contacts[add][0][linked_leads_id][x][ID]=x",
		"enum not a number":  "leads[add][0][id]=1&leads[add][0][custom_fields][0][values][0][enum]=CODE",
		"overflowing number": "leads[add][0][id]=99999999999999999999",
	} {
		_, err := webhook.Parse([]byte(body))
		assert.True(t, errors.Is(err, webhook.ErrPayload), "%s: %v", name, err)
	}
}

func TestParseBoundsParts(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 60000 {
		b.WriteString("leads[add][0][tags][" + itoa(int64(i)) + "][id]=1&")
	}
	_, err := webhook.Parse([]byte(b.String()))
	assert.ErrorIs(t, err, webhook.ErrPayload)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The Handler reads bodies into buffers it reuses, so a Delivery must keep nothing of the body.
func TestParseKeepsNothingOfTheBody(t *testing.T) {
	t.Parallel()
	for _, body := range allPayloads(t) {
		want, err := webhook.Parse(body)
		require.NoError(t, err)
		reused := []byte(string(body))
		got, err := webhook.Parse(reused)
		require.NoError(t, err)
		for i := range reused {
			reused[i] = 'x'
		}
		assert.Equal(t, want, got)
	}
}

// Items' slices share the decoder's slabs; appending to one must not overwrite another's.
func TestParseSlicesDoNotShareRoom(t *testing.T) {
	t.Parallel()
	d, err := webhook.Parse(updateLeads(2))
	require.NoError(t, err)
	first, second := d.Events[0].Lead, d.Events[1].Lead
	want := slices.Clone(second.CustomFields)
	wantTags := slices.Clone(second.Tags)
	first.CustomFields = append(first.CustomFields, webhook.CustomField{ID: 1})
	first.Tags = append(first.Tags, webhook.Tag{ID: 1})
	first.CustomFields[0].Values = append(first.CustomFields[0].Values, webhook.CustomFieldValue{Value: "x"})
	assert.Equal(t, want, second.CustomFields)
	assert.Equal(t, wantTags, second.Tags)
	assert.Equal(t, "Закалённое", first.CustomFields[1].Values[0].Value)
}

// TestParseFindsItemsInAnyOrder sends the pairs of items in random order, interleaving actions
// and writing indexes with leading zeros ("01" is not "1" to PHP), and checks that each item is
// one event, in the order of its first pair, with every field it was sent.
func TestParseFindsItemsInAnyOrder(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	indexes := []string{"0", "1", "2", "01", "10", "002"}
	for range 200 {
		var lines, order []string
		ids := map[string]int64{}
		for range 1 + rnd.IntN(30) {
			item := "leads[" + []string{"add", "update", "status"}[rnd.IntN(3)] + "][" + indexes[rnd.IntN(len(indexes))] + "]"
			if rnd.IntN(3) == 0 {
				item = "task[" + []string{"add", "update"}[rnd.IntN(2)] + "][" + indexes[rnd.IntN(2)] + "][" + indexes[rnd.IntN(len(indexes))] + "]"
			}
			if _, ok := ids[item]; !ok {
				ids[item] = int64(len(ids) + 1)
				order = append(order, item)
			}
			field := "[name]"
			if strings.HasPrefix(item, "task") {
				field = "[text]"
			}
			lines = append(lines, item+"[id]="+itoa(ids[item]), item+field+"="+item)
		}
		rnd.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
		// The order of first appearance after shuffling.
		order = order[:0]
		seen := map[string]bool{}
		for _, l := range lines {
			item := l[:strings.Index(l, "]")+1]
			item = l[:len(item)+strings.Index(l[len(item):], "]")+1]
			if strings.HasPrefix(item, "task") {
				item = l[:len(item)+strings.Index(l[len(item):], "]")+1]
			}
			if !seen[item] {
				seen[item] = true
				order = append(order, item)
			}
		}
		d, err := webhook.Parse(encodeLines(strings.Join(lines, "\n")))
		require.NoError(t, err)
		require.Len(t, d.Events, len(order), "lines %q", lines)
		for i, item := range order {
			ev := d.Events[i]
			require.Equal(t, ids[item], ev.ID, "event %d of lines %q", i, lines)
			if ev.Lead != nil {
				require.Equal(t, item, ev.Lead.Name)
			} else {
				require.Equal(t, item, ev.Task.Text)
			}
		}
	}
}

// TestParseResultsOutliveLaterParses decodes deliveries, then decodes others at once from several
// goroutines, as a Handler does, and checks that the first results did not change: the decoders
// Parse reuses keep nothing a result points to.
func TestParseResultsOutliveLaterParses(t *testing.T) {
	t.Parallel()
	bodies := append(allPayloads(t), updateLeads(3), updateLeads(70))
	var firsts []*webhook.Delivery
	for _, body := range bodies {
		d, err := webhook.Parse(body)
		require.NoError(t, err)
		firsts = append(firsts, d)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				body := bodies[(g+i)%len(bodies)]
				if g == 0 {
					body = []byte("leads[add][0][id]=x") // refused half-way
				}
				_, _ = webhook.Parse(body)
			}
		})
	}
	wg.Wait()
	for i, body := range bodies {
		again, err := webhook.Parse(body)
		require.NoError(t, err)
		assert.Equal(t, again, firsts[i], "delivery %d", i)
	}
}
