//! OAuth errors (RFC 6749 §5.2, RFC 9449, OpenID CIBA Core §11, RFC 9396 §5): each variant is one
//! wire code and carries its HTTP status; the description is safe to show to the client.

/// An error the token, PAR, CIBA, revocation and introspection endpoints answer with.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// 400 `invalid_request`.
    #[error("{0}")]
    InvalidRequest(String),
    /// 401 `invalid_client`: whatever went wrong (the reason is logged, not told).
    #[error("client authentication failed")]
    InvalidClient,
    /// 400 `invalid_grant`.
    #[error("{0}")]
    InvalidGrant(String),
    /// 400 `unauthorized_client`.
    #[error("{0}")]
    UnauthorizedClient(&'static str),
    /// 400 `unsupported_grant_type`.
    #[error("{0}")]
    UnsupportedGrantType(&'static str),
    /// 400 `unsupported_response_type`.
    #[error("{0}")]
    UnsupportedResponseType(&'static str),
    /// 400 `invalid_authorization_details` (RFC 9396).
    #[error("{0}")]
    InvalidAuthorizationDetails(String),
    /// 400 `invalid_dpop_proof` (RFC 9449).
    #[error("{0}")]
    InvalidDpopProof(String),
    /// 400 `use_dpop_nonce` (RFC 9449 §8): the answer carries a fresh `DPoP-Nonce`.
    #[error("{0}")]
    UseDpopNonce(String),
    /// 400 `unknown_user_id` (CIBA).
    #[error("{0}")]
    UnknownUserId(String),
    /// 400 `invalid_binding_message` (CIBA).
    #[error("{0}")]
    InvalidBindingMessage(String),
    /// 400 `authorization_pending` (CIBA poll).
    #[error("the owner has not answered yet")]
    AuthorizationPending,
    /// 400 `slow_down` (CIBA poll).
    #[error("poll at most every {0} seconds")]
    SlowDown(i32),
    /// 400 `expired_token` (CIBA poll).
    #[error("{0}")]
    ExpiredToken(&'static str),
    /// 400 `access_denied`: the owner said no.
    #[error("{0}")]
    AccessDenied(&'static str),
    /// 403 `access_denied`: too many requests waiting for one owner.
    #[error("{0}")]
    TooManyWaiting(String),
    /// 503 `temporarily_unavailable`: too busy to check the client now (with `Retry-After`).
    #[error("too busy to authenticate the client; try again shortly")]
    Busy,
    /// 500 `server_error`: a failure below OAuth, logged when it was made, never described.
    #[error("server error")]
    Server,
}

impl OAuthError {
    /// A failure below OAuth: logged here, answered as a bare `server_error`.
    pub fn server(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "OAuth endpoint failed");
        Self::Server
    }

    /// The wire code (`error`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::UnsupportedResponseType(_) => "unsupported_response_type",
            Self::InvalidAuthorizationDetails(_) => "invalid_authorization_details",
            Self::InvalidDpopProof(_) => "invalid_dpop_proof",
            Self::UseDpopNonce(_) => "use_dpop_nonce",
            Self::UnknownUserId(_) => "unknown_user_id",
            Self::InvalidBindingMessage(_) => "invalid_binding_message",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown(_) => "slow_down",
            Self::ExpiredToken(_) => "expired_token",
            Self::AccessDenied(_) | Self::TooManyWaiting(_) => "access_denied",
            Self::Busy => "temporarily_unavailable",
            Self::Server => "server_error",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidClient => 401,
            Self::TooManyWaiting(_) => 403,
            Self::Busy => 503,
            Self::Server => 500,
            _ => 400,
        }
    }

    /// The `error_description`, if the client is told one.
    pub fn description(&self) -> Option<String> {
        match self {
            Self::InvalidClient | Self::Server => None,
            other => Some(other.to_string()),
        }
    }
}

impl From<crate::storage::StoreError> for OAuthError {
    fn from(e: crate::storage::StoreError) -> Self {
        Self::server(e)
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::server(e)
    }
}

impl From<crate::clients::ClientAuthError> for OAuthError {
    fn from(e: crate::clients::ClientAuthError) -> Self {
        use crate::clients::ClientAuthError;
        match e {
            ClientAuthError::Invalid => Self::InvalidClient,
            ClientAuthError::Malformed(why) => Self::InvalidRequest(why.to_owned()),
            ClientAuthError::Busy => Self::Busy,
            ClientAuthError::Store(e) => Self::server(e),
        }
    }
}

impl From<crate::consents::ConsentError> for OAuthError {
    fn from(e: crate::consents::ConsentError) -> Self {
        Self::server(e)
    }
}

impl From<crate::oauth::dpop::DpopError> for OAuthError {
    fn from(e: crate::oauth::dpop::DpopError) -> Self {
        use crate::oauth::dpop::DpopError;
        match e {
            DpopError::Missing | DpopError::Invalid(_) | DpopError::Replayed => {
                Self::InvalidDpopProof(e.to_string())
            }
            DpopError::UseNonce => Self::UseDpopNonce(e.to_string()),
            DpopError::Store(e) => Self::server(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_carries_its_wire_code_and_status() {
        assert_eq!(OAuthError::InvalidClient.status(), 401);
        assert_eq!(OAuthError::InvalidClient.description(), None);
        assert_eq!(OAuthError::SlowDown(10).code(), "slow_down");
        assert_eq!(
            OAuthError::SlowDown(10).description().as_deref(),
            Some("poll at most every 10 seconds")
        );
        assert_eq!(
            OAuthError::TooManyWaiting("x".into()).code(),
            "access_denied"
        );
        assert_eq!(OAuthError::TooManyWaiting("x".into()).status(), 403);
        assert_eq!(OAuthError::Server.status(), 500);
        assert_eq!(OAuthError::Server.description(), None);
    }
}
