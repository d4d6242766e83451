package calculator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// AmoCRM adapts an *amocrm.Client to CRM. It remembers the account's products catalog, its
// price field and the element of each SKU in process memory, so a Client should get one AmoCRM
// for its lifetime; AmoCRMIndexed keeps them in a CatalogIndex instead.
func AmoCRM(c *amocrm.Client) CRM {
	return AmoCRMIndexed(c, nil)
}

// AmoCRMIndexed is AmoCRM remembering the products catalog's ids in index, under the client's
// account host; a nil index keeps them in process memory. AmoCRMClients uses it with its Catalogs.
func AmoCRMIndexed(c *amocrm.Client, index CatalogIndex) CRM {
	return newAmoCRM(c, index)
}

func newAmoCRM(c *amocrm.Client, index CatalogIndex) *amoCRM {
	if index == nil {
		index = &memoryCatalogs{}
	}
	return &amoCRM{c: c, account: c.Domain(), index: index}
}

type amoCRM struct {
	c       *amocrm.Client
	account string       // the key of the account in index
	index   CatalogIndex // the products catalog's ids (docs/calculator-save.md)

	catalogKnown atomic.Bool // the index has had the catalog's id since warmCatalog last looked
	warming      atomic.Bool // a warmCatalog runs

	mu     sync.Mutex
	opened map[openedKey]openedLead // leads read by openLead, for the Lead that follows

	details details // users' names and the account's zone
}

// openedTTL is how long a lead read by openLead serves the Lead read that follows it: the
// prefetch that a new session starts, a moment later.
const openedTTL = 10 * time.Second

// openedKey is a lead as one user read it: amoCRM answers each user by that user's rights.
type openedKey struct{ user, lead int64 }

type openedLead struct {
	lead *amocrm.Lead
	at   time.Time
}

// leadOpener is a CRM whose check that a user may open a lead also reads what the card needs of
// it, so that the card read that follows starts one level further.
type leadOpener interface {
	openLead(ctx context.Context, id int64) error
}

var _ leadOpener = (*amoCRM)(nil)

// openLead reads lead id as ctx's user, with its contacts and products
// (GET /api/v4/leads/{id}?with=contacts,catalog_elements, the same one request a check of the
// price would make), and keeps it openedTTL for Lead. For a lead that does not exist, is deleted
// or is not the user's to see the error matches ErrLeadNotFound.
func (a *amoCRM) openLead(ctx context.Context, id int64) error {
	lead, err := a.c.Leads.Get(ctx, id, amocrm.LeadWithContacts, amocrm.LeadWithCatalogElements)
	if err != nil {
		return notFound(err, "lead", id)
	}
	if lead.IsDeleted {
		return fmt.Errorf("%w: lead %d is deleted", ErrLeadNotFound, id)
	}
	user, _ := amocrm.ActingUser(ctx)
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, o := range a.opened {
		if now.Sub(o.at) > openedTTL {
			delete(a.opened, k)
		}
	}
	if a.opened == nil {
		a.opened = map[openedKey]openedLead{}
	}
	if len(a.opened) < maxPrefetches {
		a.opened[openedKey{user, id}] = openedLead{lead: lead, at: now}
	}
	return nil
}

// takeOpened returns, once, the lead openLead read for ctx's user in the last openedTTL.
func (a *amoCRM) takeOpened(ctx context.Context, id int64) *amocrm.Lead {
	user, _ := amocrm.ActingUser(ctx)
	k := openedKey{user, id}
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.opened[k]
	delete(a.opened, k)
	if !ok || time.Since(o.at) > openedTTL {
		return nil
	}
	return o.lead
}

// catalogWarmer is a CRM that can find the account's products catalog ahead of the first save.
type catalogWarmer interface {
	warmCatalog(ctx context.Context)
}

var _ catalogWarmer = (*amoCRM)(nil)

// warmCatalog makes sure the index knows the account's products catalog, asking amoCRM
// (GET /api/v4/catalogs, once per account and index) when it does not, so that the first save
// starts with the catalog's elements rather than with finding the catalog. The start calls it
// after its own reads; one runs per account at a time, and failures are left to the save.
func (a *amoCRM) warmCatalog(ctx context.Context) {
	if a.catalogKnown.Load() || !a.warming.CompareAndSwap(false, true) {
		return
	}
	defer a.warming.Store(false)
	if _, err := a.catalog(ctx); err == nil {
		a.catalogKnown.Store(true)
	}
}

// Lead implements CRM: GET /api/v4/leads/{id}?with=contacts,catalog_elements (or the lead
// openLead has just read for the same user), then the main contact and the linked elements at the
// same time.
func (a *amoCRM) Lead(ctx context.Context, id int64) (LeadCard, error) {
	lead := a.takeOpened(ctx, id)
	if lead == nil {
		var err error
		if lead, err = a.c.Leads.Get(ctx, id, amocrm.LeadWithContacts, amocrm.LeadWithCatalogElements); err != nil {
			return LeadCard{}, notFound(err, "lead", id)
		}
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
// elements, then each product's element by SKU (from the index, or a read of the catalog's
// elements for those it lacks), compared by element and quantity.
func (a *amoCRM) MissingProducts(ctx context.Context, leadID int64, products []glass.Product) ([]glass.Product, error) {
	if len(products) == 0 {
		return nil, nil
	}
	pc, err := a.catalog(ctx)
	if err != nil {
		return nil, err
	}
	links, err := a.c.Leads.Products(ctx, leadID)
	if err != nil {
		return nil, fmt.Errorf("calculator: reading the products of lead %d: %w", leadID, notFound(err, "lead", leadID))
	}
	linked := map[int64]amocrm.Decimal{} // element → quantity
	for _, l := range links {
		if l.CatalogID == pc.ID {
			linked[l.ElementID] = l.Quantity
		}
	}
	if len(linked) == 0 {
		return products, nil
	}
	pc, err = a.elements(ctx, pc, skusOf(products))
	if err != nil {
		return nil, err
	}
	var missing []glass.Product
	for _, p := range products {
		id := pc.Elements[p.SKU]
		q, ok := linked[id]
		if id == 0 || !ok || !sameQuantity(q, p.Quantity) {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

var _ ProductReplacer = (*amoCRM)(nil)

// UnlinkSKUs implements ProductReplacer: GET /api/v4/leads/{id}/links for the linked elements,
// each SKU's element (from the index, or one read of the catalog's elements for those it lacks),
// then one POST /api/v4/leads/{id}/unlink of those linked.
func (a *amoCRM) UnlinkSKUs(ctx context.Context, leadID int64, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	pc, err := a.catalog(ctx)
	if err != nil {
		return err
	}
	links, err := a.c.Leads.Products(ctx, leadID)
	if err != nil {
		return fmt.Errorf("calculator: reading the products of lead %d: %w", leadID, notFound(err, "lead", leadID))
	}
	linked := map[int64]amocrm.ProductLink{}
	for _, l := range links {
		if l.CatalogID == pc.ID {
			linked[l.ElementID] = l
		}
	}
	if len(linked) == 0 {
		return nil
	}
	if pc, err = a.elements(ctx, pc, skus); err != nil {
		return err
	}
	var drop []amocrm.ProductLink
	for _, sku := range skus {
		id := pc.Elements[sku]
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

func skusOf(products []glass.Product) []string {
	out := make([]string, len(products))
	for i, p := range products {
		out[i] = p.SKU
	}
	return out
}

// AttachProducts implements CRM. Each product's element comes from the index, or, for SKUs it
// lacks, from one read of the products catalog's elements (a page of 250, more pages only while
// SKUs are still missing); the missing elements are created in one request, while the catalog's
// fields are read when no element has shown the PRICE field; then one request links them all
// with their quantities and the price field. Once the index knows the account's products, a save
// makes the one link request (docs/calculator-save.md).
func (a *amoCRM) AttachProducts(ctx context.Context, leadID int64, products []glass.Product) error {
	if len(products) == 0 {
		return nil
	}
	pc, err := a.catalog(ctx)
	if err != nil {
		return err
	}
	if pc, err = a.elements(ctx, pc, skusOf(products)); err != nil {
		return err
	}
	var missing []int // indexes into products
	seen := map[string]bool{}
	for i, p := range products {
		if pc.Elements[p.SKU] == 0 && !seen[p.SKU] {
			missing = append(missing, i)
			seen[p.SKU] = true
		}
	}
	learned := ProductCatalog{ID: pc.ID, Elements: map[string]int64{}}
	g, gctx := errgroup.WithContext(ctx)
	if pc.PriceFieldID == 0 {
		g.Go(func() error {
			id, err := a.priceField(gctx, pc.ID)
			learned.PriceFieldID = id
			return err
		})
	}
	if len(missing) > 0 {
		g.Go(func() error {
			reqs := make([]amocrm.CreateElementRequest, len(missing))
			for j, i := range missing {
				p := products[i]
				reqs[j] = amocrm.CreateElementRequest{Name: p.Name, CustomFieldsValues: amocrm.ProductFields{
					SKU: p.SKU, Price: amocrm.DecimalFromMinor(p.UnitPrice, 2),
				}.Fields()}
			}
			saved, err := a.c.Catalogs.CreateElements(gctx, pc.ID, reqs)
			for _, s := range saved {
				if s.Index >= 0 && s.Index < len(missing) {
					learned.Elements[products[missing[s.Index]].SKU] = s.ID
				}
			}
			if err != nil {
				return fmt.Errorf("calculator: creating products: %w", err)
			}
			return nil
		})
	}
	err = g.Wait()
	if learned.PriceFieldID != 0 || len(learned.Elements) > 0 {
		a.remember(ctx, learned)
	}
	if err != nil {
		return err
	}
	priceID := max(pc.PriceFieldID, learned.PriceFieldID)
	links := make([]amocrm.ProductLink, len(products))
	for i, p := range products {
		q, err := amocrm.ParseDecimal(p.Quantity.String())
		if err != nil {
			return fmt.Errorf("calculator: product %s: quantity: %w", p.SKU, err)
		}
		id := pc.Elements[p.SKU]
		if id == 0 {
			id = learned.Elements[p.SKU]
		}
		links[i] = amocrm.ProductLink{ElementID: id, CatalogID: pc.ID, Quantity: q, PriceID: priceID}
	}
	if err := a.c.Leads.LinkProducts(ctx, leadID, links); err != nil {
		if gone := goneElements(err, products); len(gone) > 0 {
			// amoCRM refused elements the index named: look them up again next time.
			_ = a.index.ForgetElements(context.WithoutCancel(ctx), a.account, pc.ID, gone)
		}
		return notFound(err, "lead", leadID)
	}
	return nil
}

// goneElements returns the SKUs whose links amoCRM refused as a request error (400): those its
// validation errors name by index, or all of them when they name none. Other failures (a
// timeout, a 5xx) say nothing about the elements and return none.
func goneElements(err error, products []glass.Product) []string {
	var e *amocrm.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest {
		return nil
	}
	var out []string
	for _, v := range e.ValidationErrors {
		if i, err := strconv.Atoi(v.RequestID); err == nil && i >= 0 && i < len(products) {
			out = append(out, products[i].SKU)
		}
	}
	if len(out) == 0 {
		out = skusOf(products)
	}
	return out
}

// catalog returns the account's products catalog from the index, asking amoCRM
// (GET /api/v4/catalogs) when the index has none. The index is a cache: when it cannot be read,
// amoCRM is asked, and when it cannot be written, the next save asks again.
func (a *amoCRM) catalog(ctx context.Context) (ProductCatalog, error) {
	pc, err := a.index.LoadCatalog(ctx, a.account)
	if err != nil || pc.Elements == nil {
		pc = ProductCatalog{ID: pc.ID, PriceFieldID: pc.PriceFieldID, Elements: map[string]int64{}}
	}
	if pc.ID != 0 {
		return pc, nil
	}
	c, err := a.c.Catalogs.ProductsCatalog(ctx)
	if err != nil {
		return ProductCatalog{}, fmt.Errorf("calculator: finding the products catalog: %w", err)
	}
	pc = ProductCatalog{ID: c.ID, Elements: map[string]int64{}}
	a.remember(ctx, pc)
	return pc, nil
}

// elements returns pc with the element of every SKU of skus that the catalog has: those pc
// lacks are looked for in the catalog's elements, read 250 at a time until every one is found or
// the catalog ends, and every SKU met on the way is remembered, with the PRICE field's id when an
// element shows it. An SKU the catalog lacks stays out of pc.Elements. When amoCRM no longer has
// the catalog, the index forgets it.
func (a *amoCRM) elements(ctx context.Context, pc ProductCatalog, skus []string) (ProductCatalog, error) {
	want := map[string]bool{}
	for _, s := range skus {
		if pc.Elements[s] == 0 {
			want[s] = true
		}
	}
	if len(want) == 0 {
		return pc, nil
	}
	learned := ProductCatalog{ID: pc.ID, Elements: map[string]int64{}}
	for e, err := range a.c.Catalogs.AllElements(ctx, pc.ID, &amocrm.ElementListOptions{Limit: amocrm.MaxPageSize}) {
		if err != nil {
			if errors.Is(err, amocrm.ErrNotFound) {
				_ = a.index.ForgetCatalog(context.WithoutCancel(ctx), a.account)
				a.catalogKnown.Store(false)
			}
			return ProductCatalog{}, fmt.Errorf("calculator: reading the products catalog: %w", err)
		}
		sku := e.SKU()
		if e.IsDeleted || sku == "" {
			continue
		}
		if _, dup := learned.Elements[sku]; !dup {
			learned.Elements[sku] = e.ID
		}
		if learned.PriceFieldID == 0 && pc.PriceFieldID == 0 {
			if f, ok := e.CustomFieldsValues.ByCode(amocrm.FieldCodePrice); ok && f.FieldID > 0 {
				learned.PriceFieldID = f.FieldID
			}
		}
		delete(want, sku)
		if len(want) == 0 {
			break
		}
	}
	a.remember(ctx, learned)
	maps.Copy(pc.Elements, learned.Elements)
	if learned.PriceFieldID != 0 {
		pc.PriceFieldID = learned.PriceFieldID
	}
	return pc, nil
}

// priceField returns the id of the catalog's PRICE field from its field definitions
// (GET /api/v4/catalogs/{id}/custom_fields); 0 when it has none, and the link is then made
// without a price field.
func (a *amoCRM) priceField(ctx context.Context, catalogID int64) (int64, error) {
	for f, err := range a.c.CustomFields.All(ctx, amocrm.FieldsOfCatalog(catalogID), nil) {
		if err != nil {
			return 0, fmt.Errorf("calculator: reading the fields of the products catalog: %w", err)
		}
		if f.Code == amocrm.FieldCodePrice {
			return f.ID, nil
		}
	}
	return 0, nil
}

// remember records what a save learned of the catalog; see catalog for why a failure is
// ignored. It runs detached from ctx, so that a request going away does not lose it.
func (a *amoCRM) remember(ctx context.Context, c ProductCatalog) {
	_ = a.index.RememberCatalog(context.WithoutCancel(ctx), a.account, c)
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
	// Catalogs remembers the products catalog's ids of every account (AmoCRMIndexed): the
	// server's calculation store, which both stores implement. Set it before the first call to
	// CRM; nil keeps them in process memory, per client.
	Catalogs CatalogIndex

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
	a := newAmoCRM(c, s.Catalogs)
	s.accounts[host] = a
	return a, nil
}
