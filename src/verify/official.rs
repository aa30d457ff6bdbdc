//! Official verification: a signed-in official, with a mandatory case reference, gets the public
//! answer plus whose document it is (identifier and name) and its type — and the look-up is written to the owner's
//! access log, naming the official and the case, before the answer leaves.

use serde::Serialize;

use super::Verifier;
use super::public::Verification;
use crate::access::{Action, Denied, Principal};
use crate::audit::Access;
use crate::documents::DocumentError;
use crate::ids::{ParseError, ResultCode, Text};
use crate::owners::OwnerId;
use crate::storage::StoreError;

/// Why an official's request is refused.
#[derive(Debug, thiserror::Error)]
pub enum OfficialError {
    /// Not an official acting as themselves.
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    InvalidField(#[from] ParseError),
    #[error("a case reference (case_ref) is required, and is logged")]
    NoCase,
    /// No such owner or document (another owner's is the same).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
fn official_case(who: &Principal, case_ref: Option<&str>) -> Result<Text, OfficialError> {
    who.require_official()?;
    let case = case_ref
        .map(|c| Text::parse(c, "case reference", 128))
        .transpose()?
        .ok_or(OfficialError::NoCase)?;
    if crate::audit::looks_sealed(case.as_str()) {
        let why = "it may not begin with `sealed:`";
        return Err(ParseError::new("case reference", why).into());
    }
    Ok(case)
}

impl Verifier {
    /// `case`, sealed for `owner`'s log.
    async fn sealed_case(&self, owner: OwnerId, case: &Text) -> Result<String, OfficialError> {
        let key = self
            .owners
            .data_key(owner)
            .await?
            .ok_or(OfficialError::NotFound)?;
        Ok(crate::audit::seal_case(&key, owner.0, case.as_str()).map_err(StoreError::from)?)
    }
}

impl Verifier {
    pub async fn official_verify(
        &self,
        who: &Principal,
        code: &ResultCode,
        sha256: &str,
        case_ref: Option<&str>,
    ) -> Result<OfficialVerification, OfficialError> {
        let case_ref = official_case(who, case_ref)?;
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
                let case = self.sealed_case(owner, &case_ref).await?;
                let entry =
                    Access::by_official(owner, who.person, Action::OfficialVerify, row.id, &case);
                self.access_log.append(entry).await?;
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
        who: &Principal,
        owner: &crate::ids::OwnerIdentifier,
        document: uuid::Uuid,
        method: &str,
        case_ref: Option<&str>,
    ) -> Result<crate::documents::DocumentView, OfficialError> {
        let case_ref = official_case(who, case_ref)?;
        let method = Text::parse(method, "method", 200)?;
        let owner = self
            .owners
            .find(owner)
            .await?
            .ok_or(OfficialError::NotFound)?
            .id;
        // The document must be the owner's (another's, or none, is a 404 and logs nothing), and
        // one they uploaded: an issued result is vouched for by its issuer's signature.
        let view = self.documents.get(owner, document).await?;
        if view.source != crate::documents::Source::Uploaded {
            return Err(DocumentError::NotEditable.into());
        }
        let case = self.sealed_case(owner, &case_ref).await?;
        let entry = Access::by_official(
            owner,
            who.person,
            Action::OfficialMarkVerified,
            document,
            &case,
        );
        self.access_log.append(entry).await?;
        Ok(self
            .documents
            .mark_verified(owner, document, method.as_str())
            .await?)
    }
}
