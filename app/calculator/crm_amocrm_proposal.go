package calculator

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/app/proposal"
)

var _ ProposalCRM = (*amoCRM)(nil)

// Parties implements ProposalCRM: the lead's main contact and its company, read at the same
// time after GET /api/v4/leads/{id}?with=contacts.
func (a *amoCRM) Parties(ctx context.Context, leadID int64) ([]Party, error) {
	lead, err := a.c.Leads.Get(ctx, leadID, amocrm.LeadWithContacts)
	if err != nil {
		return nil, notFound(err, "lead", leadID)
	}
	var contact, company *Party
	g, gctx := errgroup.WithContext(ctx)
	if id := mainContact(lead.Embedded.Contacts); id != 0 {
		g.Go(func() error {
			c, err := a.c.Contacts.Get(gctx, id)
			if errors.Is(err, amocrm.ErrNotFound) {
				return nil // deleted meanwhile
			}
			if err != nil {
				return err
			}
			contact = &Party{Key: "contact:" + strconv.FormatInt(c.ID, 10), Kind: "contact", Name: c.Name,
				Phone: firstValue(c.Phones()), Email: firstValue(c.Emails())}
			return nil
		})
	}
	if cs := lead.Embedded.Companies; len(cs) > 0 {
		g.Go(func() error {
			c, err := a.c.Companies.Get(gctx, cs[0].ID)
			if errors.Is(err, amocrm.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			company = &Party{Key: "company:" + strconv.FormatInt(c.ID, 10), Kind: "company", Name: c.Name,
				Phone: firstValue(c.Phones())}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Party
	for _, p := range []*Party{contact, company} {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// Manager implements ProposalCRM: GET /api/v4/users/{id}?with=phone_number. amoCRM lets only
// administrators read users, so this one read runs as the token's own user (the administrator who
// connected the account), not as the card's user: it reads that user's own name and phone.
func (a *amoCRM) Manager(ctx context.Context, userID int64) (proposal.Manager, error) {
	u, err := a.c.Users.Get(amocrm.AsUser(ctx, 0), userID, amocrm.UserWithPhoneNumber)
	if err != nil {
		return proposal.Manager{}, err
	}
	return proposal.Manager{Name: u.Name, Phone: u.PhoneNumber}, nil
}

// UploadFile implements ProposalCRM: an upload session on the account's Drive and its parts.
func (a *amoCRM) UploadFile(ctx context.Context, name, contentType string, data []byte) (FileRef, error) {
	f, err := a.c.Files.UploadFile(ctx, amocrm.UploadRequest{Name: name, Body: bytes.NewReader(data),
		Size: int64(len(data)), ContentType: contentType})
	if err != nil {
		return FileRef{}, err
	}
	return FileRef{UUID: f.UUID, VersionUUID: f.VersionUUID}, nil
}

// LinkFile implements ProposalCRM: PUT /api/v4/leads/{id}/files.
func (a *amoCRM) LinkFile(ctx context.Context, leadID int64, fileUUID string) error {
	return notFound(a.c.Leads.AttachFiles(ctx, leadID, fileUUID), "lead", leadID)
}

// AddFileNote implements ProposalCRM: an attachment note that links the file.
func (a *amoCRM) AddFileNote(ctx context.Context, leadID int64, f FileRef, name string) error {
	_, err := a.c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: leadID,
		Params: amocrm.AttachmentNote{FileUUID: f.UUID, VersionUUID: f.VersionUUID, FileName: name}}})
	return notFound(err, "lead", leadID)
}
