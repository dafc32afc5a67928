-- A tenant's set-up version (issue 15, load): any change to its categories or places counts
-- it up in the same transaction, so a server may keep what it read of them for a version
-- and know when it is stale. Every report reads its tenant; with this it need not read the
-- categories and places again.
ALTER TABLE tenants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER categories_config_insert AFTER INSERT ON categories BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER categories_config_update AFTER UPDATE ON categories BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER categories_config_delete AFTER DELETE ON categories BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = OLD.tenant_id; END;
CREATE TRIGGER places_config_insert AFTER INSERT ON places BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER places_config_update AFTER UPDATE ON places BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER places_config_delete AFTER DELETE ON places BEGIN
    UPDATE tenants SET config_version = config_version + 1 WHERE id = OLD.tenant_id; END;
