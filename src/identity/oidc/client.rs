//! The relying-party side of OpenID Connect, on the `openidconnect` crate: discovery (cached,
//! re-done when the provider signs with a key we do not know yet), the authorization URL, the
//! code exchange and the ID-token checks (signature, issuer, audience, expiry, nonce).

use std::collections::HashMap;
use std::sync::Arc;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode,
    ClaimsVerificationError, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    LogoutProviderMetadata, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use url::Url;

use crate::config::Settings;

/// Provider metadata beyond OpenID Connect Discovery, after the end-session endpoint of
/// RP-initiated logout: RFC 9207's `authorization_response_iss_parameter_supported`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssParameter {
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for IssParameter {}

type Metadata = ProviderMetadata<
    LogoutProviderMetadata<IssParameter>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Every claim of the ID token beyond the standard ones, as the provider sent them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub claims: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

type Fields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type RpClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<Fields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why talking to the provider failed. The text is for logs; people see a page in plain words.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("discovery at the OpenID Provider failed: {0}")]
    Discovery(String),
    #[error("the code exchange at the OpenID Provider failed: {0}")]
    Exchange(String),
    #[error("the token response holds no ID token")]
    NoIdToken,
    #[error("the ID token was refused: {0}")]
    IdToken(#[from] ClaimsVerificationError),
    #[error("the OpenID Provider settings are incomplete: {0}")]
    Settings(&'static str),
}

/// ID tokens must be signed with an asymmetric key the provider publishes: never HS256 keyed
/// with the client secret, whatever the provider advertises.
fn verifier(client: &RpClient) -> openidconnect::IdTokenVerifier<'_, CoreJsonWebKey> {
    client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha384,
        CoreJwsSigningAlgorithm::RsaSsaPssSha512,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ])
}

/// What discovery found: a client bound to the provider's endpoints and keys.
struct Discovered {
    client: RpClient,
    end_session: Option<Url>,
    /// RFC 9207: the provider sends `iss` with every authorization response, so one without it
    /// must be refused.
    iss_required: bool,
    fetched: std::time::Instant,
}

/// How long discovery (endpoints and keys) is trusted before it is fetched again, so that keys the
/// provider retires stop being accepted.
const DISCOVERY_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// A login starting: where to send the browser, and what to remember until it comes back.
pub struct AuthorizationStart {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Kho as an OpenID Connect relying party.
pub struct OidcClient {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    after_logout: PostLogoutRedirectUrl,
    scopes: Vec<Scope>,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.issuer.as_str())
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// The client for the configured provider; `None` when no provider is configured.
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, OidcError> {
        let Some(issuer) = &settings.oidc_issuer else {
            return Ok(None);
        };
        let client_id = settings.oidc_client_id.clone().ok_or(OidcError::Settings(
            "KHO_OIDC_CLIENT_ID is required with KHO_OIDC_ISSUER",
        ))?;
        let issuer = IssuerUrl::new(issuer.as_str().trim_end_matches('/').to_owned())
            .map_err(|_| OidcError::Settings("KHO_OIDC_ISSUER"))?;
        let public = settings.public_url.as_str().trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{public}/auth/callback"))
            .map_err(|_| OidcError::Settings("KHO_PUBLIC_URL"))?;
        let after_logout = PostLogoutRedirectUrl::new(format!("{public}/"))
            .map_err(|_| OidcError::Settings("KHO_PUBLIC_URL"))?;
        let http = reqwest::Client::builder()
            // Following redirects would let a provider response point us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|_| OidcError::Settings("HTTP client"))?;
        Ok(Some(Self {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: settings
                .oidc_client_secret
                .as_ref()
                .map(|s| ClientSecret::new(secrecy::ExposeSecret::expose_secret(s).to_owned())),
            redirect,
            after_logout,
            scopes: settings
                .oidc_scopes
                .split_whitespace()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.to_owned()))
                .collect(),
            http,
            discovered: RwLock::new(None),
        }))
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(found) = self
            .discovered
            .read()
            .await
            .as_ref()
            .filter(|d| d.fetched.elapsed() < DISCOVERY_LIFETIME)
        {
            return Ok(found.clone());
        }
        self.rediscover().await
    }

    /// Fetches the provider's metadata and keys again.
    async fn rediscover(&self) -> Result<Arc<Discovered>, OidcError> {
        let metadata = Metadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        let extra = metadata.additional_metadata();
        let end_session = extra.end_session_endpoint.as_ref().map(|u| u.url().clone());
        let iss_required = extra
            .additional_metadata
            .authorization_response_iss_parameter_supported;
        let client = RpClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone());
        let found = Arc::new(Discovered {
            client,
            end_session,
            iss_required,
            fetched: std::time::Instant::now(),
        });
        *self.discovered.write().await = Some(found.clone());
        Ok(found)
    }

    /// Where to send the browser to log in, with fresh `state`, `nonce` and PKCE (S256).
    pub async fn start(&self) -> Result<AuthorizationStart, OidcError> {
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.scopes {
            request = request.add_scope(scope.clone());
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(AuthorizationStart {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and returns the ID token's claims (the extra ones, and `name`) once it
    /// is verified: signature
    /// against the provider's keys (fetched again if the key is new), issuer, audience, expiry
    /// and the nonce of this login.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<HashMap<String, serde_json::Value>, OidcError> {
        let discovered = self.discovered().await?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(e.to_string()))?;
        let id_token = response.id_token().ok_or(OidcError::NoIdToken)?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match id_token.claims(&verifier(&discovered.client), &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                tracing::info!(
                    "ID token signed with a key not seen before: fetching the provider's keys again"
                );
                let fresh = self.rediscover().await?;
                id_token.claims(&verifier(&fresh.client), &nonce)?.clone()
            }
            other => other?.clone(),
        };
        let mut extra = claims.additional_claims().claims.clone();
        // The standard `name` claim (default locale), which officials' look-ups show.
        if let Some(name) = claims.name().and_then(|n| n.get(None)) {
            extra.insert(
                "name".into(),
                serde_json::Value::String(name.as_str().to_owned()),
            );
        }
        Ok(extra)
    }

    /// Whether the provider promises `iss` in every authorization response (RFC 9207).
    pub async fn requires_iss(&self) -> Result<bool, OidcError> {
        Ok(self.discovered().await?.iss_required)
    }

    /// The provider's logout URL that sends the browser back to Kho's front page, if the
    /// provider offers RP-initiated logout.
    pub async fn end_session_url(&self) -> Option<Url> {
        let discovered = self.discovered().await.ok()?;
        let endpoint = openidconnect::EndSessionUrl::from_url(discovered.end_session.clone()?);
        Some(
            LogoutRequest::from(endpoint)
                .set_client_id(self.client_id.clone())
                .set_post_logout_redirect_uri(self.after_logout.clone())
                .http_get_url(),
        )
    }
}
