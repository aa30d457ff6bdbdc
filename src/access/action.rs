//! What someone does with an owner's data: each action's name in the access log, and the
//! mandate scope it needs.

use crate::mandates::Scope;

/// One kind of access to an owner's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListDocuments,
    ReadDocument,
    DownloadDocument,
    UploadDocument,
    CorrectDocument,
    DeleteDocument,
    ReadSeal,
    ReadAccessLog,
    CheckpointAccessLog,
    DownloadAccessLog,
    ListConsents,
    ReadConsent,
    ReadConsentReceipt,
    PreviewConsent,
    OpenConsentRequest,
    ApproveConsent,
    DenyConsent,
    WithdrawConsent,
    /// A representative tried to act under a mandate that has ended.
    ActUnderMandate,
    OfficialVerify,
    OfficialMarkVerified,
    /// Everything in the store, as one archive.
    ExportData,
}

impl Action {
    /// The name the access log records (stable: it is part of the hashed entry).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListDocuments => "list_documents",
            Self::ReadDocument => "read_document",
            Self::DownloadDocument => "download_document",
            Self::UploadDocument => "upload_document",
            Self::CorrectDocument => "correct_document",
            Self::DeleteDocument => "delete_document",
            Self::ReadSeal => "read_seal",
            Self::ReadAccessLog => "read_access_log",
            Self::CheckpointAccessLog => "checkpoint_access_log",
            Self::DownloadAccessLog => "download_access_log",
            Self::ListConsents => "list_consents",
            Self::ReadConsent => "read_consent",
            Self::ReadConsentReceipt => "read_consent_receipt",
            Self::PreviewConsent => "preview_consent",
            Self::OpenConsentRequest => "open_consent_request",
            Self::ApproveConsent => "approve_consent",
            Self::DenyConsent => "deny_consent",
            Self::WithdrawConsent => "withdraw_consent",
            Self::ActUnderMandate => "act_under_mandate",
            Self::OfficialVerify => "official_verify",
            Self::OfficialMarkVerified => "official_mark_verified",
            Self::ExportData => "export_data",
        }
    }

    /// The mandate scopes a representative needs for it, all of them.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            // A correction answers with the whole metadata: reading it takes `read` too.
            Self::CorrectDocument => &[Scope::Manage, Scope::Read],
            Self::UploadDocument | Self::DeleteDocument => &[Scope::Manage],
            Self::ListConsents
            | Self::ReadConsent
            | Self::ReadConsentReceipt
            | Self::OpenConsentRequest
            | Self::ApproveConsent
            | Self::DenyConsent
            | Self::WithdrawConsent => &[Scope::Consent],
            _ => &[Scope::Read],
        }
    }

    /// The first of [`Action::scopes`] that `granted` lacks.
    pub fn missing(self, granted: &crate::mandates::Scopes) -> Option<Scope> {
        self.scopes().iter().copied().find(|s| !granted.allows(*s))
    }

    /// Why a representative whose mandate lacks `scope` is refused, as the log says it.
    pub fn refusal(scope: Scope) -> &'static str {
        match scope {
            Scope::Read => "the mandate does not allow reading",
            Scope::Manage => "the mandate does not allow managing documents",
            Scope::Consent => "the mandate does not allow answering consent requests",
        }
    }
}
