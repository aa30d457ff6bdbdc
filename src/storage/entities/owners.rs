//! `owners`: one row per store; the identifier only as a blind index and sealed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "owners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub identifier_index: String,
    pub identifier_sealed: Vec<u8>,
    pub created_at: DateTimeUtc,
    /// The owner's name as last learnt (sign-in or an issuer's push), sealed with their key.
    pub name_sealed: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
