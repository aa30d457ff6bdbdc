//! Documents: plaintext columns are codes, dates and states; titles and numbers are sealed with
//! the owner's data key; the content lives in the blob store under `blob_key`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_owners::Owners;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(uuid(Documents::Id).primary_key())
                    .col(uuid(Documents::OwnerId))
                    .col(integer(Documents::Version))
                    .col(string_len(Documents::TypeCode, 64))
                    .col(blob(Documents::TitleSealed))
                    .col(blob_null(Documents::NumberSealed))
                    .col(string_len_null(Documents::IssuingAgency, 16))
                    .col(date_null(Documents::IssueDate))
                    .col(date_null(Documents::ValidUntil))
                    .col(string_len_null(Documents::ResultCode, 64))
                    .col(string_len(Documents::Source, 16))
                    .col(string_len(Documents::Verification, 16))
                    .col(string_len(Documents::Status, 16))
                    .col(timestamp_with_time_zone(Documents::StatusChangedAt))
                    .col(string_len(Documents::ContentType, 64))
                    .col(big_integer(Documents::Size))
                    .col(string_len(Documents::Sha256, 64))
                    .col(string_len(Documents::BlobKey, 200))
                    .col(timestamp_with_time_zone(Documents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::OwnerId)
                            .to(Owners::Table, Owners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("documents_by_owner")
                    .table(Documents::Table)
                    .col(Documents::OwnerId)
                    .col(Documents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    OwnerId,
    Version,
    TypeCode,
    TitleSealed,
    NumberSealed,
    IssuingAgency,
    IssueDate,
    ValidUntil,
    ResultCode,
    Source,
    Verification,
    Status,
    StatusChangedAt,
    ContentType,
    Size,
    Sha256,
    BlobKey,
    CreatedAt,
}
