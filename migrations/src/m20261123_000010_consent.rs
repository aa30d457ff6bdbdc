//! Consent and retrieval: pushed authorization requests, consents and the documents each covers,
//! the one-time handles a portal redeems at the token endpoint (authorization codes and CIBA
//! `auth_req_id`s), DPoP-bound access tokens, and the DPoP proofs already seen.
//!
//! Every handle and token is stored only as the hex SHA-256 of its value.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ParRequests::Table)
                    .col(string_len(ParRequests::HandleHash, 64).primary_key())
                    .col(string_len(ParRequests::ClientId, 64))
                    .col(text(ParRequests::RedirectUri))
                    .col(text_null(ParRequests::State))
                    .col(string_len(ParRequests::CodeChallenge, 128))
                    .col(string_len_null(ParRequests::DpopJkt, 64))
                    .col(text(ParRequests::Details))
                    .col(timestamp_with_time_zone(ParRequests::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ParRequests::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(uuid(Consents::Id).primary_key())
                    .col(uuid(Consents::OwnerId))
                    .col(string_len(Consents::ClientId, 64))
                    .col(string_len(Consents::AgencyCode, 32))
                    .col(string_len(Consents::Flow, 16))
                    .col(string_len(Consents::Procedure, 64))
                    .col(string_len_null(Consents::Dossier, 64))
                    .col(blob(Consents::PurposeSealed))
                    .col(blob_null(Consents::BindingMessageSealed))
                    .col(text(Consents::DocumentTypes))
                    .col(string_len(Consents::Access, 16))
                    .col(big_integer(Consents::ExpiresIn))
                    .col(timestamp_with_time_zone(Consents::ExpiresAt))
                    .col(string_len(Consents::Status, 16))
                    .col(timestamp_with_time_zone(Consents::CreatedAt))
                    .col(timestamp_with_time_zone_null(Consents::DecidedAt))
                    .col(uuid_null(Consents::DecidedBy))
                    .col(timestamp_with_time_zone_null(Consents::WithdrawnAt))
                    .col(timestamp_with_time_zone_null(Consents::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consents_owner_created")
                    .table(Consents::Table)
                    .col(Consents::OwnerId)
                    .col(Consents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentDocuments::Table)
                    .col(uuid(ConsentDocuments::ConsentId))
                    .col(uuid(ConsentDocuments::DocumentId))
                    .col(timestamp_with_time_zone_null(ConsentDocuments::ClaimedAt))
                    .col(timestamp_with_time_zone_null(ConsentDocuments::FetchedAt))
                    .primary_key(
                        Index::create()
                            .col(ConsentDocuments::ConsentId)
                            .col(ConsentDocuments::DocumentId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(string_len(Grants::HandleHash, 64).primary_key())
                    .col(uuid(Grants::ConsentId))
                    .col(string_len(Grants::ClientId, 64))
                    .col(string_len(Grants::Kind, 16))
                    .col(text_null(Grants::RedirectUri))
                    .col(string_len_null(Grants::CodeChallenge, 128))
                    .col(string_len_null(Grants::DpopJkt, 64))
                    .col(timestamp_with_time_zone(Grants::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Grants::RedeemedAt))
                    .col(integer_null(Grants::IntervalSecs))
                    .col(timestamp_with_time_zone_null(Grants::NextPollAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessTokens::Table)
                    .col(string_len(AccessTokens::TokenHash, 64).primary_key())
                    .col(uuid(AccessTokens::ConsentId))
                    .col(string_len(AccessTokens::ClientId, 64))
                    .col(string_len(AccessTokens::Jkt, 64))
                    .col(timestamp_with_time_zone(AccessTokens::CreatedAt))
                    .col(timestamp_with_time_zone(AccessTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AccessTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("access_tokens_consent")
                    .table(AccessTokens::Table)
                    .col(AccessTokens::ConsentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DpopProofs::Table)
                    .col(string_len(DpopProofs::ProofHash, 64).primary_key())
                    .col(timestamp_with_time_zone(DpopProofs::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dpop_proofs_expiry")
                    .table(DpopProofs::Table)
                    .col(DpopProofs::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DpopProofs::Table.into_iden(),
            AccessTokens::Table.into_iden(),
            Grants::Table.into_iden(),
            ConsentDocuments::Table.into_iden(),
            Consents::Table.into_iden(),
            ParRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ParRequests {
    Table,
    HandleHash,
    ClientId,
    RedirectUri,
    State,
    CodeChallenge,
    DpopJkt,
    Details,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    OwnerId,
    ClientId,
    AgencyCode,
    Flow,
    Procedure,
    Dossier,
    PurposeSealed,
    BindingMessageSealed,
    DocumentTypes,
    Access,
    ExpiresIn,
    ExpiresAt,
    Status,
    CreatedAt,
    DecidedAt,
    DecidedBy,
    WithdrawnAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ConsentDocuments {
    Table,
    ConsentId,
    DocumentId,
    ClaimedAt,
    FetchedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    HandleHash,
    ConsentId,
    ClientId,
    Kind,
    RedirectUri,
    CodeChallenge,
    DpopJkt,
    ExpiresAt,
    RedeemedAt,
    IntervalSecs,
    NextPollAt,
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    TokenHash,
    ConsentId,
    ClientId,
    Jkt,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum DpopProofs {
    Table,
    ProofHash,
    ExpiresAt,
}
