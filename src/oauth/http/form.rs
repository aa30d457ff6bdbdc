//! The body of an OAuth endpoint: `application/x-www-form-urlencoded`, each parameter at most
//! once (RFC 6749 §3.1). Anything else is an OAuth `invalid_request`, not a problem document.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::oauth::OAuthError;

pub struct OAuthForm(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form_encoded = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_encoded {
            return Err(OAuthError::InvalidRequest(
                "the body must be application/x-www-form-urlencoded".into(),
            ));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| OAuthError::InvalidRequest("the body could not be read".into()))?;
        parse(&body).map(Self)
    }
}

fn parse(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::InvalidRequest(format!(
                "the parameter {name} appears more than once"
            )));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_parameter_is_refused() {
        assert!(parse(b"code=a&code=b").is_err());
        let ok = parse(b"grant_type=authorization_code&code=a%2Bb").unwrap();
        assert_eq!(ok["code"], "a+b");
    }
}
