//! OpenID Connect login: pending login flows (state, nonce, PKCE verifier, bound to the browser
//! by a cookie whose hash is the key), and whether a session belongs to an official.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginFlows::Table)
                    .col(string_len(LoginFlows::BrowserHash, 64).primary_key())
                    .col(string_len(LoginFlows::State, 128))
                    .col(string_len(LoginFlows::Nonce, 128))
                    .col(string_len(LoginFlows::PkceVerifier, 128))
                    .col(timestamp_with_time_zone(LoginFlows::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(boolean(Sessions::Official).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::Official)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginFlows::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginFlows {
    Table,
    BrowserHash,
    State,
    Nonce,
    PkceVerifier,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Official,
}
