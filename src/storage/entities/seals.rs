//! `seals`: the signed QR seal of a document, made once and kept so the printed seal stays the
//! same.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seals")]
pub struct Model {
    /// The seal id (`jti` of the token): how a verifier asks for the current status.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub owner_id: Uuid,
    /// The store's key that signed it.
    pub kid: String,
    /// The compact JWS.
    pub token: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
