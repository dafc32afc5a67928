-- Secrets every server on this store shares (issue 15): the key that signs the tip page's
-- form tokens, so a form shown by one server is taken by another. Made once, never copied.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
