package amocrmtest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// driveClient returns an SDK client for a new account of srv, and the account.
func driveClient(t *testing.T, srv *amocrmtest.Server, sub string, opts ...amocrm.Option) (*amocrm.Client, *amocrmtest.Account) {
	t.Helper()
	acc := srv.AddAccount(sub)
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example.com/oauth/callback", Name: "Калькулятор"})
	tok, err := srv.IssueToken(integ.ClientID, sub)
	require.NoError(t, err)
	base := []amocrm.Option{amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken),
		amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 4, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond, MaxRetryAfter: time.Second})}
	c, err := amocrm.New(sub+".amocrm.ru", append(base, opts...)...)
	require.NoError(t, err)
	return c, acc
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// A 5 MB PDF goes up in parts of the size the Drive announces, is attached to a lead's Files tab
// and as an attachment note, and reads back byte for byte.
func TestDriveUploadAttachesFiveMegabytesToALead(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer()
	t.Cleanup(srv.Close)
	c, acc := driveClient(t, srv, "acme")
	ctx := t.Context()
	lead := acc.AddLead(amocrmtest.Lead{Name: "Душевое ограждение"})
	data := randomBytes(t, 5_000_000)

	f, err := c.Files.Upload(ctx, "Коммерческое предложение.pdf", bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	assert.NotEmpty(t, f.UUID)
	assert.NotEmpty(t, f.VersionUUID)
	assert.Equal(t, int64(len(data)), f.Size)
	assert.Equal(t, "application/pdf", f.Metadata.MimeType)
	assert.Equal(t, "document", f.Type)
	wantParts := (len(data) + amocrmtest.DefaultDriveMaxPart - 1) / amocrmtest.DefaultDriveMaxPart
	assert.Equal(t, wantParts, srv.DrivePartsReceived(), "one request per part")
	assert.Greater(t, wantParts, 1)

	require.NoError(t, c.Leads.AttachFiles(ctx, lead.ID, f.UUID))
	_, err = c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: lead.ID, Params: f.AttachmentNote()}})
	require.NoError(t, err)

	files, err := c.Leads.Files(ctx, lead.ID)
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Equal(t, f.UUID, files[0].FileUUID)
	assert.Equal(t, []string{f.UUID}, srv.EntityFiles("leads", lead.ID))

	stored := srv.DriveFiles(acc.ID)
	require.Len(t, stored, 1)
	assert.True(t, bytes.Equal(data, stored[0].Data), "the Drive holds the file's bytes in order, once")

	got, err := c.Files.Get(ctx, f.UUID)
	require.NoError(t, err)
	assert.Equal(t, "Коммерческое предложение.pdf", got.Name)
	listed, err := c.Files.List(ctx, &amocrm.FileListOptions{UUIDs: []string{f.UUID}})
	require.NoError(t, err)
	require.Len(t, listed, 1)

	require.NoError(t, c.Leads.DetachFiles(ctx, lead.ID, f.UUID))
	files, err = c.Leads.Files(ctx, lead.ID)
	require.NoError(t, err)
	assert.Empty(t, files)
	require.NoError(t, c.Files.Delete(ctx, f.UUID))
	assert.True(t, srv.DriveFiles(acc.ID)[0].Trashed)
	listed, err = c.Files.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, listed)
	assert.Zero(t, srv.Counters().TooManyRequests, "Drive requests are paced with the rest")
}

// Parts whose answers are lost, and parts that meet a 502, are sent again to the same address;
// the Drive ends up with every byte once.
func TestDriveUploadRetriesPartsWithoutDuplicating(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 0))
	t.Cleanup(srv.Close)
	srv.SetDriveLimits(1<<20, 64<<10)
	c, acc := driveClient(t, srv, "acme", amocrm.WithRateLimit(1000, 100))
	data := randomBytes(t, 300_000) // 5 parts: 4 × 64 KiB and the rest

	srv.LoseDrivePartAnswers(2)
	srv.FailNext(1, "POST", "/drive/v1.0/sessions/upload/*", amocrmtest.Fault{Status: http.StatusBadGateway})
	f, err := c.Files.Upload(t.Context(), "photo.jpg", bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), f.Size)
	stored := srv.DriveFiles(acc.ID)
	require.Len(t, stored, 1)
	assert.True(t, bytes.Equal(data, stored[0].Data))
	assert.Equal(t, "image/jpeg", stored[0].ContentType)
	assert.Equal(t, 5+2, srv.DrivePartsReceived(), "the two lost parts were stored again in place, not appended")
}

// The body must hold the size announced; the Drive's file limit is honoured before any part.
func TestDriveUploadChecksTheSize(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 0))
	t.Cleanup(srv.Close)
	srv.SetDriveLimits(200_000, 64<<10)
	c, acc := driveClient(t, srv, "acme", amocrm.WithRateLimit(1000, 100))
	ctx := t.Context()

	_, err := c.Files.Upload(ctx, "short.bin", bytes.NewReader(make([]byte, 100)), 150_000)
	assert.ErrorContains(t, err, "ended after")
	_, err = c.Files.Upload(ctx, "long.bin", bytes.NewReader(make([]byte, 150_001)), 150_000)
	assert.ErrorContains(t, err, "more than the 150000 bytes announced")
	_, err = c.Files.Upload(ctx, "big.bin", bytes.NewReader(make([]byte, 300_000)), 300_000)
	var apiErr *amocrm.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Detail, "over the limit")
	_, err = c.Files.Upload(ctx, "", bytes.NewReader(nil), 1)
	assert.Error(t, err)
	assert.Empty(t, srv.DriveFiles(acc.ID))
	// The long body's two full parts went up before its extra byte showed; its session was
	// never finished, so no file exists.
	assert.Equal(t, 2, srv.DrivePartsReceived())
}

// Another account's valid token can neither read, attach nor delete a file, nor write to an
// upload session.
func TestDriveRefusesAnotherAccount(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 0))
	t.Cleanup(srv.Close)
	srv.SetDriveLimits(1<<20, 64<<10)
	acme, acmeAcc := driveClient(t, srv, "acme", amocrm.WithRateLimit(1000, 100))
	other, otherAcc := driveClient(t, srv, "other", amocrm.WithRateLimit(1000, 100))
	ctx := t.Context()
	f, err := acme.Files.Upload(ctx, "offer.pdf", strings.NewReader("%PDF-1.7"), 8)
	require.NoError(t, err)

	_, err = other.Files.Get(ctx, f.UUID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	listed, err := other.Files.List(ctx, &amocrm.FileListOptions{UUIDs: []string{f.UUID}})
	require.NoError(t, err)
	assert.Empty(t, listed)
	assert.ErrorIs(t, other.Files.Delete(ctx, f.UUID), amocrm.ErrNotFound)
	otherLead := otherAcc.AddLead(amocrmtest.Lead{Name: "чужая"})
	assert.ErrorIs(t, other.Leads.AttachFiles(ctx, otherLead.ID, f.UUID), amocrm.ErrValidation)
	acmeLead := acmeAcc.AddLead(amocrmtest.Lead{Name: "своя"})
	assert.ErrorIs(t, other.Leads.AttachFiles(ctx, acmeLead.ID, f.UUID), amocrm.ErrNotFound)
	assert.Empty(t, srv.EntityFiles("leads", acmeLead.ID))

	// A session opened by one account takes no part from another's token.
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://x.example.com/cb", Name: "x"})
	acmeTok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	otherTok, err := srv.IssueToken(integ.ClientID, "other")
	require.NoError(t, err)
	open := post(t, srv.URL+"/drive/v1.0/sessions", acmeTok.AccessToken, `{"file_name":"a.txt","file_size":3}`)
	require.Equal(t, http.StatusOK, open.StatusCode)
	var sess struct {
		UploadURL string `json:"upload_url"`
	}
	require.NoError(t, json.Unmarshal(open.Body, &sess))
	assert.Equal(t, http.StatusNotFound, post(t, sess.UploadURL, otherTok.AccessToken, "abc").StatusCode)
	assert.Equal(t, http.StatusUnauthorized, post(t, sess.UploadURL, "", "abc").StatusCode)
	assert.Equal(t, http.StatusOK, post(t, sess.UploadURL, acmeTok.AccessToken, "abc").StatusCode)
	assert.Len(t, srv.DriveFiles(acmeAcc.ID), 2)
	assert.Empty(t, srv.DriveFiles(otherAcc.ID))
}

// Through Transport the account names a production-shaped Drive host, which the client accepts
// and the fake serves.
func TestDriveThroughTransport(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 0))
	t.Cleanup(srv.Close)
	acc := srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://x.example.com/cb", Name: "x"})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithHTTPClient(srv.Client()), amocrm.WithAccessToken(tok.AccessToken), amocrm.WithRateLimit(1000, 100))
	require.NoError(t, err)
	a, err := c.Account.Get(t.Context(), amocrm.AccountWithDriveURL)
	require.NoError(t, err)
	assert.Equal(t, "https://drive-b.amocrm.ru", a.DriveURL)
	f, err := c.Files.Upload(t.Context(), "a.txt", strings.NewReader("стекло"), int64(len("стекло")))
	require.NoError(t, err)
	assert.Equal(t, "стекло", string(srv.DriveFiles(acc.ID)[0].Data))
	assert.True(t, strings.HasPrefix(f.Links.Self.Href, "https://drive-b.amocrm.ru/v1.0/files/"), f.Links.Self.Href)
}

type httpResp struct {
	StatusCode int
	Body       []byte
}

func post(t *testing.T, target, token, body string) httpResp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpResp{resp.StatusCode, b}
}

// Contacts and companies have a Files tab of their own.
func TestDriveAttachesToContactsAndCompanies(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	srv := acct.Server()
	ctx := t.Context()
	f, err := c.Files.Upload(ctx, "visit.jpg", strings.NewReader("jpeg"), 4)
	require.NoError(t, err)
	contact := acct.AddContact(amocrmtest.Contact{Name: "Иван"})
	company := acct.AddCompany(amocrmtest.Company{Name: "ООО Стекло"})
	require.NoError(t, c.Contacts.AttachFiles(ctx, contact.ID, f.UUID))
	require.NoError(t, c.Companies.AttachFiles(ctx, company.ID, f.UUID))
	cf, err := c.Contacts.Files(ctx, contact.ID)
	require.NoError(t, err)
	require.Len(t, cf, 1)
	assert.Equal(t, f.UUID, cf[0].FileUUID)
	assert.Equal(t, []string{f.UUID}, srv.EntityFiles("companies", company.ID))
	require.NoError(t, c.Companies.DetachFiles(ctx, company.ID, f.UUID))
	cof, err := c.Companies.Files(ctx, company.ID)
	require.NoError(t, err)
	assert.Empty(t, cof)
	assert.ErrorIs(t, c.Contacts.AttachFiles(ctx, contact.ID+1000, f.UUID), amocrm.ErrNotFound)
}
