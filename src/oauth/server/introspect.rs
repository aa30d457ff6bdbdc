//! Introspection (RFC 7662) and revocation (RFC 7009): a client learns about, and revokes, its
//! own tokens only. A token is active while its consent is — the same test the resource API
//! applies.

use serde_json::{Value, json};

use super::AuthServer;
use crate::clients::Authenticated;
use crate::consents::{self, ConsentError, Status};
use crate::oauth::OAuthError;
use crate::oauth::handles;

impl AuthServer {
    /// What `client` may learn of its `token`: `None` when it is not active (or not its own).
    pub async fn introspect(
        &self,
        client: &Authenticated,
        token: &str,
    ) -> Result<Option<Value>, OAuthError> {
        let Some(row) = handles::access_token(&self.db, token).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if row.client_id != client.client_id || row.revoked_at.is_some() || row.expires_at <= now {
            return Ok(None);
        }
        let Some(consent) = consents::find(&self.db, row.consent_id).await? else {
            return Ok(None);
        };
        if Status::effective(&consent.status, consent.expires_at, now) != Status::Active {
            return Ok(None);
        }
        let granted = match self.consents.granted(consent.id).await {
            Ok(granted) => granted,
            // The owner was erased meanwhile: nothing is served under the consent.
            Err(ConsentError::NotFound) => return Ok(None),
            Err(e) => return Err(OAuthError::server(e)),
        };
        Ok(Some(json!({
            "active": true,
            "client_id": row.client_id,
            "token_type": "DPoP",
            "iss": self.signer.issuer(),
            "iat": row.created_at.timestamp(),
            "exp": row.expires_at.timestamp(),
            "cnf": { "jkt": row.jkt },
            "authorization_details": [granted],
        })))
    }

    /// Revokes `token` if `client` holds it; anything else is silently ignored (RFC 7009).
    pub async fn revoke(&self, client: &Authenticated, token: &str) -> Result<(), OAuthError> {
        let now = self.clock.now();
        Ok(handles::revoke(&self.db, token, &client.client_id, now).await?)
    }
}
