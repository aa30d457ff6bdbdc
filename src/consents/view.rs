//! A consent as its owner sees it (sealed fields opened, status computed), and as the granted
//! `authorization_details` a portal gets.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::Consents;
use super::Status;
use super::store::{ConsentError, find};
use crate::crypto::open_field;
use crate::documents;
use crate::oauth::details::{Access, DOCUMENT_ACCESS, Granted};
use crate::owners::OwnerId;
use crate::storage::entities::{consent_documents, consents};

/// A consent as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Consent {
    pub id: Uuid,
    pub status: Status,
    /// The portal that asked (OAuth client id) and its agency (QCVN 102).
    pub client_id: String,
    pub agency_code: String,
    /// `redirect` (the owner was at the portal) or `ciba` (asked from the portal's side).
    pub flow: String,
    pub procedure: String,
    pub dossier: Option<String>,
    pub purpose: String,
    /// What the portal said to show the owner, so they know the request is theirs (CIBA).
    pub binding_message: Option<String>,
    pub document_types: Vec<String>,
    pub access: Access,
    /// Seconds the consent lasts once approved.
    pub expires_in: i64,
    /// When the consent ends (while pending: when the request lapses).
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
    /// The documents the owner chose.
    pub documents: Vec<Uuid>,
}

/// The documents chosen for consent `id`, read on `db` (the portal API reads them in the
/// transaction that logs the access).
pub async fn chosen(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, ConsentError> {
    Ok(consent_documents::Entity::find()
        .filter(consent_documents::Column::ConsentId.eq(id))
        .order_by_asc(consent_documents::Column::DocumentId)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.document_id)
        .collect())
}

impl Consents {
    pub(super) async fn view(&self, consent: consents::Model) -> Result<Consent, ConsentError> {
        let owner = OwnerId(consent.owner_id);
        let key = self
            .owners
            .data_key(owner)
            .await?
            .ok_or(ConsentError::NotFound)?;
        let open = |field: &str, sealed: &[u8]| {
            open_field(&key, consent.owner_id, consent.id, field, sealed)
        };
        let documents = chosen(&self.db, consent.id).await?;
        Ok(Consent {
            id: consent.id,
            status: Status::effective(&consent.status, consent.expires_at, self.clock.now()),
            purpose: open("purpose", &consent.purpose_sealed)?,
            binding_message: consent
                .binding_message_sealed
                .as_deref()
                .map(|m| open("binding_message", m))
                .transpose()?,
            document_types: serde_json::from_str(&consent.document_types).unwrap_or_default(),
            access: Access::from_stored(&consent.access),
            client_id: consent.client_id,
            agency_code: consent.agency_code,
            flow: consent.flow,
            procedure: consent.procedure,
            dossier: consent.dossier,
            expires_in: consent.expires_in,
            expires_at: consent.expires_at,
            created_at: consent.created_at,
            decided_at: consent.decided_at,
            withdrawn_at: consent.withdrawn_at,
            used_at: consent.used_at,
            documents,
        })
    }

    /// The granted `authorization_details` of an approved consent.
    pub async fn granted(&self, consent_id: Uuid) -> Result<Granted, ConsentError> {
        let consent = find(&self.db, consent_id)
            .await?
            .ok_or(ConsentError::NotFound)?;
        let owner = OwnerId(consent.owner_id);
        let view = self.view(consent).await?;
        let chosen_rows = documents::rows_by_ids(&self.db, owner, &view.documents).await?;
        let not_provided = view
            .document_types
            .iter()
            .filter(|t| !chosen_rows.iter().any(|d| &d.type_code == *t))
            .cloned()
            .collect();
        Ok(Granted {
            kind: DOCUMENT_ACCESS,
            procedure: view.procedure,
            dossier: view.dossier,
            purpose: view.purpose,
            document_types: view.document_types,
            access: view.access,
            expires_at: view.expires_at,
            consent_id,
            documents: view.documents,
            not_provided,
        })
    }
}
