//! A `once` fetch that did not reach the portal may be tried again, but only a few times:
//! `consent_documents.retries` counts the claims given back (or taken over when stale).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentDocuments::Table)
                    .add_column(
                        ColumnDef::new(ConsentDocuments::Retries)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentDocuments::Table)
                    .drop_column(ConsentDocuments::Retries)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ConsentDocuments {
    Table,
    Retries,
}
