//! `grants`: one-time handles redeemed at the token endpoint: authorization codes and CIBA `auth_req_id`s.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub handle_hash: String,
    pub consent_id: Uuid,
    pub client_id: String,
    pub kind: String,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub dpop_jkt: Option<String>,
    pub expires_at: DateTimeUtc,
    pub redeemed_at: Option<DateTimeUtc>,
    pub interval_secs: Option<i32>,
    pub next_poll_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
