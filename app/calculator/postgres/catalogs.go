package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/amokit/amokit/app/calculator"
)

var _ calculator.CatalogIndex = (*Store)(nil)

// LoadCatalog implements calculator.CatalogIndex.
func (s *Store) LoadCatalog(ctx context.Context, account string) (calculator.ProductCatalog, error) {
	c := calculator.ProductCatalog{Elements: map[string]int64{}}
	err := s.pool.QueryRow(ctx, `SELECT catalog_id, price_field_id FROM calculator_catalogs WHERE account = $1`, account).
		Scan(&c.ID, &c.PriceFieldID)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return calculator.ProductCatalog{}, fmt.Errorf("calculator/postgres: loading the catalog of %s: %w", account, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT sku, element_id FROM calculator_catalog_elements WHERE account = $1`, account)
	if err != nil {
		return calculator.ProductCatalog{}, fmt.Errorf("calculator/postgres: loading the catalog of %s: %w", account, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var id int64
		if err := rows.Scan(&sku, &id); err != nil {
			return calculator.ProductCatalog{}, fmt.Errorf("calculator/postgres: loading the catalog of %s: %w", account, err)
		}
		c.Elements[sku] = id
	}
	if err := rows.Err(); err != nil {
		return calculator.ProductCatalog{}, fmt.Errorf("calculator/postgres: loading the catalog of %s: %w", account, err)
	}
	return c, nil
}

// RememberCatalog implements calculator.CatalogIndex in one transaction: the account's row is
// locked (or made), its elements dropped when the catalog is another, then c's elements upserted.
func (s *Store) RememberCatalog(ctx context.Context, account string, c calculator.ProductCatalog) error {
	if c.ID <= 0 {
		return fmt.Errorf("calculator/postgres: remembering the catalog of %s: a products catalog needs its id", account)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old int64
		err := tx.QueryRow(ctx, `SELECT catalog_id FROM calculator_catalogs WHERE account = $1 FOR UPDATE`, account).Scan(&old)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO calculator_catalogs (account, catalog_id, price_field_id) VALUES ($1, $2, $3)
				ON CONFLICT (account) DO UPDATE SET catalog_id = EXCLUDED.catalog_id, price_field_id = EXCLUDED.price_field_id, updated_at = now()`,
				account, c.ID, c.PriceFieldID); err != nil {
				return err
			}
			// A racing insert of another catalog may have won: its elements are not this one's.
			if _, err := tx.Exec(ctx, `DELETE FROM calculator_catalog_elements WHERE account = $1`, account); err != nil {
				return err
			}
		case err != nil:
			return err
		case old != c.ID:
			if _, err := tx.Exec(ctx, `DELETE FROM calculator_catalog_elements WHERE account = $1`, account); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE calculator_catalogs SET catalog_id = $2, price_field_id = $3, updated_at = now() WHERE account = $1`,
				account, c.ID, c.PriceFieldID); err != nil {
				return err
			}
		case c.PriceFieldID != 0:
			if _, err := tx.Exec(ctx, `UPDATE calculator_catalogs SET price_field_id = $2, updated_at = now() WHERE account = $1`,
				account, c.PriceFieldID); err != nil {
				return err
			}
		}
		if len(c.Elements) == 0 {
			return nil
		}
		skus := make([]string, 0, len(c.Elements))
		ids := make([]int64, 0, len(c.Elements))
		for sku, id := range c.Elements {
			skus = append(skus, sku)
			ids = append(ids, id)
		}
		_, err = tx.Exec(ctx, `INSERT INTO calculator_catalog_elements (account, sku, element_id)
			SELECT $1, u.sku, u.id FROM unnest($2::text[], $3::bigint[]) AS u(sku, id)
			ON CONFLICT (account, sku) DO UPDATE SET element_id = EXCLUDED.element_id`, account, skus, ids)
		return err
	})
	if err != nil {
		return fmt.Errorf("calculator/postgres: remembering the catalog of %s: %w", account, err)
	}
	return nil
}

// ForgetElements implements calculator.CatalogIndex.
func (s *Store) ForgetElements(ctx context.Context, account string, catalogID int64, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM calculator_catalog_elements e USING calculator_catalogs c
		WHERE e.account = $1 AND c.account = $1 AND c.catalog_id = $2 AND e.sku = ANY($3)`, account, catalogID, skus)
	if err != nil {
		return fmt.Errorf("calculator/postgres: forgetting elements of %s: %w", account, err)
	}
	return nil
}

// ForgetCatalog implements calculator.CatalogIndex; the elements go with the catalog's row.
func (s *Store) ForgetCatalog(ctx context.Context, account string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM calculator_catalogs WHERE account = $1`, account); err != nil {
		return fmt.Errorf("calculator/postgres: forgetting the catalog of %s: %w", account, err)
	}
	return nil
}
