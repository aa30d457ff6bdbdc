//! Issued results: who pushed a document and the issuer's signature over it (kept as
//! provenance), the reason of a status change, and one document per result code. And an
//! official's check of an uploaded document against its original: who (sealed with the owner's
//! key), when, how.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in [
            string_len_null(Documents::IssuerClient, 64),
            text_null(Documents::IssuerSignature),
            text_null(Documents::StatusReason),
            blob_null(Documents::VerifiedBySealed),
            timestamp_with_time_zone_null(Documents::VerifiedAt),
            string_len_null(Documents::VerificationMethod, 200),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Documents::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("documents_result_code")
                    .table(Documents::Table)
                    .col(Documents::ResultCode)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("documents_result_code")
                    .table(Documents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Documents::VerificationMethod,
            Documents::VerifiedAt,
            Documents::VerifiedBySealed,
            Documents::StatusReason,
            Documents::IssuerSignature,
            Documents::IssuerClient,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Documents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    ResultCode,
    IssuerClient,
    IssuerSignature,
    StatusReason,
    VerifiedBySealed,
    VerifiedAt,
    VerificationMethod,
}
