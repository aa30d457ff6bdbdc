//! `clients`: registered portals and issuers. Secrets only as Argon2id hashes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    pub agency_code: String,
    pub role: String,
    /// JSON array of strings.
    pub redirect_uris: String,
    /// A JSON Web Key Set, for `private_key_jwt`.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// PHC string of an Argon2id hash.
    pub secret_hash: Option<String>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
