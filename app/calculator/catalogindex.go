package calculator

import (
	"context"
	"errors"
	"maps"
	"sync"
)

// CatalogIndex remembers, per account, the ids that writing products to a lead needs and that
// amoCRM does not change by itself: the products catalog's id, the id of its PRICE field and the
// element of each SKU. Without it every save finds them again, one level of amoCRM requests
// after another (docs/calculator-save.md). An entry is forgotten when amoCRM says the element or
// the catalog is gone. MemoryCalculations and app/calculator/postgres implement it beside their
// calculations, so that the index lives in the store the server already has. Implementations are
// safe for concurrent use; maps going in and out are copies.
type CatalogIndex interface {
	// LoadCatalog returns what is remembered of the account's products catalog: a zero
	// ProductCatalog (ID 0) when nothing is.
	LoadCatalog(ctx context.Context, account string) (ProductCatalog, error)
	// RememberCatalog records c as the account's products catalog. When c.ID is not the
	// remembered catalog, c replaces it and its elements; otherwise a non-zero c.PriceFieldID
	// replaces the remembered one and c.Elements are added to the remembered elements (an SKU
	// already there takes the new element). c.ID must be positive.
	RememberCatalog(ctx context.Context, account string, c ProductCatalog) error
	// ForgetElements forgets the elements of skus, if catalogID is the remembered catalog.
	ForgetElements(ctx context.Context, account string, catalogID int64, skus []string) error
	// ForgetCatalog forgets the account's catalog and its elements.
	ForgetCatalog(ctx context.Context, account string) error
}

// ProductCatalog is what a CatalogIndex remembers of an account's products catalog.
type ProductCatalog struct {
	ID           int64            // the catalog; 0 when nothing is remembered
	PriceFieldID int64            // its PRICE field; 0 when not known
	Elements     map[string]int64 // SKU → element id
}

// errNoCatalogID is RememberCatalog's refusal of a catalog without an id.
var errNoCatalogID = errors.New("calculator: a products catalog needs its id")

// memoryCatalogs is a CatalogIndex in process memory. The zero value is ready to use.
type memoryCatalogs struct {
	mu       sync.Mutex
	accounts map[string]ProductCatalog
}

var _ CatalogIndex = (*memoryCatalogs)(nil)

func (m *memoryCatalogs) LoadCatalog(ctx context.Context, account string) (ProductCatalog, error) {
	if err := ctx.Err(); err != nil {
		return ProductCatalog{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.accounts[account]
	c.Elements = maps.Clone(c.Elements)
	if c.Elements == nil {
		c.Elements = map[string]int64{}
	}
	return c, nil
}

func (m *memoryCatalogs) RememberCatalog(ctx context.Context, account string, c ProductCatalog) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.ID <= 0 {
		return errNoCatalogID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.accounts == nil {
		m.accounts = map[string]ProductCatalog{}
	}
	old, ok := m.accounts[account]
	if !ok || old.ID != c.ID {
		old = ProductCatalog{ID: c.ID, Elements: map[string]int64{}}
	}
	if c.PriceFieldID != 0 {
		old.PriceFieldID = c.PriceFieldID
	}
	maps.Copy(old.Elements, c.Elements)
	m.accounts[account] = old
	return nil
}

func (m *memoryCatalogs) ForgetElements(ctx context.Context, account string, catalogID int64, skus []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.accounts[account]
	if !ok || c.ID != catalogID {
		return nil
	}
	for _, s := range skus {
		delete(c.Elements, s)
	}
	return nil
}

func (m *memoryCatalogs) ForgetCatalog(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.accounts, account)
	return nil
}

var _ CatalogIndex = (*MemoryCalculations)(nil)

// LoadCatalog implements CatalogIndex.
func (m *MemoryCalculations) LoadCatalog(ctx context.Context, account string) (ProductCatalog, error) {
	return m.catalogs.LoadCatalog(ctx, account)
}

// RememberCatalog implements CatalogIndex.
func (m *MemoryCalculations) RememberCatalog(ctx context.Context, account string, c ProductCatalog) error {
	return m.catalogs.RememberCatalog(ctx, account, c)
}

// ForgetElements implements CatalogIndex.
func (m *MemoryCalculations) ForgetElements(ctx context.Context, account string, catalogID int64, skus []string) error {
	return m.catalogs.ForgetElements(ctx, account, catalogID, skus)
}

// ForgetCatalog implements CatalogIndex.
func (m *MemoryCalculations) ForgetCatalog(ctx context.Context, account string) error {
	return m.catalogs.ForgetCatalog(ctx, account)
}
