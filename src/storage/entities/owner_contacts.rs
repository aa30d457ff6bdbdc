//! `owner_contacts`: an owner's e-mail address (sealed with the owner's key), whether they
//! confirmed it, and the language notices are written in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "owner_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner_id: Uuid,
    pub email_sealed: Option<Vec<u8>>,
    pub email_confirmed_at: Option<DateTimeUtc>,
    /// SHA-256 of the confirmation link's token; the token itself is only in the e-mail.
    pub confirm_token_hash: Option<String>,
    pub confirm_expires_at: Option<DateTimeUtc>,
    /// `vi` or `en`.
    pub language: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
