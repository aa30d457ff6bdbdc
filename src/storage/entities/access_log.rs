//! `access_log`: append-only, hash-chained per owner. `at` is kept as the exact RFC 3339 text
//! that was hashed, so verification never depends on a database's timestamp rounding.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "access_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: String,
    pub actor_kind: String,
    pub actor_person: Option<Uuid>,
    pub actor_mandate: Option<Uuid>,
    pub actor_client: Option<String>,
    pub action: String,
    pub document_id: Option<Uuid>,
    pub outcome: String,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// 1 for entries written before consents existed; 2 adds agency, consent, procedure, dossier
    /// and case to the hashed encoding.
    pub version: i16,
    pub actor_agency: Option<String>,
    pub consent_id: Option<Uuid>,
    pub procedure: Option<String>,
    pub dossier: Option<String>,
    pub case_ref: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
