//! Moving a municipality between stores (`lagesbild copy`): every table of a tenant, row by
//! row, in the column names and types both backends share (BIGINT, DOUBLE PRECISION, TEXT).
//! Sessions are not moved (users sign in again). No SQL here: each backend reads and writes
//! the tables itself; this module says which, and checks that what arrived is what left.

use crate::audit;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    Bytes,
}

/// A table of tenant data: its name, its columns, the column holding the tenant id, and the
/// order its rows are read in (its primary key).
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub tenant_column: &'static str,
    pub order_by: &'static str,
}

use Kind::{Bytes, Int, Real, Text};

/// In the order they are written (foreign keys point backwards).
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "tenants",
        columns: &[
            ("id", Int),
            ("code", Text),
            ("name", Text),
            ("outline_geojson", Text),
            ("default_visibility", Text),
            ("map_style_url", Text),
            ("retention_action", Text),
            ("reporter_view", Text),
            ("smtp_host", Text),
            ("smtp_port", Int),
            ("smtp_security", Text),
            ("smtp_from", Text),
            ("smtp_user", Text),
        ],
        tenant_column: "id",
        order_by: "id",
    },
    TableSpec {
        name: "organisations",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("name", Text),
            ("kind", Text),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "users",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("org_id", Int),
            ("email", Text),
            ("display_name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("disabled", Int),
            ("totp_secret", Text),
            ("totp_last_step", Int),
            ("recovery_hashes", Text),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "api_tokens",
        columns: &[
            ("token_hash", Text),
            ("tenant_id", Int),
            ("user_id", Int),
            ("label", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "token_hash",
    },
    TableSpec {
        name: "categories",
        columns: &[
            ("tenant_id", Int),
            ("code", Text),
            ("parent_code", Text),
            ("name_sv", Text),
            ("name_en", Text),
            ("color", Text),
            ("sort_order", Int),
            ("retired", Int),
            ("retention_months", Int),
        ],
        tenant_column: "tenant_id",
        // Parents before their children (a parent's code is a prefix), then by code.
        order_by: "code",
    },
    TableSpec {
        name: "places",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("name", Text),
            ("kind", Text),
            ("is_school", Int),
            ("geometry_geojson", Text),
            ("lon", Real),
            ("lat", Real),
            ("is_demo", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "reports",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("user_id", Int),
            ("client_key", Text),
            ("request_digest", Text),
            ("created_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "incidents",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("category_code", Text),
            ("occurred_from", Int),
            ("occurred_to", Int),
            ("lon", Real),
            ("lat", Real),
            ("e", Real),
            ("n", Real),
            ("precision", Text),
            ("place_id", Int),
            ("place_text", Text),
            ("municipality_code", Text),
            ("description", Text),
            ("school_id", Int),
            ("persons_involved", Int),
            ("visibility", Text),
            ("status", Text),
            ("source", Text),
            ("external_id", Text),
            ("external_url", Text),
            ("org_id", Int),
            ("user_id", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("anonymised_at", Int),
            ("wx", Int),
            ("wy", Int),
            ("report_id", Int),
            ("same_as", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "incident_areas",
        columns: &[("tenant_id", Int), ("area_id", Int), ("incident_id", Int)],
        tenant_column: "tenant_id",
        order_by: "area_id, incident_id",
    },
    TableSpec {
        name: "incident_status_log",
        columns: &[
            ("tenant_id", Int),
            ("incident_id", Int),
            ("seq", Int),
            ("at", Int),
            ("user_id", Int),
            ("from_status", Text),
            ("to_status", Text),
            ("comment", Text),
        ],
        tenant_column: "tenant_id",
        order_by: "incident_id, seq",
    },
    TableSpec {
        name: "photos",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("incident_id", Int),
            ("client_key", Text),
            ("content_type", Text),
            ("width", Int),
            ("height", Int),
            ("data", Bytes),
            ("user_id", Int),
            ("created_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "audit_log",
        columns: &[
            ("tenant_id", Int),
            ("seq", Int),
            ("at", Int),
            ("user_id", Int),
            ("action", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("before_json", Text),
            ("after_json", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
        tenant_column: "tenant_id",
        order_by: "seq",
    },
    TableSpec {
        name: "est_records",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("kind", Text),
            ("parent_id", Int),
            ("data", Text),
            ("created_by", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "actions",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("title", Text),
            ("description", Text),
            ("owner_org_id", Int),
            ("owner_user_id", Int),
            ("area_id", Int),
            ("due_on", Text),
            ("status", Text),
            ("closing_note", Text),
            ("created_by", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("closed_at", Int),
            ("buffer_area_id", Int),
            ("control_area_id", Int),
            ("record_id", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "tips",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("receipt_hash", Text),
            ("token", Text),
            ("channel", Text),
            ("category_code", Text),
            ("description", Text),
            ("place_text", Text),
            ("lon", Real),
            ("lat", Real),
            ("occurred_at", Int),
            ("email", Text),
            ("partner_id", Int),
            ("redacted", Int),
            ("status", Text),
            ("incident_id", Int),
            ("public_answer", Text),
            ("internal_note", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("moderated_by", Int),
            ("moderated_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    TableSpec {
        name: "open311_keys",
        columns: &[
            ("tenant_id", Int),
            ("id", Int),
            ("label", Text),
            ("key_hash", Text),
            ("created_by", Int),
            ("created_at", Int),
            ("revoked_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "id",
    },
    // The provider's secret is sealed with the source's deployment key, as the second
    // factor's secrets are: the copy is served with the same key file. Sign-ins under way
    // are not moved, as sessions are not.
    TableSpec {
        name: "sso_providers",
        columns: &[
            ("tenant_id", Int),
            ("issuer", Text),
            ("client_id", Text),
            ("client_secret", Text),
            ("role_claim", Text),
            ("role_map", Text),
            ("org_claim", Text),
            ("org_map", Text),
            ("enabled", Int),
            ("updated_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "tenant_id",
    },
    TableSpec {
        name: "user_identities",
        columns: &[
            ("tenant_id", Int),
            ("issuer", Text),
            ("subject", Text),
            ("user_id", Int),
            ("created_at", Int),
        ],
        tenant_column: "tenant_id",
        order_by: "issuer, subject",
    },
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One table's rows, in `TableSpec::order_by` order, cells in `TableSpec::columns` order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableRows {
    pub table: &'static str,
    pub rows: Vec<Vec<Cell>>,
}

/// A tenant's rows in every table of `TABLES`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantRows {
    pub tables: Vec<TableRows>,
}

impl TenantRows {
    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.table == name)
    }

    /// The largest id per sequence (`organisations`, `users`, `places`, `incidents`,
    /// `actions`, `est_records`, `reports`, `photos`, `tips`, `open311_keys`), so the target's sequences can move
    /// past them.
    pub fn max_ids(&self) -> Vec<(&'static str, i64)> {
        [
            "organisations",
            "users",
            "places",
            "incidents",
            "actions",
            "est_records",
            "reports",
            "photos",
            "tips",
            "open311_keys",
        ]
        .into_iter()
        .map(|t| {
            let max = self
                .table(t)
                .map(|rows| {
                    rows.rows
                        .iter()
                        .filter_map(|r| match r.get(1) {
                            Some(Cell::Int(v)) => Some(*v),
                            _ => None,
                        })
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            (t, max)
        })
        .collect()
    }
}

fn spec(table: &str) -> &'static TableSpec {
    TABLES
        .iter()
        .find(|t| t.name == table)
        .expect("a known table")
}

/// The same rows under another tenant id, the audit chain recomputed for it (the tenant id is
/// part of every row's hash). Call after verifying the source chain.
pub fn retenant(rows: &TenantRows, tenant: i64) -> TenantRows {
    let mut out = rows.clone();
    for t in &mut out.tables {
        let s = spec(t.table);
        let k = s
            .columns
            .iter()
            .position(|(c, _)| *c == s.tenant_column)
            .expect("tenant column");
        for r in &mut t.rows {
            r[k] = Cell::Int(tenant);
        }
        if t.table == "audit_log" {
            let mut prev = audit::GENESIS.to_string();
            for r in &mut t.rows {
                let int = |c: &Cell| match c {
                    Cell::Int(v) => Some(*v),
                    _ => None,
                };
                let text = |c: &Cell| match c {
                    Cell::Text(v) => Some(v.clone()),
                    _ => None,
                };
                let at = jiff::Timestamp::from_second(int(&r[2]).unwrap_or(0)).unwrap_or_default();
                let hash = audit::chain_hash(
                    &prev,
                    tenant,
                    int(&r[1]).unwrap_or(0),
                    at,
                    int(&r[3]),
                    &text(&r[4]).unwrap_or_default(),
                    &text(&r[5]).unwrap_or_default(),
                    &text(&r[6]).unwrap_or_default(),
                    text(&r[7]).as_deref(),
                    text(&r[8]).as_deref(),
                );
                r[9] = Cell::Text(prev.clone());
                r[10] = Cell::Text(hash.clone());
                prev = hash;
            }
        }
    }
    out
}

/// Per table: rows and a SHA-256 of their contents (cells as JSON, in order), to compare the
/// source with the copy.
pub fn checksums(rows: &TenantRows) -> Vec<(&'static str, usize, String)> {
    rows.tables
        .iter()
        .map(|t| {
            let text = serde_json::to_string(&t.rows).expect("cells serialise");
            (t.table, t.rows.len(), audit::sha256_hex(&text))
        })
        .collect()
}
