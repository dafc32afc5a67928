-- Map tiles by integer arithmetic: every incident keeps its Web Mercator world position
-- (geo::tile::world, 2^32 units across the world), computed by the store when it writes the
-- point. Rows from before this migration get theirs when the store opens the database.
ALTER TABLE incidents ADD COLUMN wx INTEGER;
ALTER TABLE incidents ADD COLUMN wy INTEGER;
-- A tile is a range of wx (and wy) in one tenant; the columns a tile shows and its scope
-- needs ride along, so a tile is read from the index alone.
CREATE INDEX incidents_world ON incidents
    (tenant_id, wx, wy, occurred_from, id, category_code, status, visibility, org_id, user_id)
    WHERE precision <> 'municipality';
