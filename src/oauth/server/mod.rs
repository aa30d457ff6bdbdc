//! The authorization server's decisions, apart from HTTP: pushed requests, the owner's answer on
//! the consent screen, CIBA requests and the token exchange. The endpoints in `oauth/http/` parse
//! the typed requests of [`crate::oauth::requests`], call these, and render the result.

mod authorize;
mod ciba;
mod introspect;
mod par;
mod token;

pub use authorize::{AuthorizeError, PendingRequest};
pub use ciba::CibaStarted;
pub use par::{PushedUri, REQUEST_URI_PREFIX};
pub use token::TokenIssued;

use sea_orm::DatabaseConnection;

use super::dpop::Dpop;
use crate::clock::Clock;
use crate::consents::Consents;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::owners::Owners;

/// The authorization server, holding what it needs: the database (its own requests, grants and
/// tokens, and the registered clients), the owners (a CIBA request may create a store), their
/// documents (what may be shared), consents, DPoP proofs, the store's signer (its issuer URL) and
/// the clock.
#[derive(Clone, Debug)]
pub struct AuthServer {
    db: DatabaseConnection,
    owners: Owners,
    documents: Documents,
    consents: Consents,
    dpop: Dpop,
    signer: Signer,
    clock: Clock,
}

impl AuthServer {
    pub fn new(
        db: DatabaseConnection,
        owners: Owners,
        documents: Documents,
        consents: Consents,
        dpop: Dpop,
        signer: Signer,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            owners,
            documents,
            consents,
            dpop,
            signer,
            clock,
        }
    }

    /// The DPoP nonce a proof made now should carry.
    pub fn dpop_nonce(&self) -> String {
        self.dpop.nonce()
    }
}
