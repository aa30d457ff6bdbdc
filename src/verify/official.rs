//! Official verification: a signed-in official, with a mandatory case reference, gets the public
//! answer plus whose document it is (identifier and name) and its type — and the look-up is written to the owner's
//! access log, naming the official and the case, before the answer leaves.

use serde::Serialize;

use super::Verifier;
use super::public::Verification;
use crate::audit::{Access, Actor, Context, Outcome};
use crate::error::ApiError;
use crate::identity::OwnerSession;
use crate::ids::{ResultCode, Text};
use crate::owners::OwnerId;

/// The public answer, and for a result the store holds: the owner and the document type.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficialVerification {
    #[serde(flatten)]
    pub public: Verification,
    /// The owner's personal ID or tax code.
    pub owner: Option<String>,
    /// The owner's name, when the store knows it (from the owner's sign-in, or an issuer's push).
    pub owner_name: Option<String>,
    /// Catalogue code of the document type.
    pub document_type: Option<String>,
    pub case_ref: String,
}

/// An official acting as themselves, and the case they name (mandatory: it is logged).
fn official_case(session: &OwnerSession, case_ref: Option<&str>) -> Result<Text, ApiError> {
    if !session.official || session.mandate.is_some() {
        return Err(ApiError::Forbidden(
            "this is for officials, acting as themselves",
        ));
    }
    case_ref
        .map(|c| Text::parse(c, "case reference", 128))
        .transpose()?
        .ok_or_else(|| {
            ApiError::BadRequest("a case reference (case_ref) is required, and is logged".into())
        })
}

impl Verifier {
    pub async fn official_verify(
        &self,
        session: &OwnerSession,
        code: &ResultCode,
        sha256: &str,
        case_ref: Option<&str>,
    ) -> Result<OfficialVerification, ApiError> {
        let case_ref = official_case(session, case_ref)?;
        // Whose document it is is told — and logged — only for the genuine document: a result code
        // alone (guessable from the dossier format) reveals nobody.
        let public = self.verify(code, sha256).await?;
        let row = if public.verdict == super::Verdict::Genuine {
            self.documents.issued_by_result_code(code).await?
        } else {
            None
        };
        let (owner, owner_name, document_type) = match &row {
            Some(row) => {
                let owner = OwnerId(row.owner_id);
                self.access_log
                    .append(Access {
                        owner,
                        actor: Actor::Official {
                            person: session.person,
                        },
                        action: "official_verify",
                        document: Some(row.id),
                        outcome: Outcome::Allowed,
                        detail: None,
                        context: Context {
                            case_ref: Some(case_ref.as_str().to_owned()),
                            ..Context::default()
                        },
                    })
                    .await?;
                let who = self.owners.identifier(owner).await?;
                let name = self.owners.name(owner).await?;
                (
                    who.map(|w| w.to_string()),
                    name,
                    Some(row.type_code.clone()),
                )
            }
            None => (None, None, None),
        };
        Ok(OfficialVerification {
            public,
            owner,
            owner_name,
            document_type,
            case_ref: case_ref.as_str().to_owned(),
        })
    }

    /// An official checks an owner's uploaded document against its original, for a case: logged
    /// for the owner first, then recorded on the document as its provenance.
    pub async fn official_mark_verified(
        &self,
        session: &OwnerSession,
        owner: &crate::ids::OwnerIdentifier,
        document: uuid::Uuid,
        method: &str,
        case_ref: Option<&str>,
    ) -> Result<crate::documents::DocumentView, ApiError> {
        let case_ref = official_case(session, case_ref)?;
        let method = Text::parse(method, "method", 200)?;
        let owner = self.owners.find(owner).await?.ok_or(ApiError::NotFound)?.id;
        // The document must be the owner's (another's, or none, is a 404 and logs nothing), and
        // one they uploaded: an issued result is vouched for by its issuer's signature.
        let view = self.documents.get(owner, document).await?;
        if view.source != crate::documents::Source::Uploaded {
            return Err(crate::documents::DocumentError::NotEditable.into());
        }
        let official = self
            .owners
            .identifier(session.person)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        self.access_log
            .append(Access {
                owner,
                actor: Actor::Official {
                    person: session.person,
                },
                action: "official_mark_verified",
                document: Some(document),
                outcome: Outcome::Allowed,
                detail: None,
                context: Context {
                    case_ref: Some(case_ref.as_str().to_owned()),
                    ..Context::default()
                },
            })
            .await?;
        Ok(self
            .documents
            .mark_verified(owner, document, &official.to_string(), method.as_str())
            .await?)
    }
}
