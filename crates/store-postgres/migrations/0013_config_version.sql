-- A tenant's set-up version (issue 15, load): any change to its categories or places counts
-- it up in the same transaction, so a server may keep what it read of them for a version
-- and know when it is stale. Every report reads its tenant; with this it need not read the
-- categories and places again.
ALTER TABLE tenants ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET config_version = config_version + 1
        WHERE id IN (SELECT DISTINCT tenant_id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER categories_config_insert AFTER INSERT ON categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER categories_config_update AFTER UPDATE ON categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER categories_config_delete AFTER DELETE ON categories
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER places_config_insert AFTER INSERT ON places
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER places_config_update AFTER UPDATE ON places
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER places_config_delete AFTER DELETE ON places
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
