//! Mandates: a person (by blind index; sealed for the owner to read) may act for an owner within
//! scopes, between dates, on a recorded basis. Sessions remember whom the person acts for.

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
                    .table(Mandates::Table)
                    .col(uuid(Mandates::Id).primary_key())
                    .col(uuid(Mandates::OwnerId))
                    .col(string_len(Mandates::RepresentativeIndex, 64))
                    .col(blob(Mandates::RepresentativeSealed))
                    .col(string_len(Mandates::Kind, 16))
                    .col(string_len(Mandates::Scopes, 64))
                    .col(string_len(Mandates::Basis, 32))
                    .col(timestamp_with_time_zone(Mandates::ValidFrom))
                    .col(timestamp_with_time_zone_null(Mandates::ValidUntil))
                    .col(timestamp_with_time_zone(Mandates::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mandates::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mandates::Table, Mandates::OwnerId)
                            .to(Owners::Table, Owners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mandates_by_representative")
                    .table(Mandates::Table)
                    .col(Mandates::RepresentativeIndex)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Sessions::PersonId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Sessions::MandateId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::MandateId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Mandates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Mandates {
    Table,
    Id,
    OwnerId,
    RepresentativeIndex,
    RepresentativeSealed,
    Kind,
    Scopes,
    Basis,
    ValidFrom,
    ValidUntil,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    PersonId,
    MandateId,
}
