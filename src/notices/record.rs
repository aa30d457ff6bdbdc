//! Writing a notice inside the transaction of its event.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Kind;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{notices, owner_contacts};

/// Records `kind` about `subject` for `owner` on `conn` — the event's own transaction, so the
/// notice (and its e-mail, if the owner confirmed an address) exists exactly when the event does.
/// `event` makes it unique: the same event recorded twice is told once.
pub async fn record(
    conn: &impl ConnectionTrait,
    owner: OwnerId,
    kind: Kind,
    subject: Option<Uuid>,
    event: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mailed = owner_contacts::Entity::find_by_id(owner.0)
        .filter(owner_contacts::Column::EmailConfirmedAt.is_not_null())
        .one(conn)
        .await?
        .is_some();
    let row = notices::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(owner.0),
        kind: Set(kind.as_str().to_owned()),
        subject: Set(subject),
        dedupe: Set(format!("{}:{event}", kind.as_str())),
        created_at: Set(now),
        read_at: Set(None),
        mail_state: Set(if mailed { "pending" } else { "none" }.to_owned()),
        mail_attempts: Set(0),
        mail_next_at: Set(mailed.then_some(now)),
        mail_lease_until: Set(None),
        mail_sent_at: Set(None),
    };
    notices::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([notices::Column::OwnerId, notices::Column::Dedupe])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
