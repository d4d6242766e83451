-- The products catalog of each account as saves find it (calculator.CatalogIndex): its id, its
-- PRICE field and the element of each SKU, so that a save does not look them up again.
CREATE TABLE calculator_catalogs (
    account         text        PRIMARY KEY,
    catalog_id      bigint      NOT NULL CHECK (catalog_id > 0),
    price_field_id  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calculator_catalog_elements (
    account     text   NOT NULL REFERENCES calculator_catalogs (account) ON DELETE CASCADE,
    sku         text   NOT NULL,
    element_id  bigint NOT NULL,
    PRIMARY KEY (account, sku)
);
