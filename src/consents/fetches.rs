//! The fetches of a `once` consent: each chosen document can be fetched completely once. A
//! fetch first claims its document (so two cannot run at once), completes it when the last
//! byte is out, or gives the claim back when the stream stops early.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
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
    let free = sea_orm::Condition::any()
        .add(consent_documents::Column::ClaimedAt.is_null())
        .add(consent_documents::Column::ClaimedAt.lt(stale));
    set_claim(db, consent, document, free, now).await
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
    set_claim(db, consent, document, ours, now).await
}

/// Sets the claim of an unfetched `document` to `now` where `only_if` holds; returns the claim,
/// or `None` if nothing matched.
async fn set_claim(
    db: &impl ConnectionTrait,
    consent: Uuid,
    document: Uuid,
    only_if: sea_orm::Condition,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ConsentError> {
    // Microseconds: what every database stores, so the claim compares equal when read back.
    let now = now.trunc_subsecs(6);
    let set = consent_documents::Entity::update_many()
        .col_expr(consent_documents::Column::ClaimedAt, Expr::value(now))
        .filter(consent_documents::Column::ConsentId.eq(consent))
        .filter(consent_documents::Column::DocumentId.eq(document))
        .filter(consent_documents::Column::FetchedAt.is_null())
        .filter(only_if)
        .exec(db)
        .await?;
    Ok((set.rows_affected == 1).then_some(now))
}

/// Gives a claimed fetch back when the content did not reach the portal in full — only this
/// fetch's own claim (a stale one may have been taken over since).
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
