//! `consents`: one purpose, one owner, one client; purpose and binding message sealed with the owner's key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub client_id: String,
    pub agency_code: String,
    pub flow: String,
    pub procedure: String,
    pub dossier: Option<String>,
    pub purpose_sealed: Vec<u8>,
    pub binding_message_sealed: Option<Vec<u8>>,
    pub document_types: String,
    pub access: String,
    pub expires_in: i64,
    pub expires_at: DateTimeUtc,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
