//! Notices of what ends soon — an approved consent, a mandate — found by a periodic scan. Safe
//! on several processes at once: a notice is recorded once per consent or mandate.

use chrono::Duration;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::{Kind, Notices, record};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{consents, mandates};

/// How far ahead an ending is told.
pub const SOON: Duration = Duration::days(3);

impl Notices {
    /// Records a notice for every approved consent and every mandate that ends within [`SOON`];
    /// returns how many it looked at.
    pub async fn scan_endings(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let until = now + SOON;
        let ending_consents = consents::Entity::find()
            .filter(consents::Column::Status.eq(crate::consents::Status::Active.as_str()))
            .filter(consents::Column::ExpiresAt.gt(now))
            .filter(consents::Column::ExpiresAt.lte(until))
            .all(&self.db)
            .await?;
        for consent in &ending_consents {
            let owner = OwnerId(consent.owner_id);
            let event = consent.id.to_string();
            record(
                &self.db,
                owner,
                Kind::ConsentEnding,
                Some(consent.id),
                &event,
                now,
            )
            .await?;
        }
        // A guardianship's plain end is only a bound (the start of the year after its end, which
        // is sealed): those within a year of it are opened and looked at closer.
        let sealed_within = Condition::all()
            .add(mandates::Column::ValidUntilSealed.is_not_null())
            .add(mandates::Column::ValidUntil.lte(until + Duration::days(366)));
        let candidates = mandates::Entity::find()
            .filter(mandates::Column::RevokedAt.is_null())
            .filter(mandates::Column::ValidUntil.gt(now))
            .filter(
                Condition::any()
                    .add(mandates::Column::ValidUntil.lte(until))
                    .add(sealed_within),
            )
            .all(&self.db)
            .await?;
        let mut ending_mandates = Vec::new();
        for mandate in candidates {
            let end = crate::mandates::exact_end_of(&self.db, &self.keys, &mandate).await?;
            if end.is_some_and(|end| now < end && end <= until) {
                ending_mandates.push(mandate);
            }
        }
        for mandate in &ending_mandates {
            let owner = OwnerId(mandate.owner_id);
            let event = mandate.id.to_string();
            record(
                &self.db,
                owner,
                Kind::MandateEnding,
                Some(mandate.id),
                &event,
                now,
            )
            .await?;
        }
        Ok(ending_consents.len() + ending_mandates.len())
    }
}
