//! Owners and their wrapped data keys. No owner identifier is stored in plaintext: only a keyed
//! blind index (for sign-in look-ups) and a copy sealed with the owner's own data key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Owners::Table)
                    .col(uuid(Owners::Id).primary_key())
                    .col(string_len(Owners::Kind, 16))
                    .col(string_len_uniq(Owners::IdentifierIndex, 64))
                    .col(blob(Owners::IdentifierSealed))
                    .col(timestamp_with_time_zone(Owners::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OwnerKeys::Table)
                    .col(uuid(OwnerKeys::OwnerId).primary_key())
                    .col(string_len(OwnerKeys::KekId, 64))
                    .col(blob(OwnerKeys::Wrapped))
                    .col(timestamp_with_time_zone(OwnerKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(OwnerKeys::RewrappedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OwnerKeys::Table, OwnerKeys::OwnerId)
                            .to(Owners::Table, Owners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("owner_keys_by_kek")
                    .table(OwnerKeys::Table)
                    .col(OwnerKeys::KekId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OwnerKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Owners::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Owners {
    Table,
    Id,
    Kind,
    IdentifierIndex,
    IdentifierSealed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OwnerKeys {
    Table,
    OwnerId,
    KekId,
    Wrapped,
    CreatedAt,
    RewrappedAt,
}
