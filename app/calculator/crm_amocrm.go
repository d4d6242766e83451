package calculator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// AmoCRM adapts an *amocrm.Client to CRM. It remembers the account's products catalog, its
// price field and the elements it has found by SKU, so a Client should get one AmoCRM for its
// lifetime (AmoCRMClients does that).
func AmoCRM(c *amocrm.Client) CRM {
	return &amoCRM{c: c, bySKU: map[string]int64{}}
}

type amoCRM struct {
	c *amocrm.Client

	mu        sync.Mutex
	catalogID int64            // the products catalog, 0 until known
	priceID   int64            // its PRICE field, 0 until known
	bySKU     map[string]int64 // SKU → element id of the products catalog
}

// Lead implements CRM: GET /api/v4/leads/{id}?with=contacts,catalog_elements, then the main
// contact and the linked elements at the same time.
func (a *amoCRM) Lead(ctx context.Context, id int64) (LeadCard, error) {
	lead, err := a.c.Leads.Get(ctx, id, amocrm.LeadWithContacts, amocrm.LeadWithCatalogElements)
	if err != nil {
		return LeadCard{}, notFound(err, "lead", id)
	}
	if lead.IsDeleted {
		return LeadCard{}, fmt.Errorf("%w: lead %d is deleted", ErrLeadNotFound, id)
	}
	card := LeadCard{ID: lead.ID, Name: lead.Name, Price: lead.Price, Products: []LeadProduct{}}

	g, gctx := errgroup.WithContext(ctx)
	if cid := mainContact(lead.Embedded.Contacts); cid != 0 {
		g.Go(func() error {
			c, err := a.c.Contacts.Get(gctx, cid)
			if errors.Is(err, amocrm.ErrNotFound) {
				return nil // deleted meanwhile: show none
			}
			if err != nil {
				return err
			}
			card.Contact = &ContactCard{Name: c.Name, Phone: firstValue(c.Phones()), Email: firstValue(c.Emails())}
			return nil
		})
	}
	links := lead.Embedded.CatalogElements
	if len(links) > 0 {
		g.Go(func() error {
			products, err := a.linkedProducts(gctx, links)
			card.Products = products
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return LeadCard{}, err
	}
	return card, nil
}

// mainContact returns the main contact of a lead, or its first one, or 0.
func mainContact(cs []amocrm.LeadContact) int64 {
	for _, c := range cs {
		if c.IsMain {
			return c.ID
		}
	}
	if len(cs) > 0 {
		return cs[0].ID
	}
	return 0
}

func firstValue(vs []amocrm.CustomFieldValue) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0].String()
}

// linkedProducts reads the names and SKUs of the linked elements, one list request per catalog.
func (a *amoCRM) linkedProducts(ctx context.Context, links []amocrm.LeadCatalogElement) ([]LeadProduct, error) {
	byCatalog := map[int64][]int64{}
	var catalogs []int64
	for _, l := range links {
		cat := l.Metadata.CatalogID
		if cat <= 0 {
			continue
		}
		if _, seen := byCatalog[cat]; !seen {
			catalogs = append(catalogs, cat)
		}
		byCatalog[cat] = append(byCatalog[cat], l.ID)
	}
	elements := map[int64]amocrm.CatalogElement{}
	for _, cat := range catalogs {
		for e, err := range a.c.Catalogs.AllElements(ctx, cat, &amocrm.ElementListOptions{IDs: byCatalog[cat], Limit: 250}) {
			if err != nil {
				return nil, err
			}
			elements[e.ID] = e
		}
	}
	out := make([]LeadProduct, 0, len(links))
	for _, l := range links {
		p := LeadProduct{ID: l.ID, Quantity: l.Metadata.Quantity.String(), PriceID: l.Metadata.PriceID}
		if e, ok := elements[l.ID]; ok {
			p.Name, p.SKU = e.Name, e.SKU()
		}
		out = append(out, p)
	}
	return out, nil
}

// SetLeadPrice implements CRM: PATCH /api/v4/leads/{id}.
func (a *amoCRM) SetLeadPrice(ctx context.Context, leadID, price int64) error {
	_, err := a.c.Leads.UpdateOne(ctx, leadID, amocrm.UpdateLeadRequest{Price: &price})
	return notFound(err, "lead", leadID)
}

// AddNote implements CRM: POST /api/v4/leads/notes with one common note.
func (a *amoCRM) AddNote(ctx context.Context, leadID int64, text string) error {
	_, err := a.c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: leadID, Params: amocrm.CommonNote{Text: text}}})
	return notFound(err, "lead", leadID)
}

// recentNotes is how many of a lead's newest common notes HasNote reads: one small page. A retry
// usually follows the lost answer within minutes, so the calculation's note is among them unless
// people added that many notes to the lead in between.
const recentNotes = 25

var _ SaveChecker = (*amoCRM)(nil)

// LeadPrice implements SaveChecker: GET /api/v4/leads/{id}.
func (a *amoCRM) LeadPrice(ctx context.Context, leadID int64) (int64, error) {
	lead, err := a.c.Leads.Get(ctx, leadID)
	if err != nil {
		return 0, notFound(err, "lead", leadID)
	}
	if lead.IsDeleted {
		return 0, fmt.Errorf("%w: lead %d is deleted", ErrLeadNotFound, leadID)
	}
	return lead.Price, nil
}

// HasNote implements SaveChecker: GET /api/v4/leads/notes for the lead's common notes, newest
// (highest id) first, one page of recentNotes.
func (a *amoCRM) HasNote(ctx context.Context, leadID int64, marker string) (bool, error) {
	marker = strings.TrimSpace(marker)
	if marker == "" {
		return false, errors.New("calculator: an empty note marker matches nothing")
	}
	page, err := a.c.Notes.List(ctx, amocrm.EntityLeads, &amocrm.NoteListOptions{
		EntityIDs: []int64{leadID}, Types: []amocrm.NoteType{amocrm.NoteCommon},
		Order: amocrm.Sort{By: amocrm.SortByID, Dir: amocrm.Desc}, Limit: recentNotes,
	})
	if err != nil {
		return false, fmt.Errorf("calculator: reading the notes of lead %d: %w", leadID, notFound(err, "lead", leadID))
	}
	for _, n := range page.Items {
		text, ok := n.Params.(amocrm.CommonNote)
		if !ok || n.EntityID != leadID {
			continue
		}
		for line := range strings.Lines(text.Text) {
			if strings.TrimSpace(line) == marker {
				return true, nil
			}
		}
	}
	return false, nil
}

// MissingProducts implements SaveChecker: GET /api/v4/leads/{id}/links for the linked catalog
// elements, then each product's element by SKU (known already when this client found or created
// it, otherwise one search per SKU), compared by element and quantity.
func (a *amoCRM) MissingProducts(ctx context.Context, leadID int64, products []glass.Product) ([]glass.Product, error) {
	if len(products) == 0 {
		return nil, nil
	}
	catalogID, err := a.productsCatalog(ctx)
	if err != nil {
		return nil, err
	}
	links, err := a.c.Leads.Products(ctx, leadID)
	if err != nil {
		return nil, fmt.Errorf("calculator: reading the products of lead %d: %w", leadID, notFound(err, "lead", leadID))
	}
	linked := map[int64]amocrm.Decimal{} // element → quantity
	for _, l := range links {
		if l.CatalogID == catalogID {
			linked[l.ElementID] = l.Quantity
		}
	}
	if len(linked) == 0 {
		return products, nil
	}
	var missing []glass.Product
	for _, p := range products {
		id, err := a.findBySKU(ctx, catalogID, p.SKU)
		if err != nil {
			return nil, err
		}
		q, ok := linked[id]
		if id == 0 || !ok || !sameQuantity(q, p.Quantity) {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

var _ ProductReplacer = (*amoCRM)(nil)

// UnlinkSKUs implements ProductReplacer: GET /api/v4/leads/{id}/links for the linked elements,
// each SKU's element (known already, or one search per SKU), then one POST
// /api/v4/leads/{id}/unlink of those linked.
func (a *amoCRM) UnlinkSKUs(ctx context.Context, leadID int64, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	catalogID, err := a.productsCatalog(ctx)
	if err != nil {
		return err
	}
	links, err := a.c.Leads.Products(ctx, leadID)
	if err != nil {
		return fmt.Errorf("calculator: reading the products of lead %d: %w", leadID, notFound(err, "lead", leadID))
	}
	linked := map[int64]amocrm.ProductLink{}
	for _, l := range links {
		if l.CatalogID == catalogID {
			linked[l.ElementID] = l
		}
	}
	var drop []amocrm.ProductLink
	for _, sku := range skus {
		if len(linked) == 0 {
			break
		}
		id, err := a.findBySKU(ctx, catalogID, sku)
		if err != nil {
			return err
		}
		if l, ok := linked[id]; ok && id != 0 {
			drop = append(drop, l)
			delete(linked, id)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	return notFound(a.c.Leads.UnlinkProducts(ctx, leadID, drop), "lead", leadID)
}

// sameQuantity reports whether amoCRM's quantity of a link is q exactly, compared in millionths
// (the glass package's precision); a quantity that cannot be read is not the same.
func sameQuantity(linked amocrm.Decimal, q glass.Decimal) bool {
	a, err1 := linked.MinorUnits(6)
	b, err2 := amocrm.Decimal(q.String()).MinorUnits(6)
	return err1 == nil && err2 == nil && a == b
}

// AttachProducts implements CRM: it finds each product's element in the products catalog by
// SKU (searching once per SKU not yet known), creates the missing ones in one request, and links
// them all to the lead in one request with their quantities and the catalog's price field.
func (a *amoCRM) AttachProducts(ctx context.Context, leadID int64, products []glass.Product) error {
	if len(products) == 0 {
		return nil
	}
	catalogID, err := a.productsCatalog(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, len(products))
	var missing []int // indexes into products
	for i, p := range products {
		id, err := a.findBySKU(ctx, catalogID, p.SKU)
		if err != nil {
			return err
		}
		if id == 0 {
			missing = append(missing, i)
		}
		ids[i] = id
	}
	if len(missing) > 0 {
		reqs := make([]amocrm.CreateElementRequest, len(missing))
		for j, i := range missing {
			p := products[i]
			reqs[j] = amocrm.CreateElementRequest{Name: p.Name, CustomFieldsValues: amocrm.ProductFields{
				SKU: p.SKU, Price: amocrm.DecimalFromMinor(p.UnitPrice, 2),
			}.Fields()}
		}
		saved, err := a.c.Catalogs.CreateElements(ctx, catalogID, reqs)
		for _, s := range saved {
			i := missing[s.Index]
			ids[i] = s.ID
			a.remember(products[i].SKU, s.ID)
		}
		if err != nil {
			return fmt.Errorf("calculator: creating products: %w", err)
		}
	}
	priceID, err := a.priceField(ctx, catalogID, ids[0])
	if err != nil {
		return err
	}
	links := make([]amocrm.ProductLink, len(products))
	for i, p := range products {
		q, err := amocrm.ParseDecimal(p.Quantity.String())
		if err != nil {
			return fmt.Errorf("calculator: product %s: quantity: %w", p.SKU, err)
		}
		links[i] = amocrm.ProductLink{ElementID: ids[i], CatalogID: catalogID, Quantity: q, PriceID: priceID}
	}
	if err := a.c.Leads.LinkProducts(ctx, leadID, links); err != nil {
		// An element found earlier may have been deleted since: look them up again next time.
		a.mu.Lock()
		clear(a.bySKU)
		a.mu.Unlock()
		return notFound(err, "lead", leadID)
	}
	return nil
}

// productsCatalog returns the id of the account's products catalog, asking amoCRM once.
func (a *amoCRM) productsCatalog(ctx context.Context) (int64, error) {
	a.mu.Lock()
	id := a.catalogID
	a.mu.Unlock()
	if id != 0 {
		return id, nil
	}
	c, err := a.c.Catalogs.ProductsCatalog(ctx)
	if err != nil {
		return 0, fmt.Errorf("calculator: finding the products catalog: %w", err)
	}
	a.mu.Lock()
	a.catalogID = c.ID
	a.mu.Unlock()
	return c.ID, nil
}

// findBySKU returns the id of the element of the catalog whose SKU is sku, or 0.
func (a *amoCRM) findBySKU(ctx context.Context, catalogID int64, sku string) (int64, error) {
	a.mu.Lock()
	id, ok := a.bySKU[sku]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	for e, err := range a.c.Catalogs.AllElements(ctx, catalogID, &amocrm.ElementListOptions{Query: sku, Limit: 250}) {
		if err != nil {
			return 0, fmt.Errorf("calculator: searching the products catalog for %s: %w", sku, err)
		}
		if e.IsDeleted || e.SKU() != sku {
			continue // the search also matches names and other fields
		}
		a.notePriceField(e)
		a.remember(sku, e.ID)
		return e.ID, nil
	}
	return 0, nil
}

func (a *amoCRM) remember(sku string, id int64) {
	a.mu.Lock()
	a.bySKU[sku] = id
	a.mu.Unlock()
}

// notePriceField remembers the id of the PRICE field from an element that has it.
func (a *amoCRM) notePriceField(e amocrm.CatalogElement) {
	if f, ok := e.CustomFieldsValues.ByCode(amocrm.FieldCodePrice); ok && f.FieldID > 0 {
		a.mu.Lock()
		a.priceID = f.FieldID
		a.mu.Unlock()
	}
}

// priceField returns the id of the catalog's PRICE field, reading the element id when no
// element has shown it yet. 0 means the catalog has none; the link is then made without a price
// field.
func (a *amoCRM) priceField(ctx context.Context, catalogID, elementID int64) (int64, error) {
	a.mu.Lock()
	id := a.priceID
	a.mu.Unlock()
	if id != 0 {
		return id, nil
	}
	e, err := a.c.Catalogs.GetElement(ctx, catalogID, elementID)
	if err != nil {
		return 0, fmt.Errorf("calculator: reading product %d: %w", elementID, err)
	}
	a.notePriceField(*e)
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.priceID, nil
}

// notFound wraps an amoCRM 404 (or 204) on an entity as ErrLeadNotFound.
func notFound(err error, what string, id int64) error {
	if err != nil && errors.Is(err, amocrm.ErrNotFound) {
		return fmt.Errorf("%w: %s %d: %w", ErrLeadNotFound, what, id, err)
	}
	return err
}

// AmoCRMClients makes one *amocrm.Client per connected account, authorised by an
// oauth.TokenSource over the connection store, and keeps it (and its rate limiter and caches)
// for later requests. Its CRM method is a CRMSource. Safe for concurrent use.
type AmoCRMClients struct {
	ctx   context.Context
	oauth oauth.Config
	store tokenstore.Store
	opts  []amocrm.Option

	mu       sync.Mutex
	accounts map[string]*amoCRM
}

// NewAmoCRMClients returns AmoCRMClients for the integration cfg and the connections in store.
// ctx is the long-lived context of the token sources (never a request's; see
// oauth.Config.TokenSource). opts go to every amocrm.New, after which the token source is added;
// tests pass amocrm.WithHTTPClient(fake.Client()).
func NewAmoCRMClients(ctx context.Context, cfg oauth.Config, store tokenstore.Store, opts ...amocrm.Option) *AmoCRMClients {
	return &AmoCRMClients{ctx: ctx, oauth: cfg, store: store, opts: opts, accounts: map[string]*amoCRM{}}
}

// CRM returns the CRM of account. It checks the stored connection first: an account that was
// never connected, or whose refresh token amoCRM refused, gives an error matching
// widget.ErrNotConnected.
func (s *AmoCRMClients) CRM(ctx context.Context, account string) (CRM, error) {
	a, err := s.get(ctx, account)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Client returns the *amocrm.Client of account, checked as CRM does.
func (s *AmoCRMClients) Client(ctx context.Context, account string) (*amocrm.Client, error) {
	a, err := s.get(ctx, account)
	if err != nil {
		return nil, err
	}
	return a.c, nil
}

// Forget drops the client of account, for instance when amoCRM revokes the integration
// (Config.OnRevoke). The next call makes a new one.
func (s *AmoCRMClients) Forget(account string) {
	s.mu.Lock()
	delete(s.accounts, account)
	s.mu.Unlock()
}

func (s *AmoCRMClients) get(ctx context.Context, account string) (*amoCRM, error) {
	host, err := amocrm.ParseDomain(account)
	if err != nil {
		return nil, err
	}
	conn, err := s.store.Load(ctx, host)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		return nil, fmt.Errorf("%w: %s has no connection", widget.ErrNotConnected, host)
	case err != nil:
		return nil, fmt.Errorf("calculator: loading the connection of %s: %w", host, err)
	case conn.ReauthRequired || conn.RefreshToken == "":
		return nil, fmt.Errorf("%w: %s must be authorised again", widget.ErrNotConnected, host)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[host]; ok {
		return a, nil
	}
	ts, err := s.oauth.TokenSource(s.ctx, s.store, host)
	if err != nil {
		return nil, err
	}
	c, err := amocrm.New(host, append(append([]amocrm.Option(nil), s.opts...), amocrm.WithTokenSource(ts))...)
	if err != nil {
		return nil, err
	}
	a := AmoCRM(c).(*amoCRM)
	s.accounts[host] = a
	return a, nil
}
