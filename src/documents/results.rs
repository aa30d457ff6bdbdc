//! Issued results by their result code: what issuers, verification and status statements read
//! and change in the `documents` table, kept here so that the table has one owner.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

use super::{Documents, Status};
use crate::ids::ResultCode;
use crate::notices::{self, Kind};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::documents;

impl Documents {
    /// The row stored under `code`, whoever's and whatever its source (result codes are unique
    /// store-wide).
    pub async fn by_result_code(
        &self,
        code: &ResultCode,
    ) -> Result<Option<documents::Model>, StoreError> {
        Ok(documents::Entity::find()
            .filter(documents::Column::ResultCode.eq(code.to_string()))
            .one(&self.db)
            .await?)
    }

    /// The issued result stored under `code`: what verification checks against.
    pub async fn issued_by_result_code(
        &self,
        code: &ResultCode,
    ) -> Result<Option<documents::Model>, StoreError> {
        Ok(self
            .by_result_code(code)
            .await?
            .filter(|row| row.source == super::Source::Issued.as_str()))
    }

    /// Applies an issuer's status statement signed at `signed_at` to `row`: compare-and-set on
    /// the last statement's time and on the status it was decided on, so that of two statements
    /// racing (or a supersede coming in between) one applies. Returns the row as changed, or
    /// `None` when another change won.
    pub async fn apply_status_statement(
        &self,
        row: &documents::Model,
        change: documents::ActiveModel,
        signed_at: DateTime<Utc>,
    ) -> Result<Option<documents::Model>, StoreError> {
        let last = match row.status_signed_at {
            Some(last) => documents::Column::StatusSignedAt.eq(last),
            None => documents::Column::StatusSignedAt.is_null(),
        };
        let revokes = matches!(&change.status, Set(s) if s == Status::Revoked.as_str());
        let txn = self.db.begin().await?;
        let applied = documents::Entity::update_many()
            .set(documents::ActiveModel {
                status_signed_at: Set(Some(signed_at)),
                ..change
            })
            .filter(documents::Column::Id.eq(row.id))
            .filter(last)
            .filter(documents::Column::Status.eq(row.status.as_str()))
            .exec(&txn)
            .await?;
        if applied.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        if revokes {
            // Told once per statement: a revocation brought forward is told again.
            let event = format!("{}:{}", row.id, signed_at.timestamp_micros());
            let (owner, now) = (OwnerId(row.owner_id), self.clock.now());
            notices::record(&txn, owner, Kind::ResultRevoked, Some(row.id), &event, now).await?;
        }
        txn.commit().await?;
        Ok(documents::Entity::find_by_id(row.id).one(&self.db).await?)
    }

    /// Up to `limit` rows whose issuer statement may still be stored in plain (a compact JWS
    /// has dots; a sealed one does not).
    pub async fn maybe_plain_statements(
        &self,
        limit: u64,
    ) -> Result<Vec<documents::Model>, StoreError> {
        Ok(documents::Entity::find()
            .filter(documents::Column::IssuerSignature.like("%.%"))
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Replaces `row`'s plain statement `plain` with `sealed`, and sets the time of its last
    /// status statement (`now` if none) so that nothing signed earlier can be replayed over it.
    /// Returns whether this call changed it (another process may have).
    pub async fn replace_plain_statement(
        &self,
        row: &documents::Model,
        plain: &str,
        sealed: String,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = documents::Entity::update_many()
            .col_expr(documents::Column::IssuerSignature, Expr::value(sealed))
            .col_expr(
                documents::Column::StatusSignedAt,
                Expr::value(row.status_signed_at.unwrap_or(now)),
            )
            .filter(documents::Column::Id.eq(row.id))
            .filter(documents::Column::IssuerSignature.eq(plain))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }
}
