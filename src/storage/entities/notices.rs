//! `notices`: what an owner is told, in the app and (the `mail_*` columns: the outbox) by e-mail.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub kind: String,
    /// The consent, document or mandate the notice is about.
    pub subject: Option<Uuid>,
    /// Unique per owner: one notice per event.
    pub dedupe: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    /// `none`, `pending`, `sent` or `failed`.
    pub mail_state: String,
    pub mail_attempts: i32,
    pub mail_next_at: Option<DateTimeUtc>,
    pub mail_lease_until: Option<DateTimeUtc>,
    pub mail_sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
