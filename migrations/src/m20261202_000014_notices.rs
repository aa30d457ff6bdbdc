//! Notices: what the owner is told — in the app, and by e-mail to an address they confirmed. A
//! notice row is written in the same transaction as the event it tells of; its `mail_*` columns
//! are the transactional outbox a sender works through (claim with a lease, send, mark sent).
//!
//! And owners' contact settings: an e-mail address sealed with the owner's key, confirmed by a
//! link whose token is kept only as a hash, and the language notices are written in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(uuid(Notices::Id).primary_key())
                    .col(uuid(Notices::OwnerId))
                    .col(string_len(Notices::Kind, 32))
                    .col(uuid_null(Notices::Subject))
                    // Unique per owner: the same event is told once, however often it is seen.
                    .col(string_len(Notices::Dedupe, 96))
                    .col(timestamp_with_time_zone(Notices::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notices::ReadAt))
                    // `none` (no confirmed address), `pending`, `sent` or `failed`.
                    .col(string_len(Notices::MailState, 16))
                    .col(integer(Notices::MailAttempts).default(0))
                    .col(timestamp_with_time_zone_null(Notices::MailNextAt))
                    .col(timestamp_with_time_zone_null(Notices::MailLeaseUntil))
                    .col(timestamp_with_time_zone_null(Notices::MailSentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notices::Table, Notices::OwnerId)
                            .to(Owners::Table, Owners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notices_once_per_event")
                    .table(Notices::Table)
                    .col(Notices::OwnerId)
                    .col(Notices::Dedupe)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notices_by_owner")
                    .table(Notices::Table)
                    .col(Notices::OwnerId)
                    .col(Notices::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notices_outbox")
                    .table(Notices::Table)
                    .col(Notices::MailState)
                    .col(Notices::MailNextAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OwnerContacts::Table)
                    .col(uuid(OwnerContacts::OwnerId).primary_key())
                    .col(blob_null(OwnerContacts::EmailSealed))
                    .col(timestamp_with_time_zone_null(
                        OwnerContacts::EmailConfirmedAt,
                    ))
                    .col(string_len_null(OwnerContacts::ConfirmTokenHash, 64))
                    .col(timestamp_with_time_zone_null(
                        OwnerContacts::ConfirmExpiresAt,
                    ))
                    .col(string_len(OwnerContacts::Language, 8))
                    .col(timestamp_with_time_zone(OwnerContacts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OwnerContacts::Table, OwnerContacts::OwnerId)
                            .to(Owners::Table, Owners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("owner_contacts_by_confirm_token")
                    .table(OwnerContacts::Table)
                    .col(OwnerContacts::ConfirmTokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OwnerContacts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Owners {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    OwnerId,
    Kind,
    Subject,
    Dedupe,
    CreatedAt,
    ReadAt,
    MailState,
    MailAttempts,
    MailNextAt,
    MailLeaseUntil,
    MailSentAt,
}

#[derive(DeriveIden)]
enum OwnerContacts {
    Table,
    OwnerId,
    EmailSealed,
    EmailConfirmedAt,
    ConfirmTokenHash,
    ConfirmExpiresAt,
    Language,
    UpdatedAt,
}
