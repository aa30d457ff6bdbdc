//! Stores nobody uses. A portal's request (CIBA) naming an identifier Kho has never seen makes a
//! store for it, so that the answer never tells the portal whether someone uses Kho. A store
//! that, a day later, still holds nothing of anyone's — no document, no request waiting or
//! answered, no mandate either way, no access-log entry (of its own, or naming its person), no
//! e-mail address, no session — is
//! forgotten, so that requests naming made-up identifiers cannot fill the database.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{
    access_log, consents, documents, mandates, owner_contacts, owners, sessions,
};

/// How long an untouched store is kept: longer than any request it was made for can wait.
pub const UNUSED_GRACE: Duration = Duration::days(1);
/// Stores looked at in one pass.
const BATCH: u64 = 500;

/// Forgets the stores made more than [`UNUSED_GRACE`] ago that hold nothing; returns how many.
/// Each is checked again under its owner's lock, so a push or a request arriving meanwhile
/// keeps it.
pub async fn forget_unused(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let candidates: Vec<Uuid> = owners::Entity::find()
        .select_only()
        .column(owners::Column::Id)
        .filter(owners::Column::CreatedAt.lt(now - UNUSED_GRACE))
        .filter(holds_nothing(now))
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut forgotten = 0;
    for id in candidates {
        let txn = db.begin().await?;
        if !crate::audit::lock_owner(&txn, OwnerId(id)).await? {
            continue;
        }
        let still_empty = owners::Entity::find_by_id(id)
            .filter(holds_nothing(now))
            .count(&txn)
            .await?
            == 1;
        if still_empty {
            // Lapsed requests, with their grants; the key, notices and the rest cascade.
            crate::consents::forget(&txn, OwnerId(id)).await?;
            owners::Entity::delete_by_id(id).exec(&txn).await?;
            forgotten += 1;
        }
        txn.commit().await?;
    }
    Ok(forgotten)
}

/// The owner row's condition: nothing in the store but requests that lapsed unanswered.
fn holds_nothing(now: DateTime<Utc>) -> Condition {
    let owner = || Expr::col((owners::Entity, owners::Column::Id));
    let none_in = |table: sea_orm::sea_query::SelectStatement| Expr::exists(table).not();
    let documents = Query::select()
        .expr(Expr::val(1))
        .from(documents::Entity)
        .and_where(Expr::col((documents::Entity, documents::Column::OwnerId)).eq(owner()))
        .to_owned();
    let answered_or_waiting = Query::select()
        .expr(Expr::val(1))
        .from(consents::Entity)
        .and_where(Expr::col((consents::Entity, consents::Column::OwnerId)).eq(owner()))
        .cond_where(
            Condition::any()
                .add(Expr::col((consents::Entity, consents::Column::Status)).ne("pending"))
                .add(Expr::col((consents::Entity, consents::Column::ExpiresAt)).gt(now)),
        )
        .to_owned();
    let mandates_given = Query::select()
        .expr(Expr::val(1))
        .from(mandates::Entity)
        .and_where(Expr::col((mandates::Entity, mandates::Column::OwnerId)).eq(owner()))
        .to_owned();
    let mandates_held = Query::select()
        .expr(Expr::val(1))
        .from(mandates::Entity)
        .and_where(
            Expr::col((mandates::Entity, mandates::Column::RepresentativeIndex))
                .eq(Expr::col((owners::Entity, owners::Column::IdentifierIndex))),
        )
        .to_owned();
    let logged = Query::select()
        .expr(Expr::val(1))
        .from(access_log::Entity)
        .and_where(Expr::col((access_log::Entity, access_log::Column::OwnerId)).eq(owner()))
        .to_owned();
    // An official's store names them in the logs of the citizens whose documents they checked.
    let named_in_a_log = Query::select()
        .expr(Expr::val(1))
        .from(access_log::Entity)
        .and_where(Expr::col((access_log::Entity, access_log::Column::ActorPerson)).eq(owner()))
        .to_owned();
    let contact = Query::select()
        .expr(Expr::val(1))
        .from(owner_contacts::Entity)
        .and_where(Expr::col((owner_contacts::Entity, owner_contacts::Column::OwnerId)).eq(owner()))
        .to_owned();
    let session = Query::select()
        .expr(Expr::val(1))
        .from(sessions::Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col((sessions::Entity, sessions::Column::OwnerId)).eq(owner()))
                .add(Expr::col((sessions::Entity, sessions::Column::PersonId)).eq(owner())),
        )
        .to_owned();
    Condition::all()
        .add(none_in(documents))
        .add(none_in(answered_or_waiting))
        .add(none_in(mandates_given))
        .add(none_in(mandates_held))
        .add(none_in(logged))
        .add(none_in(named_in_a_log))
        .add(none_in(contact))
        .add(none_in(session))
}
