-- The revoke hook names an account by its numeric id and the integration by client id: find
-- those rows without reading (and opening) every other account's.
CREATE INDEX amokit_connections_account_id ON amokit_connections (account_id);
CREATE INDEX amokit_connections_client_id ON amokit_connections (client_id);
