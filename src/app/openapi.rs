//! The OpenAPI document: generated from the handlers' annotations, then completed with what
//! routes of a kind share, so that no route can forget it — its `{…}` path parameters, problems
//! served as `application/problem+json`, the 401 of a missing session and the 403 of a refused
//! CSRF check under `/v1/me` and `/v1/official`, the 400 of a malformed id or body — and the
//! security schemes.

use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};

const PROBLEM: &str = "application/problem+json";

/// Completes `doc` (see the module's text).
pub fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ids = path_parameters(path);
        for (method, operation) in operations(item) {
            declare_path_parameters(operation, &ids);
            problems_as_problem_json(operation);
            if !ids.is_empty() || operation.request_body.is_some() {
                add_problem(operation, "400", "a malformed path parameter or request");
            }
            if path.starts_with("/v1/me") || path.starts_with("/v1/official") {
                add_problem(operation, "401", "no live session");
                if method != "get" {
                    add_problem(
                        operation,
                        "403",
                        "no X-CSRF-Token, or from a foreign origin",
                    );
                }
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    let schemes = [
        (
            "session",
            ApiKey::Cookie(ApiKeyValue::with_description(
                "kho_session",
                "the browser session of a signed-in person (`__Host-kho_session` in production)",
            )),
        ),
        (
            "csrf",
            ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "the session's CSRF token, on every request that changes data",
            )),
        ),
        (
            "dpop",
            ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`DPoP <access token>`, with a `DPoP` proof header (RFC 9449), for /v1/shared",
            )),
        ),
    ];
    for (name, scheme) in schemes {
        components.add_security_scheme(name, SecurityScheme::ApiKey(scheme));
    }
}

/// The names between braces in a path template.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
}

fn declare_path_parameters(operation: &mut Operation, ids: &[String]) {
    let declared = operation.parameters.get_or_insert_with(Vec::new);
    for id in ids {
        let present = declared.iter().any(|p| match p {
            RefOr::T(p) => p.name == *id && p.parameter_in == ParameterIn::Path,
            RefOr::Ref(_) => false,
        });
        if !present {
            let uuid = ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
            let mut parameter = Parameter::new(id.as_str());
            parameter.parameter_in = ParameterIn::Path;
            parameter.required = Required::True;
            parameter.schema = Some(RefOr::T(uuid.build().into()));
            declared.push(RefOr::T(parameter));
        }
    }
}

/// Every response whose body is a `Problem` is served as `application/problem+json`.
fn problems_as_problem_json(operation: &mut Operation) {
    for response in operation.responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_problem = |content: &RefOr<utoipa::openapi::Content>| matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")));
        if let Some(json) = response
            .content
            .get("application/json")
            .filter(|c| is_problem(c))
        {
            let problem = json.clone();
            response.content.shift_remove("application/json");
            response.content.insert(PROBLEM.to_owned(), problem);
        }
    }
}

/// Declares `status` as a problem, unless the operation already does.
fn add_problem(operation: &mut Operation, status: &str, why: &str) {
    let responses = &mut operation.responses.responses;
    if responses.contains_key(status) {
        return;
    }
    let problem = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    let response = ResponseBuilder::new()
        .description(why)
        .content(PROBLEM, problem)
        .build();
    responses.insert(status.to_owned(), RefOr::T(response));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_read_from_the_template() {
        assert_eq!(path_parameters("/v1/me/consents/{id}/receipt"), ["id"]);
        assert_eq!(path_parameters("/a/{x}/b/{y}"), ["x", "y"]);
        assert!(path_parameters("/v1/me").is_empty());
    }
}
