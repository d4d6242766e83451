package calculator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/pdftext"
	"github.com/amokit/amokit/widget"
)

// drive is a ProposalCRM on top of the real CRM: the lead's parties and the manager are given,
// files and notes are counted, and a step can be made to fail once.
type drive struct {
	calculator.CRM
	mu                    sync.Mutex
	uploads, links, notes int
	failLinkOnce          bool
	uploaded              []byte
	linkedUUID, notedUUID string
}

func (d *drive) Parties(context.Context, int64) ([]calculator.Party, error) {
	return []calculator.Party{
		{Key: "contact:7", Kind: "contact", Name: "Ёлкина Анна", Phone: "+7 916 000-00-00"},
		{Key: "company:9", Kind: "company", Name: "ООО «Ромашка»"},
	}, nil
}

func (d *drive) Manager(context.Context, int64) (proposal.Manager, error) {
	return proposal.Manager{Name: "Пётр Иванов", Phone: "+7 495 123-45-68"}, nil
}

func (d *drive) UploadFile(_ context.Context, name, ct string, data []byte) (calculator.FileRef, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.uploads++
	d.uploaded = data
	return calculator.FileRef{UUID: "file-1", VersionUUID: "ver-1"}, nil
}

func (d *drive) LinkFile(_ context.Context, _ int64, uuid string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failLinkOnce {
		d.failLinkOnce = false
		return errors.New("502 from amoCRM")
	}
	d.links++
	d.linkedUUID = uuid
	return nil
}

func (d *drive) AddFileNote(_ context.Context, _ int64, f calculator.FileRef, _ string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.notes++
	d.notedUUID = f.UUID
	return nil
}

type proposalAnswer struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Proposal struct {
		Number   string `json:"number"`
		FileName string `json:"file_name"`
		Download string `json:"download"`
		Complete bool   `json:"complete"`
	} `json:"proposal"`
}

func proposalFixture(t *testing.T, d *drive) (*fixture, *proposal.MemorySettings, *proposal.MemoryRegistry) {
	t.Helper()
	settings, registry := &proposal.MemorySettings{}, &proposal.MemoryRegistry{}
	f := newFixture(t, fixtureOptions{
		wrap:      func(c calculator.CRM) calculator.CRM { d.CRM = c; return d },
		proposals: &calculator.Proposals{Settings: settings, Registry: registry},
	})
	return f, settings, registry
}

func TestProposal_madeOnceAttachedOnceAndReadable(t *testing.T) {
	t.Parallel()
	d := &drive{failLinkOnce: true}
	f, settings, _ := proposalFixture(t, d)
	lead := f.demo.Leads[0].ID
	auth := "Bearer " + f.ticket(lead)
	path := "/widget/leads/" + itoa(lead) + "/proposals"

	a := f.do(http.MethodGet, "/widget/leads/"+itoa(lead)+"/proposal", "", "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Contains(t, string(a.body), `"configured":false`)
	assert.Contains(t, string(a.body), "ООО «Ромашка»")

	_, saved := f.save(lead, "2b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b", fxOrder)
	require.NotEmpty(t, saved.Calculation.ID)
	body := `{"calculation_id":"` + saved.Calculation.ID + `","party":"contact:7"}`

	a = f.do(http.MethodPost, path, body, "Authorization", auth)
	assert.Equal(t, http.StatusConflict, a.status, "no shop details yet")
	assert.Equal(t, calculator.CodeProposalNotSet, a.errorCode(t))

	require.NoError(t, settings.SaveSettings(t.Context(), proposal.Settings{
		Shop: proposal.Shop{Name: "ООО «Стеклянный дом»", INN: "7707083893"}, VATPercent: 20, ValidDays: 14}))

	a = f.do(http.MethodPost, path, body, "Authorization", auth)
	require.Equal(t, http.StatusBadGateway, a.status, "linking fails once: %s", a.body)
	var p proposalAnswer
	require.NoError(t, json.Unmarshal(a.body, &p))
	assert.Equal(t, calculator.CodePartialProposal, p.Error.Code)
	assert.Contains(t, p.Error.Message, "прикрепить файл к сделке")
	assert.False(t, p.Proposal.Complete)

	for range 2 { // the retry finishes; one more press changes nothing
		a = f.do(http.MethodPost, path, body, "Authorization", auth)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.NoError(t, json.Unmarshal(a.body, &p))
		assert.True(t, p.Proposal.Complete)
	}
	assert.Equal(t, itoa(lead)+"-1", p.Proposal.Number)
	assert.Equal(t, []int{1, 1, 1}, []int{d.uploads, d.links, d.notes}, "one file, linked once, one note")
	assert.Equal(t, "file-1", d.linkedUUID)
	assert.Equal(t, "file-1", d.notedUUID)

	a = f.do(http.MethodGet, p.Proposal.Download, "", "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "application/pdf", a.header.Get("Content-Type"))
	assert.Equal(t, d.uploaded, a.body, "the download is the attached file")
	text := strings.Join(strings.Fields(pdftext.Text(t, a.body)), " ")
	for _, want := range []string{"17 204,00 руб.", "Ёлкина Анна", "ООО «Стеклянный дом»", "Пётр Иванов",
		"Коммерческое предложение № " + itoa(lead) + "-1", "в т. ч. НДС 20 %: 2 867,33 руб."} {
		assert.Contains(t, text, want)
	}

	// Another client of the same calculation is another proposal, numbered next.
	a = f.do(http.MethodPost, path, `{"calculation_id":"`+saved.Calculation.ID+`","party":"company:9"}`, "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	require.NoError(t, json.Unmarshal(a.body, &p))
	assert.Equal(t, itoa(lead)+"-2", p.Proposal.Number)
}

func TestProposal_refusals(t *testing.T) {
	t.Parallel()
	d := &drive{}
	f, settings, _ := proposalFixture(t, d)
	require.NoError(t, settings.SaveSettings(t.Context(), proposal.Settings{Shop: proposal.Shop{Name: "Стекло"}, ValidDays: 7}))
	lead, other := f.demo.Leads[0].ID, f.demo.Leads[1].ID
	_, saved := f.save(lead, "3b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b", fxOrder)
	auth := "Bearer " + f.ticket(lead)
	path := "/widget/leads/" + itoa(lead) + "/proposals"

	for name, c := range map[string]struct {
		body, code string
		status     int
	}{
		"unknown calculation":  {`{"calculation_id":"nope","party":"contact:7"}`, calculator.CodeCalculationNotFound, http.StatusNotFound},
		"party not the lead's": {`{"calculation_id":"` + saved.Calculation.ID + `","party":"contact:8"}`, calculator.CodePartyNotFound, http.StatusUnprocessableEntity},
		"malformed party":      {`{"calculation_id":"` + saved.Calculation.ID + `","party":"user:1"}`, "invalid_request", http.StatusUnprocessableEntity},
	} {
		a := f.do(http.MethodPost, path, c.body, "Authorization", auth)
		assert.Equal(t, c.status, a.status, name)
		assert.Equal(t, c.code, a.errorCode(t), name)
	}
	assert.Zero(t, d.uploads)

	// A ticket for another lead opens nothing of this one.
	otherAuth := "Bearer " + f.ticket(other)
	for _, req := range [][2]string{
		{http.MethodGet, "/widget/leads/" + itoa(lead) + "/proposal"},
		{http.MethodPost, path},
		{http.MethodGet, path + "/" + itoa(lead) + "-1"},
	} {
		a := f.do(req[0], req[1], `{"calculation_id":"`+saved.Calculation.ID+`","party":"contact:7"}`, "Authorization", otherAuth)
		assert.Equal(t, http.StatusForbidden, a.status, req[1])
	}
	a := f.do(http.MethodGet, path+"/"+itoa(lead)+"-1", "", "Authorization", auth)
	assert.Equal(t, http.StatusNotFound, a.status, "nothing issued yet")

	// Once issued, a ticket of another account for a lead with the same id reads nothing.
	a = f.do(http.MethodPost, path, `{"calculation_id":"`+saved.Calculation.ID+`","party":"contact:7"}`, "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	foreign := "Bearer " + f.signer.Sign(widget.Ticket{Account: "rival.amocrm.ru", AccountID: 999, UserID: 1, LeadID: lead})
	a = f.do(http.MethodGet, path+"/"+itoa(lead)+"-1", "", "Authorization", foreign)
	assert.Equal(t, http.StatusNotFound, a.status)
	a = f.do(http.MethodPost, path, `{"calculation_id":"`+saved.Calculation.ID+`","party":"contact:7"}`, "Authorization", foreign)
	assert.NotEqual(t, http.StatusOK, a.status)
	assert.Equal(t, 1, d.uploads)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Through the amoCRM adapter against the fake: the PDF lands on the account's Drive, in the
// lead's files and in an attachment note, once however often it is asked for, addressed to the
// lead's company and signed by the card's user.
func TestProposal_amoCRMAttachesToTheLead(t *testing.T) {
	t.Parallel()
	settings, registry := &proposal.MemorySettings{}, &proposal.MemoryRegistry{}
	f := newFixture(t, fixtureOptions{proposals: &calculator.Proposals{Settings: settings, Registry: registry}})
	require.NoError(t, settings.SaveSettings(t.Context(), proposal.Settings{
		Shop: proposal.Shop{Name: "Стекольная мастерская «Грань»"}, ValidDays: 14}))
	lead := f.demo.Leads[2] // with a contact and a company
	auth := "Bearer " + f.ticket(lead.ID)
	_, saved := f.save(lead.ID, "4b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b", fxOrder)

	a := f.do(http.MethodGet, "/widget/leads/"+itoa(lead.ID)+"/proposal", "", "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var parties struct {
		Parties    []calculator.Party `json:"parties"`
		Configured bool               `json:"configured"`
	}
	a.decode(t, &parties)
	assert.True(t, parties.Configured)
	require.Len(t, parties.Parties, 2, "the main contact and the company")
	assert.Equal(t, "contact", parties.Parties[0].Kind)
	company := parties.Parties[1]
	assert.Equal(t, "ООО «Ремстрой»", company.Name)

	body := `{"calculation_id":"` + saved.Calculation.ID + `","party":"` + company.Key + `"}`
	var p proposalAnswer
	for range 2 {
		a = f.do(http.MethodPost, "/widget/leads/"+itoa(lead.ID)+"/proposals", body, "Authorization", auth)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		a.decode(t, &p)
	}
	files := f.fake.DriveFiles(f.demo.Account.ID)
	require.Len(t, files, 1, "one file however often it is asked for")
	assert.Equal(t, "КП-"+itoa(lead.ID)+"-1.pdf", files[0].Name)
	assert.Equal(t, []string{files[0].UUID}, f.fake.EntityFiles("leads", lead.ID))
	notes := 0
	for _, n := range f.fake.Notes("leads", lead.ID) {
		if n.NoteType == "attachment" && n.Params["file_uuid"] == files[0].UUID {
			notes++
		}
	}
	assert.Equal(t, 1, notes, "one note links the file")
	text := strings.Join(strings.Fields(pdftext.Text(t, files[0].Data)), " ")
	for _, want := range []string{"Для: ООО «Ремстрой»", "Стекольная мастерская «Грань»", "Итого: 17 204,00 руб.", "Без НДС",
		"Менеджер: " + f.demo.Manager.Name} {
		assert.Contains(t, text, want)
	}
}
