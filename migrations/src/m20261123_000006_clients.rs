//! OAuth clients (portals and issuers) and the `jti`s of the client assertions they used, so a
//! replayed assertion is refused by every Kho process.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(string_len(Clients::ClientId, 64).primary_key())
                    .col(string_len(Clients::Name, 200))
                    .col(string_len(Clients::AgencyCode, 16))
                    .col(string_len(Clients::Role, 16))
                    .col(text(Clients::RedirectUris))
                    .col(text_null(Clients::Jwks))
                    .col(string_len_null(Clients::JwksUri, 500))
                    .col(string_len_null(Clients::SecretHash, 200))
                    .col(boolean(Clients::Disabled).default(false))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientAssertions::Table)
                    .col(string_len(ClientAssertions::JtiHash, 64).primary_key())
                    .col(timestamp_with_time_zone(ClientAssertions::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClientAssertions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    ClientId,
    Name,
    AgencyCode,
    Role,
    RedirectUris,
    Jwks,
    JwksUri,
    SecretHash,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClientAssertions {
    Table,
    JtiHash,
    ExpiresAt,
}
