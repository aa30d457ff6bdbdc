//! `consent_documents`: the documents an owner chose for a consent, and when a `once` consent's fetch of each completed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub consent_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: Uuid,
    /// A `once` fetch in progress (a claim older than ten minutes is stale).
    pub claimed_at: Option<DateTimeUtc>,
    /// A `once` fetch that completed.
    pub fetched_at: Option<DateTimeUtc>,
    /// Fetches that did not complete and were tried again: claims given back, or taken over
    /// when stale. At most [`crate::consents::MAX_FETCH_RETRIES`].
    pub retries: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
