//! The owner's contact settings: an e-mail address, sealed with the owner's key and confirmed
//! by a link (the link's token is stored only as its SHA-256, and lapses after a day), and the
//! language notices are written in.

use chrono::Duration;
use lettre::Address;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Notices;
use crate::crypto::{IntegrityError, open_field, random_token, seal_field};
use crate::owners::{OwnerId, data_key};
use crate::storage::StoreError;
use crate::storage::entities::owner_contacts;

/// How long a confirmation link works.
const CONFIRM_WITHIN: Duration = Duration::hours(24);
const EMAIL_FIELD: &str = "email";

/// An owner's contact settings.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub email: Option<String>,
    pub confirmed: bool,
    /// `vi` or `en`; `None` until the owner chose.
    pub language: Option<String>,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("confirmed", &self.confirmed)
            .field("language", &self.language)
            .finish()
    }
}

/// Why a contact setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("this is not an e-mail address")]
    NotAnAddress,
    #[error("e-mail is not configured on this Kho")]
    MailDisabled,
    #[error("the confirmation link is unknown or has lapsed")]
    LinkUnusable,
    #[error("the store no longer exists")]
    NoStore,
    #[error("the confirmation could not be sent: {0}")]
    Send(#[from] super::mail::MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ContactError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

impl From<IntegrityError> for ContactError {
    fn from(e: IntegrityError) -> Self {
        Self::Store(e.into())
    }
}

/// Parses an e-mail address the way the mailer will use it.
pub fn parse_address(typed: &str) -> Result<Address, ContactError> {
    typed
        .trim()
        .parse::<Address>()
        .map_err(|_| ContactError::NotAnAddress)
}

fn token_hash(token: &str) -> String {
    crate::oauth::handles::hash(token)
}

impl Notices {
    /// The owner's contact settings.
    pub async fn contact(&self, owner: OwnerId) -> Result<Contact, StoreError> {
        let Some(row) = owner_contacts::Entity::find_by_id(owner.0)
            .one(&self.db)
            .await?
        else {
            return Ok(Contact::default());
        };
        let email = match &row.email_sealed {
            Some(sealed) => {
                let key = data_key(&self.db, &self.keys, owner)
                    .await?
                    .ok_or(IntegrityError)?;
                Some(open_field(&key, owner.0, owner.0, EMAIL_FIELD, sealed)?)
            }
            None => None,
        };
        Ok(Contact {
            email,
            confirmed: row.email_confirmed_at.is_some(),
            language: Some(row.language),
        })
    }

    /// The owner's confirmed address, for the sender.
    pub(super) async fn confirmed_address(
        &self,
        owner: OwnerId,
    ) -> Result<Option<(Address, String)>, StoreError> {
        let contact = self.contact(owner).await?;
        let language = contact.language.unwrap_or_else(|| "vi".to_owned());
        Ok(contact
            .email
            .filter(|_| contact.confirmed)
            .and_then(|e| e.parse::<Address>().ok())
            .map(|a| (a, language)))
    }

    /// Keeps `address` (unconfirmed) and mails it a confirmation link made by `link` from a fresh
    /// token. The address is not used for notices until the link is followed.
    pub async fn set_email(
        &self,
        owner: OwnerId,
        address: &Address,
        language: &str,
        letter: impl FnOnce(&str) -> super::mail::Letter,
    ) -> Result<(), ContactError> {
        let mailer = self.mailer.clone().ok_or(ContactError::MailDisabled)?;
        let key = data_key(&self.db, &self.keys, owner)
            .await?
            .ok_or(ContactError::NoStore)?;
        let token = random_token()?;
        let now = self.clock.now();
        let sealed = seal_field(&key, owner.0, owner.0, EMAIL_FIELD, address.as_ref())?;
        let row = owner_contacts::ActiveModel {
            owner_id: Set(owner.0),
            email_sealed: Set(Some(sealed)),
            email_confirmed_at: Set(None),
            confirm_token_hash: Set(Some(token_hash(&token))),
            confirm_expires_at: Set(Some(now + CONFIRM_WITHIN)),
            language: Set(language.to_owned()),
            updated_at: Set(now),
        };
        upsert(&self.db, row, &ALL_COLUMNS).await?;
        // Sent now, to the unconfirmed address, outside the outbox: the person is waiting for it,
        // and can ask again if it does not come.
        let message_id = format!("confirm-{}", uuid::Uuid::now_v7());
        mailer
            .send(address.clone(), letter(&token), &message_id)
            .await?;
        Ok(())
    }

    /// Confirms the address whose link carried `token`.
    pub async fn confirm_email(&self, token: &str) -> Result<(), ContactError> {
        let now = self.clock.now();
        let done = owner_contacts::Entity::update_many()
            .set(owner_contacts::ActiveModel {
                email_confirmed_at: Set(Some(now)),
                confirm_token_hash: Set(None),
                confirm_expires_at: Set(None),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(owner_contacts::Column::ConfirmTokenHash.eq(token_hash(token)))
            .filter(owner_contacts::Column::ConfirmExpiresAt.gt(now))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 1 {
            Ok(())
        } else {
            Err(ContactError::LinkUnusable)
        }
    }

    /// Forgets the owner's address: no more e-mail.
    pub async fn remove_email(&self, owner: OwnerId) -> Result<(), StoreError> {
        owner_contacts::Entity::update_many()
            .set(owner_contacts::ActiveModel {
                email_sealed: Set(None),
                email_confirmed_at: Set(None),
                confirm_token_hash: Set(None),
                confirm_expires_at: Set(None),
                updated_at: Set(self.clock.now()),
                ..Default::default()
            })
            .filter(owner_contacts::Column::OwnerId.eq(owner.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The language the owner's notices are written in.
    pub async fn set_language(&self, owner: OwnerId, language: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        let row = owner_contacts::ActiveModel {
            owner_id: Set(owner.0),
            email_sealed: Set(None),
            email_confirmed_at: Set(None),
            confirm_token_hash: Set(None),
            confirm_expires_at: Set(None),
            language: Set(language.to_owned()),
            updated_at: Set(now),
        };
        let language_only = [
            owner_contacts::Column::Language,
            owner_contacts::Column::UpdatedAt,
        ];
        upsert(&self.db, row, &language_only).await
    }
}

/// Every column an address change writes.
const ALL_COLUMNS: [owner_contacts::Column; 6] = [
    owner_contacts::Column::EmailSealed,
    owner_contacts::Column::EmailConfirmedAt,
    owner_contacts::Column::ConfirmTokenHash,
    owner_contacts::Column::ConfirmExpiresAt,
    owner_contacts::Column::Language,
    owner_contacts::Column::UpdatedAt,
];

/// Inserts the owner's row, or updates `columns` of the one they have.
async fn upsert(
    db: &sea_orm::DatabaseConnection,
    row: owner_contacts::ActiveModel,
    columns: &[owner_contacts::Column],
) -> Result<(), StoreError> {
    owner_contacts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(owner_contacts::Column::OwnerId)
                .update_columns(columns.iter().copied())
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
