-- Published price lists, one row per version. The JSON is kept as text,
-- byte for byte as published, so an export gives back the file that was
-- imported.
CREATE TABLE amokit_price_lists (
    id           bigserial   PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    author       text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    data         text        NOT NULL
);
