//! Documents no longer name the official who checked them against their original: the owner's
//! access log does, and only it. The sealed names kept so far are dropped.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::update()
                    .table(Documents::Table)
                    .value(Documents::VerifiedBySealed, Option::<Vec<u8>>::None)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // What was dropped cannot come back.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    VerifiedBySealed,
}
