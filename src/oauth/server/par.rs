//! Pushed authorization requests (RFC 9126): the only way to start the redirect flow. The
//! `request_uri` lives five minutes and is used once.

use chrono::Duration;

use super::AuthServer;
use crate::clients::{self, Authenticated};
use crate::oauth::OAuthError;
use crate::oauth::handles::{self, NewPushed};
use crate::oauth::requests::PushedRequest;

pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const LIFETIME_SECS: i64 = 300;

/// The `request_uri` to send the owner's browser to `/authorize` with.
#[derive(Debug)]
pub struct PushedUri {
    pub request_uri: String,
    pub expires_in: i64,
}

impl AuthServer {
    /// Stores `request` from `client`, bound to the key of its DPoP proof (`proofs`, the
    /// request's `DPoP` headers) or of its `dpop_jkt`.
    pub async fn push(
        &self,
        client: &Authenticated,
        request: PushedRequest,
        proofs: &[&[u8]],
    ) -> Result<PushedUri, OAuthError> {
        let registered = clients::find_enabled(&self.db, &client.client_id)
            .await?
            .map(|c| serde_json::from_str::<Vec<String>>(&c.redirect_uris).unwrap_or_default())
            .unwrap_or_default();
        if !registered.contains(&request.redirect_uri) {
            return Err(OAuthError::InvalidRequest(
                "redirect_uri is not one of the client's registered redirect URIs".into(),
            ));
        }
        let proven = if proofs.is_empty() {
            None
        } else {
            let url = self.signer.endpoint("/oauth/par");
            Some(self.dpop.verify(proofs, "POST", &url, None).await?.jkt)
        };
        let dpop_jkt = request.bound_key(proven)?;
        let handle = handles::push_request(
            &self.db,
            NewPushed {
                client_id: &client.client_id,
                redirect_uri: &request.redirect_uri,
                state: request.state.as_deref(),
                code_challenge: &request.code_challenge,
                dpop_jkt: dpop_jkt.as_deref(),
                details: serde_json::to_string(&request.asked).map_err(OAuthError::server)?,
                expires_at: self.clock.now() + Duration::seconds(LIFETIME_SECS),
            },
        )
        .await?;
        Ok(PushedUri {
            request_uri: format!("{REQUEST_URI_PREFIX}{handle}"),
            expires_in: LIFETIME_SECS,
        })
    }
}
