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
    pub valid_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
