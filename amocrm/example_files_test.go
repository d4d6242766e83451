package amocrm_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// Upload a PDF to the account's Drive, show it in a lead's Files tab and add it as a note. The
// fake amoCRM stands in for the account and its Drive.
func ExampleFilesService_Upload() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	acc := srv.AddAccount("acme")
	lead := acc.AddLead(amocrmtest.Lead{Name: "Душевое ограждение"})
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example.com/oauth", Name: "Калькулятор"})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	if err != nil {
		log.Fatal(err)
	}
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	pdf := bytes.Repeat([]byte("%PDF-1.7 proposal "), 70000) // 1.26 MB: three parts of 512 KiB
	f, err := c.Files.Upload(ctx, "proposal-1042.pdf", bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Leads.AttachFiles(ctx, lead.ID, f.UUID); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: lead.ID, Params: f.AttachmentNote()}}); err != nil {
		log.Fatal(err)
	}

	files, err := c.Leads.Files(ctx, lead.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Name, f.Size, f.Type, len(files), files[0].FileUUID == f.UUID, srv.DrivePartsReceived())
	// Output: proposal-1042.pdf 1260000 document 1 true 3
}
