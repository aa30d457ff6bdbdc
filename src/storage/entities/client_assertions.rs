//! `client_assertions`: the SHA-256 of every `client_id ‖ jti` used, until the assertion expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_assertions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti_hash: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
