//! Login flows by age, for the purge that every new login runs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("login_flows_by_age")
                    .table(LoginFlows::Table)
                    .col(LoginFlows::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("login_flows_by_age")
                    .table(LoginFlows::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginFlows {
    Table,
    CreatedAt,
}
