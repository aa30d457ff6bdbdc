//! Owner-scoped consent records: create, decide, withdraw, read; and the per-document fetch
//! claims of `once` consents.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::Consents;
use super::view::Consent;
use super::{Status, Transition};
use crate::crypto::{IntegrityError, seal_field};
use crate::documents::DocumentError;
use crate::oauth::details::DocumentAccess;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{consent_documents, consents};

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the consent is {0} and can no longer be {1}")]
    WrongState(&'static str, &'static str),
    /// Reading the owner's documents failed.
    #[error(transparent)]
    Document(DocumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ConsentError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

impl From<IntegrityError> for ConsentError {
    fn from(e: IntegrityError) -> Self {
        Self::Store(e.into())
    }
}

impl From<DocumentError> for ConsentError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::NotFound => Self::NotFound,
            DocumentError::Store(e) => Self::Store(e),
            other => Self::Document(other),
        }
    }
}

/// A consent to create.
pub struct NewConsent<'a> {
    pub owner: OwnerId,
    pub client_id: &'a str,
    pub agency_code: &'a str,
    pub flow: &'static str,
    pub asked: &'a DocumentAccess,
    pub binding_message: Option<&'a str>,
    /// While pending, when the request lapses.
    pub pending_until: DateTime<Utc>,
}

impl Consents {
    /// Records a pending consent request; returns its id.
    pub async fn create(&self, new: NewConsent<'_>) -> Result<Uuid, ConsentError> {
        self.create_in(&self.db, new).await
    }

    /// [`create`] on `conn` (a transaction that does more).
    pub async fn create_in(
        &self,
        conn: &impl ConnectionTrait,
        new: NewConsent<'_>,
    ) -> Result<Uuid, ConsentError> {
        let id = Uuid::now_v7();
        let key = self
            .owners
            .data_key(new.owner)
            .await?
            .ok_or(ConsentError::NotFound)?;
        let owner = new.owner.0;
        let row = consents::ActiveModel {
            id: Set(id),
            owner_id: Set(owner),
            client_id: Set(new.client_id.to_owned()),
            agency_code: Set(new.agency_code.to_owned()),
            flow: Set(new.flow.to_owned()),
            procedure: Set(new.asked.procedure.clone()),
            dossier: Set(new.asked.dossier.clone()),
            purpose_sealed: Set(seal_field(&key, owner, id, "purpose", &new.asked.purpose)?),
            binding_message_sealed: Set(new
                .binding_message
                .map(|m| seal_field(&key, owner, id, "binding_message", m))
                .transpose()?),
            document_types: Set(serde_json::to_string(&new.asked.document_types)
                .map_err(|_| ConsentError::Invalid("document types"))?),
            access: Set(new.asked.access.as_str().to_owned()),
            expires_in: Set(new.asked.expires_in),
            expires_at: Set(new.pending_until),
            status: Set(Status::Pending.as_str().to_owned()),
            created_at: Set(self.clock.now()),
            decided_at: Set(None),
            decided_by: Set(None),
            withdrawn_at: Set(None),
            used_at: Set(None),
        };
        consents::Entity::insert(row)
            .exec_without_returning(conn)
            .await?;
        Ok(id)
    }

    /// Approves a pending consent with the documents the owner picked (at least one, each of a
    /// type that was asked for and valid today). `decided_by` is the person who decided (the owner
    /// or their representative).
    pub async fn approve(
        &self,
        owner: OwnerId,
        id: Uuid,
        picked: &[Uuid],
        decided_by: OwnerId,
    ) -> Result<consents::Model, ConsentError> {
        let txn = self.db.begin().await?;
        // A write first, so that SQLite takes the write lock before the reads below (a read
        // snapshot cannot be upgraded once another connection has written).
        crate::audit::lock_owner(&txn, owner).await?;
        self.approve_in(&txn, owner, id, picked, decided_by).await?;
        txn.commit().await?;
        row(&self.db, owner, id).await
    }

    /// [`approve`] within `txn`.
    pub async fn approve_in(
        &self,
        txn: &DatabaseTransaction,
        owner: OwnerId,
        id: Uuid,
        picked: &[Uuid],
        decided_by: OwnerId,
    ) -> Result<(), ConsentError> {
        let consent = row(txn, owner, id).await?;
        let now = self.clock.now();
        let status = Status::effective(&consent.status, consent.expires_at, now);
        if !status.allows(Transition::Approve) {
            return Err(ConsentError::WrongState(
                status.as_str(),
                Transition::Approve.done(),
            ));
        }
        self.check_picked(txn, owner, &consent, picked).await?;
        let expires_at = now + Duration::seconds(consent.expires_in);
        let decided = consents::Entity::update_many()
            .col_expr(
                consents::Column::Status,
                Expr::value(Transition::Approve.to().as_str()),
            )
            .col_expr(consents::Column::DecidedAt, Expr::value(now))
            .col_expr(consents::Column::DecidedBy, Expr::value(decided_by.0))
            .col_expr(consents::Column::ExpiresAt, Expr::value(expires_at))
            .filter(consents::Column::Id.eq(id))
            .filter(consents::Column::OwnerId.eq(owner.0))
            .filter(consents::Column::Status.is_in(Transition::Approve.stored_sources()))
            .filter(consents::Column::ExpiresAt.gt(now))
            .exec(txn)
            .await?;
        if decided.rows_affected != 1 {
            return Err(ConsentError::WrongState(
                "decided",
                Transition::Approve.done(),
            ));
        }
        let mut unique = picked.to_vec();
        unique.sort_unstable();
        unique.dedup();
        consent_documents::Entity::insert_many(unique.into_iter().map(|document| {
            consent_documents::ActiveModel {
                consent_id: Set(id),
                document_id: Set(document),
                claimed_at: Set(None),
                fetched_at: Set(None),
                retries: Set(0),
            }
        }))
        .exec_without_returning(txn)
        .await?;
        Ok(())
    }

    /// At least one document picked, each the owner's, valid today, and of a type `consent`
    /// asked for.
    async fn check_picked(
        &self,
        txn: &DatabaseTransaction,
        owner: OwnerId,
        consent: &consents::Model,
        picked: &[Uuid],
    ) -> Result<(), ConsentError> {
        if picked.is_empty() {
            return Err(ConsentError::Invalid(
                "choose at least one document, or deny the request",
            ));
        }
        let types: Vec<String> = serde_json::from_str(&consent.document_types).unwrap_or_default();
        let usable = self
            .documents
            .usable_among(txn, owner, &types, picked)
            .await?;
        if !picked.iter().all(|p| usable.contains(p)) {
            return Err(ConsentError::Invalid(
                "every chosen document must be one of yours, valid, and of a type that was asked for",
            ));
        }
        Ok(())
    }

    /// The owner's view of one consent.
    pub async fn get(&self, owner: OwnerId, id: Uuid) -> Result<Consent, ConsentError> {
        let consent = row(&self.db, owner, id).await?;
        self.view(consent).await
    }

    /// The owner's consents, newest first, optionally only those with `status`.
    pub async fn list(
        &self,
        owner: OwnerId,
        status: Option<Status>,
        limit: u64,
    ) -> Result<Vec<Consent>, ConsentError> {
        let rows = consents::Entity::find()
            .filter(consents::Column::OwnerId.eq(owner.0))
            .order_by_desc(consents::Column::CreatedAt)
            .limit(if status.is_some() { 1000 } else { limit })
            .all(&self.db)
            .await?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for consent in rows {
            if status
                .is_some_and(|s| Status::effective(&consent.status, consent.expires_at, now) != s)
            {
                continue;
            }
            out.push(self.view(consent).await?);
            if out.len() as u64 >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Denies a pending consent.
    pub async fn deny(
        &self,
        db: &impl ConnectionTrait,
        owner: OwnerId,
        id: Uuid,
        decided_by: OwnerId,
    ) -> Result<(), ConsentError> {
        let now = self.clock.now();
        let denied = consents::Entity::update_many()
            .col_expr(
                consents::Column::Status,
                Expr::value(Transition::Deny.to().as_str()),
            )
            .col_expr(consents::Column::DecidedAt, Expr::value(now))
            .col_expr(consents::Column::DecidedBy, Expr::value(decided_by.0))
            .filter(consents::Column::Id.eq(id))
            .filter(consents::Column::OwnerId.eq(owner.0))
            .filter(consents::Column::Status.is_in(Transition::Deny.stored_sources()))
            .filter(consents::Column::ExpiresAt.gt(now))
            .exec(db)
            .await?;
        if denied.rows_affected == 1 {
            return Ok(());
        }
        let consent = row(db, owner, id).await?;
        let status = Status::effective(&consent.status, consent.expires_at, now);
        Err(ConsentError::WrongState(
            status.as_str(),
            Transition::Deny.done(),
        ))
    }

    /// Withdraws an active consent: from now on nothing is served under it, and its tokens are
    /// revoked as well.
    pub async fn withdraw(&self, owner: OwnerId, id: Uuid) -> Result<(), ConsentError> {
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let withdrawn = consents::Entity::update_many()
            .col_expr(
                consents::Column::Status,
                Expr::value(Transition::Withdraw.to().as_str()),
            )
            .col_expr(consents::Column::WithdrawnAt, Expr::value(now))
            .filter(consents::Column::Id.eq(id))
            .filter(consents::Column::OwnerId.eq(owner.0))
            .filter(consents::Column::Status.is_in(Transition::Withdraw.stored_sources()))
            .filter(consents::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        if withdrawn.rows_affected != 1 {
            let consent = row(&txn, owner, id).await?;
            let status = Status::effective(&consent.status, consent.expires_at, now);
            return Err(ConsentError::WrongState(
                status.as_str(),
                Transition::Withdraw.done(),
            ));
        }
        crate::oauth::handles::revoke_consent_tokens(&txn, id, now).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn row(
    db: &impl ConnectionTrait,
    owner: OwnerId,
    id: Uuid,
) -> Result<consents::Model, ConsentError> {
    consents::Entity::find_by_id(id)
        .filter(consents::Column::OwnerId.eq(owner.0))
        .one(db)
        .await?
        .ok_or(ConsentError::NotFound)
}

/// The raw row of consent `id`, whoever owns it (for the token endpoint and the resource API,
/// which reach a consent through a grant or a token).
pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<consents::Model>, ConsentError> {
    Ok(consents::Entity::find_by_id(id).one(db).await?)
}

/// How many requests from portal `client` wait in `owner`'s inbox now (the CIBA limit).
pub async fn pending_from(
    db: &impl ConnectionTrait,
    owner: OwnerId,
    client: &str,
    now: DateTime<Utc>,
) -> Result<u64, ConsentError> {
    use sea_orm::PaginatorTrait;
    Ok(consents::Entity::find()
        .filter(consents::Column::OwnerId.eq(owner.0))
        .filter(consents::Column::ClientId.eq(client))
        .filter(consents::Column::Status.eq(Status::Pending.as_str()))
        .filter(consents::Column::ExpiresAt.gt(now))
        .count(db)
        .await?)
}

/// Deletes `owner`'s consents, what was chosen under them, and the grants and tokens issued
/// under them (the owner's store is being erased): nothing is served any more.
pub async fn forget(db: &impl ConnectionTrait, owner: OwnerId) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = consents::Entity::find()
        .filter(consents::Column::OwnerId.eq(owner.0))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    crate::oauth::handles::forget_consents(db, &ids).await?;
    consent_documents::Entity::delete_many()
        .filter(consent_documents::Column::ConsentId.is_in(ids))
        .exec(db)
        .await?;
    consents::Entity::delete_many()
        .filter(consents::Column::OwnerId.eq(owner.0))
        .exec(db)
        .await?;
    Ok(())
}
