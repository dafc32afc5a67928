-- Retention (gallring): per category, how many months incidents are kept in full; after that
-- they are anonymised (category kept, time rounded to the month, place to a 500 m cell) or
-- deleted, as the tenant chooses.
ALTER TABLE categories ADD COLUMN retention_months INTEGER;
ALTER TABLE tenants ADD COLUMN retention_action TEXT NOT NULL DEFAULT 'anonymise'
    CHECK (retention_action IN ('anonymise', 'delete'));
ALTER TABLE incidents ADD COLUMN anonymised_at INTEGER;
