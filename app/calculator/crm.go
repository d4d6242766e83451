package calculator

import (
	"context"
	"errors"
	"time"

	"github.com/amokit/amokit/app/glass"
)

// CRM is everything the endpoints need from one amoCRM account. AmoCRM adapts an
// *amocrm.Client to it; tests may use their own. Implementations are safe for concurrent use.
//
// No method returns or logs a token. Errors from amoCRM are passed on (wrapped) and only logged
// by the handler, never shown to the browser.
type CRM interface {
	// Lead returns the card of lead id: name, price, main contact and attached products. For a
	// lead that does not exist (or is deleted) the error matches ErrLeadNotFound.
	Lead(ctx context.Context, id int64) (LeadCard, error)
	// SetLeadPrice sets the lead's price, in whole units of the account's currency.
	SetLeadPrice(ctx context.Context, leadID, price int64) error
	// AddNote adds one common (text) note to the lead.
	AddNote(ctx context.Context, leadID int64, text string) error
	// AttachProducts links each product to the lead with its quantity. Each product is the
	// element of the account's products catalog whose SKU is the product's SKU; an element is
	// created (with name, SKU and price) when none has it. Linking a product that is linked
	// already sets its quantity. Other linked elements are left alone.
	AttachProducts(ctx context.Context, leadID int64, products []glass.Product) error
}

// SaveChecker is a CRM that can also tell whether the writes of a save are already in amoCRM.
// amoCRM takes no idempotency key, so when it makes a write but its answer is lost (the body cut
// short, the connection dropped after the request went out, a timeout after amoCRM took it) the
// part is reported failed although it was written. Before a retry of a save writes such a part
// again, the handler asks a SaveChecker, at the cost of one read per part and only on retries:
// a part found complete is not written, and of the products only those not linked as the quote
// has them are linked. A CRM that is no SaveChecker has such parts written again, which adds the
// note twice. AmoCRM's CRM is one.
//
// The interface is separate from CRM, so that a CRM written for tests or another backend keeps
// compiling; the handler finds it with a type assertion.
type SaveChecker interface {
	// LeadPrice returns the lead's price, in whole units of the account's currency. For a lead
	// that does not exist (or is deleted) the error matches ErrLeadNotFound.
	LeadPrice(ctx context.Context, leadID int64) (int64, error)
	// HasNote reports whether one of the lead's newest common notes (a small page of them) has a
	// line equal to marker, surrounding spaces aside. The handler passes
	// Calculation.NoteMarker, the last line of the note a save writes.
	HasNote(ctx context.Context, leadID int64, marker string) (bool, error)
	// MissingProducts returns those of products that are not linked to the lead with their
	// quantity: not linked at all, linked with another quantity, or with no element of their SKU
	// in the products catalog yet. Products not returned are linked as AttachProducts would
	// link them.
	MissingProducts(ctx context.Context, leadID int64, products []glass.Product) ([]glass.Product, error)
}

// ProductReplacer is a CRM that can also take the products of an earlier calculation off a
// lead. A save first unlinks the products that the lead's earlier calculations linked and this
// one does not have, so the lead's products are the newest calculation's; elements with other
// SKUs (products a person added by hand) are left alone. A CRM that is no ProductReplacer only
// links, leaving earlier calculations' products beside the new ones. AmoCRM's CRM is one.
type ProductReplacer interface {
	// UnlinkSKUs unlinks from the lead those of its linked products catalog elements whose SKU
	// is one of skus. Elements that are not linked are skipped, so a retry is harmless.
	UnlinkSKUs(ctx context.Context, leadID int64, skus []string) error
}

// SaverDetails is a CRM that can say who saves and in which time zone the account keeps its
// times, for the note and the history of a calculation. AmoCRM's CRM is one, and keeps what it
// read for a while. Without it, or when a read fails, the note names the user by id and gives
// Moscow time; the save goes on either way.
type SaverDetails interface {
	// UserName returns the name of the account's user userID.
	UserName(ctx context.Context, userID int64) (string, error)
	// Location returns the account's time zone.
	Location(ctx context.Context) (*time.Location, error)
}

// CRMSource returns the CRM of an account host ("acme.amocrm.ru"). When the account has no
// usable connection (never connected, or amoCRM refused its refresh token) the error matches
// widget.ErrNotConnected. AmoCRMClients.CRM is one.
type CRMSource func(ctx context.Context, account string) (CRM, error)

// ErrLeadNotFound is what a CRM returns (possibly wrapped) when the lead does not exist in the
// account. Match it with errors.Is.
var ErrLeadNotFound = errors.New("calculator: lead not found")

// LeadCard is what the calculator shows of a lead. Its JSON form is the "lead" object of
// get_lead; it never holds a token.
type LeadCard struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Price int64  `json:"price"` // whole units of the account's currency
	// Contact is the lead's main contact (or its first one); nil when it has none.
	Contact  *ContactCard  `json:"contact"`
	Products []LeadProduct `json:"products"`
}

// ContactCard is the part of a contact the calculator shows: its name and first phone number and
// e-mail address ("" when it has none).
type ContactCard struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// LeadProduct is a catalog element linked to a lead.
type LeadProduct struct {
	ID       int64  `json:"id"` // the catalog element
	Name     string `json:"name"`
	SKU      string `json:"sku"`
	Quantity string `json:"quantity"` // exact decimal, e.g. "1.8"
	PriceID  int64  `json:"price_id"` // the catalog's price field used, 0 for none
}
