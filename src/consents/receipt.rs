//! The consent receipt: a JWS signed by the store's key (published at `jwks_uri`), that the
//! owner can download, print or pass on, and that anyone can check without asking Kho.
//!
//! Header: `alg` ES256, `kid` the signing key, `typ` `kho-consent-receipt+jwt`. Claims: `iss`
//! (Kho's issuer URL), `jti` and `consent_id` (the consent), `iat`, `owner` (Kho's opaque
//! owner id — no personal ID), `client_id`, `agency`, `procedure` with `procedure_name`,
//! `dossier`, `purpose`, `document_types`, `documents` (ids), `access`, `status` (at signing
//! time), `created_at`, `decided_at`, `expires_at`, `withdrawn_at`.

use serde_json::json;
use uuid::Uuid;

use super::Consents;
use super::store::ConsentError;
use crate::ids::{ProcedureCode, procedure};
use crate::owners::OwnerId;

pub const RECEIPT_TYPE: &str = "kho-consent-receipt+jwt";

impl Consents {
    /// The signed receipt of the owner's consent `id`, as it stands now.
    pub async fn receipt(&self, owner: OwnerId, id: Uuid) -> Result<String, ConsentError> {
        let consent = self.get(owner, id).await?;
        let procedure_name = ProcedureCode::parse(&consent.procedure)
            .ok()
            .as_ref()
            .and_then(procedure)
            .map(|p| p.name_vi);
        let claims = json!({
            "iss": self.signer.issuer(),
            "jti": consent.id,
            "consent_id": consent.id,
            "iat": self.clock.now().timestamp(),
            "owner": owner.0,
            "client_id": consent.client_id,
            "agency": consent.agency_code,
            "procedure": consent.procedure,
            "procedure_name": procedure_name,
            "dossier": consent.dossier,
            "purpose": consent.purpose,
            "document_types": consent.document_types,
            "documents": consent.documents,
            "access": consent.access,
            "status": consent.status,
            "created_at": consent.created_at,
            "decided_at": consent.decided_at,
            "expires_at": consent.expires_at,
            "withdrawn_at": consent.withdrawn_at,
        });
        let signer = self
            .signer
            .key()
            .map_err(|e| ConsentError::Store(e.into()))?;
        Ok(signer.sign(RECEIPT_TYPE, &claims)?)
    }
}
