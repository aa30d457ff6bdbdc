//! The token exchange: an authorization code (with PKCE) or a CIBA request, for a DPoP-bound
//! access token to the consented documents. The grant is redeemed and the token issued in one
//! transaction, so a second redemption waits for the first, then revokes what it gave.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AuthServer;
use crate::clients::Authenticated;
use crate::consents::{self, Status};
use crate::oauth::OAuthError;
use crate::oauth::details::Granted;
use crate::oauth::handles;
use crate::oauth::requests::TokenRequest;
use crate::storage::entities::grants;

/// An access token, bound to the proof's key, and what it grants.
#[derive(Debug)]
pub struct TokenIssued {
    pub access_token: String,
    pub expires_in: i64,
    pub granted: Granted,
}

impl AuthServer {
    /// Exchanges `request` from `client`, whose DPoP proof is `proofs` (the `DPoP` headers).
    pub async fn exchange(
        &self,
        client: &Authenticated,
        request: TokenRequest,
        proofs: &[&[u8]],
    ) -> Result<TokenIssued, OAuthError> {
        let url = self.signer.endpoint("/oauth/token");
        let proof = self.dpop.verify(proofs, "POST", &url, None).await?;
        let grant = match request {
            TokenRequest::Code {
                code,
                code_verifier,
                redirect_uri,
            } => {
                self.code_grant(client, &code, &code_verifier, redirect_uri.as_deref())
                    .await?
            }
            TokenRequest::Ciba { auth_req_id } => self.ciba_grant(client, &auth_req_id).await?,
        };
        if grant
            .dpop_jkt
            .as_deref()
            .is_some_and(|jkt| jkt != proof.jkt)
        {
            return Err(OAuthError::InvalidDpopProof(
                "the DPoP key differs from the one the request was pushed with".into(),
            ));
        }
        self.issue(client, &grant, &proof.jkt).await
    }

    /// Redeems `grant` and issues its token, in one transaction.
    async fn issue(
        &self,
        client: &Authenticated,
        grant: &grants::Model,
        jkt: &str,
    ) -> Result<TokenIssued, OAuthError> {
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        if !handles::redeem(&txn, &grant.handle_hash, now).await? {
            drop(txn);
            // A second redemption: the code may have been stolen, so what it gave is revoked.
            handles::revoke_consent_tokens(&self.db, grant.consent_id, now).await?;
            return Err(OAuthError::InvalidGrant(
                "the grant was already used".into(),
            ));
        }
        // Read in the transaction, not on a second connection: a redemption holds one connection
        // at a time, so as many at once as the pool has connections cannot wait on each other.
        let consent = consents::find(&txn, grant.consent_id)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("the consent no longer exists".into()))?;
        if Status::effective(&consent.status, consent.expires_at, now) != Status::Active {
            return Err(OAuthError::InvalidGrant("the consent is not active".into()));
        }
        let access_token = handles::issue_access_token(
            &txn,
            consent.id,
            &client.client_id,
            jkt,
            now,
            consent.expires_at,
        )
        .await?;
        txn.commit().await?;
        Ok(TokenIssued {
            access_token,
            expires_in: (consent.expires_at - now).num_seconds().max(1),
            granted: self.consents.granted(consent.id).await?,
        })
    }

    /// The authorization code's grant, if the code is this client's, fresh, unused, and the
    /// redirect URI and PKCE verifier match.
    async fn code_grant(
        &self,
        client: &Authenticated,
        code: &str,
        verifier: &str,
        redirect_uri: Option<&str>,
    ) -> Result<grants::Model, OAuthError> {
        let invalid = |why: &str| OAuthError::InvalidGrant(why.to_owned());
        let grant = handles::grant(&self.db, code, "code", &client.client_id)
            .await?
            .ok_or_else(|| invalid("the code is unknown or was issued to another client"))?;
        let now = self.clock.now();
        // A used code is a stolen one however late it comes back: what it gave is revoked.
        if grant.redeemed_at.is_some() {
            handles::revoke_consent_tokens(&self.db, grant.consent_id, now).await?;
            return Err(invalid("the code was already used"));
        }
        if grant.expires_at <= now {
            return Err(invalid("the code has expired"));
        }
        if redirect_uri != grant.redirect_uri.as_deref() {
            return Err(invalid(
                "redirect_uri does not match the authorization request",
            ));
        }
        if !pkce_matches(
            verifier,
            grant.code_challenge.as_deref().unwrap_or_default(),
        ) {
            return Err(invalid("code_verifier does not match the code challenge"));
        }
        Ok(grant)
    }

    /// CIBA poll mode (CIBA Core §11): pending, slow down, expired, denied — or the grant.
    async fn ciba_grant(
        &self,
        client: &Authenticated,
        id: &str,
    ) -> Result<grants::Model, OAuthError> {
        let grant = handles::grant(&self.db, id, "ciba", &client.client_id)
            .await?
            .ok_or_else(|| {
                OAuthError::InvalidGrant(
                    "the auth_req_id is unknown or was issued to another client".into(),
                )
            })?;
        let now = self.clock.now();
        if grant.expires_at <= now {
            return Err(OAuthError::ExpiredToken(
                "the request has expired: start a new one",
            ));
        }
        if grant.redeemed_at.is_some() {
            return Err(OAuthError::InvalidGrant(
                "the auth_req_id was already used".into(),
            ));
        }
        self.record_poll(&grant, now).await?;
        let consent = consents::find(&self.db, grant.consent_id)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("the consent no longer exists".into()))?;
        match Status::effective(&consent.status, consent.expires_at, now) {
            Status::Pending => Err(OAuthError::AuthorizationPending),
            Status::Active => Ok(grant),
            Status::Denied | Status::Withdrawn => {
                Err(OAuthError::AccessDenied("the owner denied the request"))
            }
            Status::Expired => Err(OAuthError::ExpiredToken("the request has expired")),
            Status::Used => Err(OAuthError::InvalidGrant("the consent was used up".into())),
        }
    }

    /// Records a poll at `now`; a poll sooner than the interval slows the portal down by 5 s.
    async fn record_poll(
        &self,
        grant: &grants::Model,
        now: DateTime<Utc>,
    ) -> Result<(), OAuthError> {
        let interval = grant.interval_secs.unwrap_or(5);
        let too_soon = grant.next_poll_at.is_some_and(|next| now < next);
        let interval = if too_soon { interval + 5 } else { interval };
        let next = now + Duration::seconds(interval.into());
        handles::polled(&self.db, &grant.handle_hash, next, interval).await?;
        if too_soon {
            return Err(OAuthError::SlowDown(interval));
        }
        Ok(())
    }
}

/// Whether `verifier` is a well-formed PKCE verifier (RFC 7636 §4.1) whose S256 is `challenge`.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_takes_only_the_verifier_whose_s256_is_the_challenge() {
        // The challenge computed outside Rust: base64url(SHA-256(verifier)), unpadded.
        let verifier = "dBjftJeZ4CVP-mJ92K9cM5HPdsDwL62HJeV-iprI1hE";
        let challenge = "nNha7G8Cj4LS7f4SVTWYtvF7hq3RJS-AFYVxQLMtG8A";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            verifier,
            "nNha7G8Cj4LS7f4SVTWYtvF7hq3RJS-AFYVxQLMtG8B"
        ));
        assert!(!pkce_matches("short", challenge));
    }
}
