//! Access log, version 2 of the entry: who read through which consent, for which procedure and
//! dossier, or under which case (officials). Version 1 rows keep their version and their hash.
//! And the store's signed checkpoints of each owner's chain.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            small_integer(AccessLog::Version).default(1).to_owned(),
            string_len_null(AccessLog::ActorAgency, 32),
            uuid_null(AccessLog::ConsentId),
            string_len_null(AccessLog::Procedure, 64),
            string_len_null(AccessLog::Dossier, 64),
            string_len_null(AccessLog::CaseRef, 128),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessLog::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoints::Table)
                    .col(uuid(AuditCheckpoints::OwnerId))
                    .col(big_integer(AuditCheckpoints::Seq))
                    .col(string_len(AuditCheckpoints::Hash, 64))
                    .col(timestamp_with_time_zone(AuditCheckpoints::CreatedAt))
                    .col(text(AuditCheckpoints::Jws))
                    .primary_key(
                        Index::create()
                            .col(AuditCheckpoints::OwnerId)
                            .col(AuditCheckpoints::Seq),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditCheckpoints::Table).to_owned())
            .await?;
        for column in [
            AccessLog::CaseRef,
            AccessLog::Dossier,
            AccessLog::Procedure,
            AccessLog::ConsentId,
            AccessLog::ActorAgency,
            AccessLog::Version,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessLog::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AccessLog {
    Table,
    Version,
    ActorAgency,
    ConsentId,
    Procedure,
    Dossier,
    CaseRef,
}

#[derive(DeriveIden)]
enum AuditCheckpoints {
    Table,
    OwnerId,
    Seq,
    Hash,
    CreatedAt,
    Jws,
}
