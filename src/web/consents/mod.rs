//! The owner's consents as pages: the inbox of requests waiting for an answer (with the preview
//! and a choice per document), the consents given and past, withdrawal after a confirm page,
//! and the store-signed receipt, shown checked and printable.

pub mod decide;
pub mod list;
pub mod receipt;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::consents::{Consent, Status};
use crate::ids::{ProcedureCode, procedure};
use crate::oauth::details::Access;
use crate::web::documents::type_name;
use crate::web::failure::PageError;
use crate::web::i18n::Tr;

/// A consent id in the address; anything else is a page that does not exist.
/// An asked-for type the owner has no usable document of, with the link that uploads one and
/// comes back to the request.
pub struct Missing {
    pub code: String,
    pub name: String,
    pub add: String,
}

/// The types of `asked` that none of `usable` is of; their upload links return to `back`.
pub fn missing(
    tr: Tr,
    asked: &[String],
    usable: &[crate::documents::DocumentView],
    back: &str,
) -> Vec<Missing> {
    let back: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    asked
        .iter()
        .filter(|t| !usable.iter().any(|d| &d.type_code == *t))
        .map(|t| Missing {
            add: format!("/documents/new?type={t}&back={back}"),
            name: type_name(tr, t),
            code: t.clone(),
        })
        .collect()
}

pub fn consent_id(raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| PageError::not_found())
}

/// A consent as a page shows it: who asks, for what, why, until when — in words.
pub struct ConsentShown {
    pub id: String,
    /// `pending`, `active`, … : the CSS class of its tag.
    pub status: &'static str,
    pub status_text: String,
    pub portal: String,
    pub agency: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub purpose: String,
    pub dossier: Option<String>,
    pub binding_message: Option<String>,
    /// The asked-for types, by name.
    pub types: Vec<String>,
    pub once: bool,
    pub until: String,
    /// A request waiting in the inbox: when it lapses.
    pub answer_by: Option<String>,
    /// How long the consent lasts once given, in words.
    pub lasts: String,
    pub asked_on: String,
    pub decided_on: Option<String>,
    pub withdrawn_on: Option<String>,
    pub used_on: Option<String>,
    /// The one-line summary: "X wants to see Y for procedure Z".
    pub headline: String,
    pub pending: bool,
    pub active: bool,
    pub consent: Consent,
}

impl ConsentShown {
    /// `portal` is the portal's registered name (or its client id when it has gone).
    pub fn new(tr: Tr, consent: Consent, portal: String) -> Self {
        let status = consent.status;
        let procedure_name = ProcedureCode::parse(&consent.procedure)
            .ok()
            .as_ref()
            .and_then(procedure)
            .map_or_else(
                || consent.procedure.clone(),
                |p| tr.pick(p.name_vi, p.name_en).to_owned(),
            );
        let types: Vec<String> = consent
            .document_types
            .iter()
            .map(|t| type_name(tr, t))
            .collect();
        let headline = tr.t_with(
            "consent-headline",
            &[
                ("portal", &portal),
                ("types", &types.join(", ")),
                ("procedure", &procedure_name),
            ],
        );
        Self {
            id: consent.id.to_string(),
            status: status.as_str(),
            status_text: tr.t(&format!("consent-status-{}", status.as_str())),
            agency: consent.agency_code.clone(),
            procedure_code: consent.procedure.clone(),
            purpose: consent.purpose.clone(),
            dossier: consent.dossier.clone(),
            binding_message: consent.binding_message.clone(),
            once: consent.access == Access::Once,
            until: tr.datetime(consent.expires_at),
            answer_by: (status == Status::Pending && consent.flow == "ciba")
                .then(|| tr.datetime(consent.expires_at)),
            lasts: duration(tr, consent.expires_in),
            asked_on: tr.datetime(consent.created_at),
            decided_on: consent.decided_at.map(|d| tr.datetime(d)),
            withdrawn_on: consent.withdrawn_at.map(|d| tr.datetime(d)),
            used_on: consent.used_at.map(|d| tr.datetime(d)),
            pending: status == Status::Pending,
            active: status == Status::Active,
            headline,
            procedure_name,
            types,
            portal,
            consent,
        }
    }
}

/// `seconds` as days, hours or minutes, whichever is whole.
fn duration(tr: Tr, seconds: i64) -> String {
    let (key, n) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => ("duration-days", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => ("duration-hours", s / 3_600),
        s => ("duration-minutes", (s + 59) / 60),
    };
    tr.t_number(key, "n", n)
}

/// The registered name of portal `client_id` (its id when it is no longer registered).
pub async fn portal_name(db: &DatabaseConnection, client_id: &str) -> Result<String, PageError> {
    Ok(crate::clients::find_enabled(db, client_id)
        .await?
        .map_or_else(|| client_id.to_owned(), |c| c.name))
}
