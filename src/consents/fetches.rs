//! The fetches of a `once` consent: each chosen document can be fetched completely once. A
//! fetch first claims its document (so two cannot run at once), completes it when the portal
//! has received the last byte, or gives the claim back when the stream stops early or the bytes
//! never arrived. Whether they arrived is the portal's TCP's word, which a portal could bend, so
//! a document is given back at most [`MAX_FETCH_RETRIES`] times: after that, a fetch that does
//! not complete counts as made. Every attempt is in the owner's access log.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::Transition;
use super::store::ConsentError;
use crate::storage::entities::{consent_documents, consents};

/// A claim this old is from a fetch that never finished nor gave its claim back (a process
/// stopped mid-stream): the document can be claimed again. A fetch still streaming renews its
/// claim well before then ([`RENEW_CLAIM_EVERY`]).
const STALE_CLAIM_MINUTES: i64 = 10;
/// How often a fetch still streaming renews its claim.
pub const RENEW_CLAIM_EVERY: Duration = Duration::minutes(2);
/// How many times a document's fetch may be tried again after one that did not complete.
pub const MAX_FETCH_RETRIES: i32 = 3;

/// Claims the one fetch of `document` under a `once` consent; returns the claim (its time,
/// which only this fetch holds), or `None` if the document was fetched or a fetch of it is in
/// progress.
pub async fn try_claim_fetch(
    db: &impl ConnectionTrait,
    consent: Uuid,
    document: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ConsentError> {
    let stale = now - Duration::minutes(STALE_CLAIM_MINUTES);
    // A stale claim is a fetch that never finished: taking it over is a retry.
    let free = sea_orm::Condition::any()
        .add(consent_documents::Column::ClaimedAt.is_null())
        .add(
            sea_orm::Condition::all()
                .add(consent_documents::Column::ClaimedAt.lt(stale))
                .add(consent_documents::Column::Retries.lt(MAX_FETCH_RETRIES)),
        );
    // Counted when it takes a stale claim over.
    let retries = Expr::cust("retries + CASE WHEN claimed_at IS NULL THEN 0 ELSE 1 END");
    set_claim(db, (consent, document), free, retries, now).await
}

/// Renews the claim `claim` of a fetch still streaming: returns the new claim, or `None` if the
/// claim is no longer this fetch's (it went stale and another fetch took it).
pub async fn renew_claim(
    db: &DatabaseConnection,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ConsentError> {
    let ours = sea_orm::Condition::all().add(consent_documents::Column::ClaimedAt.eq(claim));
    let retries = Expr::col(consent_documents::Column::Retries);
    set_claim(db, (consent, document), ours, retries, now).await
}

/// Sets the claim of an unfetched `document` to `now` (and its retries to `retries`) where
/// `only_if` holds; returns the claim, or `None` if nothing matched.
async fn set_claim(
    db: &impl ConnectionTrait,
    (consent, document): (Uuid, Uuid),
    only_if: sea_orm::Condition,
    retries: Expr,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ConsentError> {
    // Microseconds: what every database stores, so the claim compares equal when read back.
    let now = now.trunc_subsecs(6);
    let set = consent_documents::Entity::update_many()
        .col_expr(consent_documents::Column::ClaimedAt, Expr::value(now))
        .col_expr(consent_documents::Column::Retries, retries)
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::DocumentId.eq(document))
        .filter(consent_documents::Column::FetchedAt.is_null())
        .filter(only_if)
        .exec(db)
        .await?;
    Ok((set.rows_affected == 1).then_some(now))
}

/// Gives a claimed fetch back when its download could not even start (Kho's failure, not the
/// portal's: not a retry) — only this fetch's own claim.
pub async fn release_fetch(
    db: &DatabaseConnection,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
) -> Result<(), ConsentError> {
    consent_documents::Entity::update_many()
        .col_expr(
            consent_documents::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::DocumentId.eq(document))
        .filter(consent_documents::Column::FetchedAt.is_null())
        .filter(consent_documents::Column::ClaimedAt.eq(claim))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a claimed fetch back when the content did not reach the portal in full — only this
/// fetch's own claim (a stale one may have been taken over since) — unless the document has
/// been given back [`MAX_FETCH_RETRIES`] times already: then the fetch counts as made.
/// Returns whether it was given back.
pub async fn give_back_fetch(
    db: &DatabaseConnection,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, ConsentError> {
    let released = consent_documents::Entity::update_many()
        .col_expr(
            consent_documents::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            consent_documents::Column::Retries,
            Expr::col(consent_documents::Column::Retries).add(1),
        )
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::DocumentId.eq(document))
        .filter(consent_documents::Column::FetchedAt.is_null())
        .filter(consent_documents::Column::ClaimedAt.eq(claim))
        .filter(consent_documents::Column::Retries.lt(MAX_FETCH_RETRIES))
        .exec(db)
        .await?;
    if released.rows_affected == 1 {
        return Ok(true);
    }
    mark_fetched(db, consent, document, claim, now).await?;
    Ok(false)
}

/// After a complete fetch of `document` under a `once` consent: the document is fetched, and
/// when every chosen document is, the consent is `used`.
pub async fn mark_fetched(
    db: &DatabaseConnection,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ConsentError> {
    consent_documents::Entity::update_many()
        .col_expr(consent_documents::Column::FetchedAt, Expr::value(now))
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::DocumentId.eq(document))
        .filter(consent_documents::Column::ClaimedAt.eq(claim))
        .exec(db)
        .await?;
    let unfetched = consent_documents::Entity::find()
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::FetchedAt.is_null())
        .count(db)
        .await?;
    if unfetched == 0 {
        consents::Entity::update_many()
            .col_expr(
                consents::Column::Status,
                Expr::value(Transition::UseUp.to().as_str()),
            )
            .col_expr(consents::Column::UsedAt, Expr::value(now))
            .filter(consents::Column::Id.eq(consent))
            .filter(consents::Column::Status.is_in(Transition::UseUp.stored_sources()))
            .exec(db)
            .await?;
    }
    Ok(())
}
