//! The access log: every read of an owner's data by anyone but the owner, allowed or denied,
//! hash-chained per owner (`seq` 1, 2, 3…; each entry's `hash` covers the previous one's).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessLog::Table)
                    .col(uuid(AccessLog::OwnerId))
                    .col(big_integer(AccessLog::Seq))
                    .col(string_len(AccessLog::At, 40))
                    .col(string_len(AccessLog::ActorKind, 32))
                    .col(uuid_null(AccessLog::ActorPerson))
                    .col(uuid_null(AccessLog::ActorMandate))
                    .col(string_len_null(AccessLog::ActorClient, 64))
                    .col(string_len(AccessLog::Action, 32))
                    .col(uuid_null(AccessLog::DocumentId))
                    .col(string_len(AccessLog::Outcome, 16))
                    .col(string_len_null(AccessLog::Detail, 200))
                    .col(string_len(AccessLog::PrevHash, 64))
                    .col(string_len(AccessLog::Hash, 64))
                    .primary_key(Index::create().col(AccessLog::OwnerId).col(AccessLog::Seq))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccessLog {
    Table,
    OwnerId,
    Seq,
    At,
    ActorKind,
    ActorPerson,
    ActorMandate,
    ActorClient,
    Action,
    DocumentId,
    Outcome,
    Detail,
    PrevHash,
    Hash,
}
