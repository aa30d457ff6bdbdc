//! What portals send, parsed once from the form parameters into typed requests; everything after
//! this works on the types. Every refusal is an [`OAuthError`] the portal can act on.

use std::collections::HashMap;

use uuid::Uuid;

use super::OAuthError;
use super::details::{self, DocumentAccess};
use crate::ids::{OwnerIdentifier, Text};

/// The CIBA grant type (OpenID CIBA Core §10.1).
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
const MAX_BINDING_MESSAGE_CHARS: usize = 100;

/// A form's non-empty parameter `name`.
fn get<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn required<'a>(
    form: &'a HashMap<String, String>,
    name: &str,
    why: &str,
) -> Result<&'a str, OAuthError> {
    get(form, name).ok_or_else(|| OAuthError::InvalidRequest(why.to_owned()))
}

fn is_base64url_sha256(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn asked(form: &HashMap<String, String>) -> Result<DocumentAccess, OAuthError> {
    details::parse(get(form, "authorization_details").unwrap_or("[]"))
        .map_err(OAuthError::InvalidAuthorizationDetails)
}

/// A pushed authorization request (RFC 9126), as the authenticated portal `client_id` sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    /// The `dpop_jkt` parameter (RFC 9449 §10) as sent: see [`PushedRequest::bound_key`].
    pub dpop_jkt: Option<String>,
    pub asked: DocumentAccess,
}

impl PushedRequest {
    pub fn from_form(form: &HashMap<String, String>, client_id: &str) -> Result<Self, OAuthError> {
        if get(form, "request_uri").is_some() || get(form, "request").is_some() {
            return Err(OAuthError::InvalidRequest(
                "request_uri and request are not accepted at the pushed authorization request endpoint".into(),
            ));
        }
        if get(form, "client_id").is_some_and(|id| id != client_id) {
            return Err(OAuthError::InvalidRequest(
                "client_id does not match the authenticated client".into(),
            ));
        }
        if get(form, "response_type") != Some("code") {
            return Err(OAuthError::UnsupportedResponseType(
                "response_type must be code",
            ));
        }
        let redirect_uri = required(form, "redirect_uri", "redirect_uri is required")?;
        if get(form, "code_challenge_method") != Some("S256") {
            return Err(OAuthError::InvalidRequest(
                "code_challenge_method must be S256".into(),
            ));
        }
        let code_challenge = get(form, "code_challenge")
            .filter(|c| is_base64url_sha256(c))
            .ok_or_else(|| {
                OAuthError::InvalidRequest(
                    "code_challenge must be the base64url SHA-256 of the verifier".into(),
                )
            })?;
        Ok(Self {
            redirect_uri: redirect_uri.to_owned(),
            state: get(form, "state").map(str::to_owned),
            code_challenge: code_challenge.to_owned(),
            dpop_jkt: get(form, "dpop_jkt").map(str::to_owned),
            asked: asked(form)?,
        })
    }

    /// The key the code is bound to (RFC 9449 §10): the DPoP proof's (`proven`), or the
    /// `dpop_jkt` parameter's; both at once must name the same key.
    pub fn bound_key(&self, proven: Option<String>) -> Result<Option<String>, OAuthError> {
        match (proven, self.dpop_jkt.as_deref()) {
            (Some(proven), Some(named)) if proven != named => Err(OAuthError::InvalidDpopProof(
                "dpop_jkt does not name the key of the DPoP proof".into(),
            )),
            (Some(proven), _) => Ok(Some(proven)),
            (None, Some(named)) if is_base64url_sha256(named) => Ok(Some(named.to_owned())),
            (None, Some(_)) => Err(OAuthError::InvalidRequest(
                "dpop_jkt must be a base64url SHA-256 JWK thumbprint".into(),
            )),
            (None, None) => Ok(None),
        }
    }
}

/// A backchannel authentication request (OpenID CIBA Core §7.1, poll mode).
#[derive(Debug, Clone)]
pub struct CibaRequest {
    pub who: OwnerIdentifier,
    pub binding_message: Text,
    pub asked: DocumentAccess,
}

impl CibaRequest {
    pub fn from_form(form: &HashMap<String, String>) -> Result<Self, OAuthError> {
        if get(form, "login_hint_token").is_some() || get(form, "id_token_hint").is_some() {
            return Err(OAuthError::InvalidRequest(
                "only login_hint (the owner's personal ID or tax code) is supported".into(),
            ));
        }
        if get(form, "client_notification_token").is_some() {
            return Err(OAuthError::InvalidRequest(
                "only the poll delivery mode is supported".into(),
            ));
        }
        let hint = required(
            form,
            "login_hint",
            "login_hint (the owner's identifier) is required",
        )?;
        let who = OwnerIdentifier::parse(hint)
            .map_err(|e| OAuthError::UnknownUserId(format!("login_hint: {e}")))?;
        let binding_message = get(form, "binding_message")
            .map(|m| Text::parse(m, "binding_message", MAX_BINDING_MESSAGE_CHARS))
            .transpose()
            .map_err(|e| OAuthError::InvalidBindingMessage(e.to_string()))?
            .ok_or_else(|| {
                OAuthError::InvalidBindingMessage(
                    "binding_message is required: the owner sees it to recognise the request"
                        .into(),
                )
            })?;
        Ok(Self {
            who,
            binding_message,
            asked: asked(form)?,
        })
    }
}

/// A token request (RFC 6749 §4.1.3 with PKCE, or a CIBA poll).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    Code {
        code: String,
        code_verifier: String,
        redirect_uri: Option<String>,
    },
    Ciba {
        auth_req_id: String,
    },
}

impl TokenRequest {
    pub fn from_form(form: &HashMap<String, String>) -> Result<Self, OAuthError> {
        match required(form, "grant_type", "grant_type is required")? {
            "authorization_code" => Ok(Self::Code {
                code: required(form, "code", "code is required")?.to_owned(),
                code_verifier: required(form, "code_verifier", "code_verifier is required (PKCE)")?
                    .to_owned(),
                redirect_uri: get(form, "redirect_uri").map(str::to_owned),
            }),
            CIBA_GRANT => Ok(Self::Ciba {
                auth_req_id: required(form, "auth_req_id", "auth_req_id is required")?.to_owned(),
            }),
            _ => Err(OAuthError::UnsupportedGrantType(
                "grant_type must be authorization_code or urn:openid:params:grant-type:ciba",
            )),
        }
    }
}

/// The owner's answer on the consent screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentDecision {
    /// Approve, sharing these documents.
    Approve(Vec<Uuid>),
    Deny,
}

impl ConsentDecision {
    /// From the screen's `decision` field and its `document` fields.
    pub fn from_fields<'a>(
        decision: Option<&str>,
        documents: impl Iterator<Item = &'a str>,
    ) -> Result<Self, &'static str> {
        let approve = match decision {
            Some("approve") => true,
            Some("deny") => false,
            _ => return Err("decision must be approve or deny"),
        };
        let picked = documents
            .map(Uuid::parse_str)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "a chosen document is not a document id")?;
        Ok(if approve {
            Self::Approve(picked)
        } else {
            Self::Deny
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_token_request_names_its_grant_and_what_that_grant_needs() {
        let code = form(&[("grant_type", "authorization_code"), ("code", "c")]);
        assert!(matches!(
            TokenRequest::from_form(&code),
            Err(OAuthError::InvalidRequest(_))
        ));
        let ciba = form(&[("grant_type", CIBA_GRANT), ("auth_req_id", "r")]);
        assert_eq!(
            TokenRequest::from_form(&ciba).ok(),
            Some(TokenRequest::Ciba {
                auth_req_id: "r".into()
            })
        );
        let other = form(&[("grant_type", "password")]);
        assert!(matches!(
            TokenRequest::from_form(&other),
            Err(OAuthError::UnsupportedGrantType(_))
        ));
    }

    #[test]
    fn a_pushed_request_needs_code_s256_and_a_well_formed_jkt() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let base = [
            ("response_type", "code"),
            ("redirect_uri", "https://portal.example/cb"),
            ("code_challenge_method", "S256"),
            ("code_challenge", challenge),
        ];
        // No authorization_details: refused as such, after the protocol checks passed.
        assert!(matches!(
            PushedRequest::from_form(&form(&base), "p"),
            Err(OAuthError::InvalidAuthorizationDetails(_))
        ));
        let mut plain = base;
        plain[2] = ("code_challenge_method", "plain");
        assert!(matches!(
            PushedRequest::from_form(&form(&plain), "p"),
            Err(OAuthError::InvalidRequest(_))
        ));
        let mut token = base;
        token[0] = ("response_type", "token");
        assert!(matches!(
            PushedRequest::from_form(&form(&token), "p"),
            Err(OAuthError::UnsupportedResponseType(_))
        ));
        let mut other = form(&base);
        other.insert("client_id".into(), "someone-else".into());
        assert!(matches!(
            PushedRequest::from_form(&other, "p"),
            Err(OAuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_consent_decision_is_approve_with_documents_or_deny() {
        let id = Uuid::from_u128(7).to_string();
        assert_eq!(
            ConsentDecision::from_fields(Some("approve"), [id.as_str()].into_iter()),
            Ok(ConsentDecision::Approve(vec![Uuid::from_u128(7)]))
        );
        assert_eq!(
            ConsentDecision::from_fields(Some("deny"), std::iter::empty()),
            Ok(ConsentDecision::Deny)
        );
        assert!(ConsentDecision::from_fields(Some("approve"), ["x"].into_iter()).is_err());
        assert!(ConsentDecision::from_fields(None, std::iter::empty()).is_err());
    }
}
