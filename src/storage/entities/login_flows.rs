//! `login_flows`: OpenID Connect logins under way, keyed by the SHA-256 of the browser's cookie.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub browser_hash: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
