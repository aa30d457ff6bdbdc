//! The notices service: an owner's list, its unread count, and marking them read.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::Kind;
use super::mail::Mailer;
use crate::clock::Clock;
use crate::crypto::KeyRing;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::notices;

/// How many notices the list shows (the newest).
const SHOWN: u64 = 50;

/// One notice, as its owner sees it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: Uuid,
    pub kind: Kind,
    /// The consent, document or mandate it is about.
    pub subject: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub unread: bool,
}

/// Owners' notices and contact settings, and the mailer when e-mail is configured.
#[derive(Clone)]
pub struct Notices {
    pub(super) db: DatabaseConnection,
    pub(super) keys: Arc<KeyRing>,
    pub(super) clock: Clock,
    pub(super) mailer: Option<Arc<Mailer>>,
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notices")
            .field("mail", &self.mailer.is_some())
            .finish_non_exhaustive()
    }
}

impl Notices {
    pub fn new(
        db: DatabaseConnection,
        keys: Arc<KeyRing>,
        clock: Clock,
        mailer: Option<Mailer>,
    ) -> Self {
        Self {
            db,
            keys,
            clock,
            mailer: mailer.map(Arc::new),
        }
    }

    /// Whether notices can be mailed (an SMTP server is configured).
    pub fn mail_enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// The owner's newest notices, newest first.
    pub async fn list(&self, owner: OwnerId) -> Result<Vec<Notice>, StoreError> {
        let rows = notices::Entity::find()
            .filter(notices::Column::OwnerId.eq(owner.0))
            .order_by_desc(notices::Column::CreatedAt)
            .order_by_desc(notices::Column::Id)
            .limit(SHOWN)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(Notice {
                    id: row.id,
                    kind: Kind::parse(&row.kind)?,
                    subject: row.subject,
                    at: row.created_at,
                    unread: row.read_at.is_none(),
                })
            })
            .collect())
    }

    /// How many of the owner's notices are unread.
    pub async fn unread(&self, owner: OwnerId) -> Result<u64, StoreError> {
        Ok(notices::Entity::find()
            .filter(notices::Column::OwnerId.eq(owner.0))
            .filter(notices::Column::ReadAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// Marks every notice of the owner read; returns how many were unread.
    pub async fn mark_read(&self, owner: OwnerId) -> Result<u64, StoreError> {
        let done = notices::Entity::update_many()
            .set(notices::ActiveModel {
                read_at: Set(Some(self.clock.now())),
                ..Default::default()
            })
            .filter(notices::Column::OwnerId.eq(owner.0))
            .filter(notices::Column::ReadAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
}
