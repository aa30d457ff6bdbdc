//! QR seals: one signed seal per sealed document (an issued result, or an uploaded document an
//! official checked against its original), kept so that the printed seal stays the same. The
//! time of the last status statement an issuer signed for a document, so an older statement
//! cannot be replayed over a newer one. And the owner's name, sealed with the owner's key, for
//! officials' look-ups.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Documents::Table)
                    .add_column(timestamp_with_time_zone_null(Documents::StatusSignedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Owners::Table)
                    .add_column(blob_null(Owners::NameSealed))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Seals::Table)
                    .col(uuid(Seals::Id).primary_key())
                    .col(uuid_uniq(Seals::DocumentId))
                    .col(uuid(Seals::OwnerId))
                    .col(string_len(Seals::Kid, 64))
                    .col(text(Seals::Token))
                    .col(timestamp_with_time_zone(Seals::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Seals::Table, Seals::DocumentId)
                            .to(Documents::Table, Documents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("seals_by_kid")
                    .table(Seals::Table)
                    .col(Seals::Kid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Seals::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Owners::Table)
                    .drop_column(Owners::NameSealed)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Documents::Table)
                    .drop_column(Documents::StatusSignedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    StatusSignedAt,
}

#[derive(DeriveIden)]
enum Owners {
    Table,
    NameSealed,
}

#[derive(DeriveIden)]
enum Seals {
    Table,
    Id,
    DocumentId,
    OwnerId,
    Kid,
    Token,
    CreatedAt,
}
