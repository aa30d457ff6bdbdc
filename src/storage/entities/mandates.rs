//! `mandates`: who may act for an owner, how far, and until when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mandates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Blind index of the representative's identifier (same index as `owners`).
    pub representative_index: String,
    /// The representative's personal ID, sealed with the owner's key.
    pub representative_sealed: Vec<u8>,
    pub kind: String,
    /// Comma-separated: `read`, `manage`, `consent`.
    pub scopes: String,
    pub basis: String,
    pub valid_from: DateTimeUtc,
    /// When the mandate ends; for a guardianship only a bound no earlier than its end (the
    /// start of the next year), the end itself being sealed below.
    pub valid_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// A guardianship's end — the child's 18th birthday, so their date of birth — sealed with
    /// the owner's key (RFC 3339).
    pub valid_until_sealed: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
