//! The e-mail outbox: notices written with `mail_state = pending` in their event's transaction
//! are sent by [`Outbox::run`], on any number of processes. A row is claimed with a lease before
//! it is sent, so two processes never send it at once, and a sender killed mid-way leaves it to
//! be picked up when the lease lapses; it is marked sent once the SMTP server took it. A failure
//! is retried with doubling waits, then given up (`failed`) and logged. A crash in the instant
//! between the server's answer and that mark sends the notice again, with the same Message-ID.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::mail::Letter;
use super::{Kind, Notices};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::notices;

/// Writes a notice's e-mail in a language (`vi` or `en`): given by the pages, which hold the words.
pub type Compose = Arc<dyn Fn(&str, Kind) -> Letter + Send + Sync>;

/// How long a claimed row is left to its sender before another may take it.
const LEASE: Duration = Duration::minutes(2);
/// How often an idle sender looks for work.
const POLL: StdDuration = StdDuration::from_secs(1);
/// Rows claimed at a time.
const BATCH: u64 = 16;
/// After this many failed attempts a notice is not mailed (it stays in the app).
const MAX_ATTEMPTS: i32 = 10;

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
fn backoff(attempts: i32) -> Duration {
    let doublings = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 7);
    Ord::min(
        Duration::seconds(30 * 2_i64.pow(doublings)),
        Duration::hours(1),
    )
}

/// The sender of notices' e-mail.
pub struct Outbox {
    notices: Notices,
    compose: Compose,
}

impl Outbox {
    /// The sender, when mail is configured.
    pub fn new(notices: Notices, compose: Compose) -> Option<Self> {
        notices.mail_enabled().then_some(Self { notices, compose })
    }

    /// Sends what is due, for ever.
    pub async fn run(self) {
        loop {
            match self.send_due().await {
                Ok(0) => tokio::time::sleep(POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the outbox could not be read");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }

    /// Claims and sends the notices due now; returns how many it claimed.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let now = self.notices.clock.now();
        let due = notices::Entity::find()
            .filter(notices::Column::MailState.eq("pending"))
            .filter(notices::Column::MailNextAt.lte(now))
            .filter(free_at(now))
            .order_by_asc(notices::Column::MailNextAt)
            .limit(BATCH)
            .all(&self.notices.db)
            .await?;
        let mut claimed = 0;
        for row in due {
            if self.claim(&row, now).await? {
                claimed += 1;
                self.deliver(row, now).await?;
            }
        }
        Ok(claimed)
    }

    /// Takes `row` for this sender, unless another took it first.
    async fn claim(&self, row: &notices::Model, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = notices::Entity::update_many()
            .col_expr(notices::Column::MailLeaseUntil, Expr::value(now + LEASE))
            .col_expr(
                notices::Column::MailAttempts,
                Expr::col(notices::Column::MailAttempts).add(1),
            )
            .filter(notices::Column::Id.eq(row.id))
            .filter(notices::Column::MailState.eq("pending"))
            .filter(free_at(now))
            .exec(&self.notices.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    async fn deliver(&self, row: notices::Model, now: DateTime<Utc>) -> Result<(), StoreError> {
        let attempts = row.mail_attempts + 1;
        let (Some(kind), Some(mailer)) = (Kind::parse(&row.kind), self.notices.mailer.clone())
        else {
            return self.finish(&row, "none", now).await;
        };
        let Some((to, language)) = self
            .notices
            .confirmed_address(OwnerId(row.owner_id))
            .await?
        else {
            // The address was removed since the notice was written.
            return self.finish(&row, "none", now).await;
        };
        let letter = (self.compose)(&language, kind);
        match mailer.send(to, letter, &row.id.to_string()).await {
            Ok(()) => {
                tracing::info!(notice = %row.id, kind = %row.kind, "notice mailed");
                self.finish(&row, "sent", now).await
            }
            Err(e) if attempts >= MAX_ATTEMPTS => {
                tracing::error!(notice = %row.id, attempts, error = %e, "notice not mailed: giving up");
                self.finish(&row, "failed", now).await
            }
            Err(e) => {
                let next = self.notices.clock.now() + backoff(attempts);
                tracing::warn!(notice = %row.id, attempts, error = %e, retry_at = %next, "notice not mailed yet");
                let retry = notices::ActiveModel {
                    mail_next_at: Set(Some(next)),
                    ..Default::default()
                };
                self.release(&row, retry).await
            }
        }
    }

    /// Ends `row`'s mailing in `state` (`sent`, `none` or `failed`).
    async fn finish(
        &self,
        row: &notices::Model,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = notices::ActiveModel {
            mail_state: Set(state.to_owned()),
            mail_sent_at: Set((state == "sent").then_some(now)),
            ..Default::default()
        };
        self.release(row, done).await
    }

    /// Writes `change` to `row` and gives up its lease.
    async fn release(
        &self,
        row: &notices::Model,
        change: notices::ActiveModel,
    ) -> Result<(), StoreError> {
        notices::Entity::update_many()
            .set(notices::ActiveModel {
                mail_lease_until: Set(None),
                ..change
            })
            .filter(notices::Column::Id.eq(row.id))
            .exec(&self.notices.db)
            .await?;
        Ok(())
    }
}

/// Rows no sender holds at `now`.
fn free_at(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(notices::Column::MailLeaseUntil.is_null())
        .add(notices::Column::MailLeaseUntil.lt(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(9), Duration::hours(1));
        assert_eq!(backoff(0), Duration::seconds(30));
    }
}
