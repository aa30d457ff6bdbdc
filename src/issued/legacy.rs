//! Issued results stored before their issuer's statement was sealed: the statement (which names
//! the owner) is sealed with the owner's key, and the time of the last status statement is set
//! to now, so that no statement signed before the upgrade can be replayed over the record.
//! Runs at `kho serve` start-up and with its upkeep; safe in several processes at once.

use super::IssuedResults;
use crate::documents::{is_legacy_plain, seal_issuer_signature};
use crate::owners::OwnerId;
use crate::storage::StoreError;

const BATCH: u64 = 500;

impl IssuedResults {
    /// Seals every legacy statement; returns how many it sealed.
    pub async fn seal_legacy_statements(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut sealed = 0;
        loop {
            let rows = self.documents.maybe_plain_statements(BATCH).await?;
            if rows.is_empty() {
                return Ok(sealed);
            }
            let mut progress = false;
            for row in rows {
                let Some(plain) = row
                    .issuer_signature
                    .as_deref()
                    .filter(|s| is_legacy_plain(s))
                else {
                    continue;
                };
                let Some(key) = self.owners.data_key(OwnerId(row.owner_id)).await? else {
                    // An erased owner's row: nothing can read it; erasure removes it.
                    continue;
                };
                let sealed_text = seal_issuer_signature(&key, row.owner_id, row.id, plain)?;
                if self
                    .documents
                    .replace_plain_statement(&row, plain, sealed_text, now)
                    .await?
                {
                    sealed += 1;
                }
                progress = true;
            }
            if !progress {
                return Ok(sealed);
            }
        }
    }
}
