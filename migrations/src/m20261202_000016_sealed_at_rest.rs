//! Personal data that was kept in plain columns is sealed with the owner's key: how an official
//! checked a document, why an issuer revoked it, and a guardianship's end (the child's 18th
//! birthday), and an uploaded document's SHA-256 (sealed text is longer than 64 characters, so
//! the column becomes unbounded text). The plain columns stay for rows written before; `kho
//! serve` seals the documents' and empties their plain columns.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite's text has no length; PostgreSQL's varchar(64) must grow.
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .alter_table(
                    Table::alter()
                        .table(Documents::Table)
                        .modify_column(ColumnDef::new(Documents::Sha256).text().not_null())
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Documents::VerificationMethodSealed,
            Documents::StatusReasonSealed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Documents::Table)
                        .add_column(ColumnDef::new(column).blob().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Mandates::Table)
                    .add_column(ColumnDef::new(Mandates::ValidUntilSealed).blob().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Documents::VerificationMethodSealed,
            Documents::StatusReasonSealed,
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
        manager
            .alter_table(
                Table::alter()
                    .table(Mandates::Table)
                    .drop_column(Mandates::ValidUntilSealed)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Sha256,
    VerificationMethodSealed,
    StatusReasonSealed,
}

#[derive(DeriveIden)]
enum Mandates {
    Table,
    ValidUntilSealed,
}
