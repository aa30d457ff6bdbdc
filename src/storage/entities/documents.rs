//! `documents`: metadata of each document version; sealed fields are opened with the owner's key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub version: i32,
    pub type_code: String,
    pub title_sealed: Vec<u8>,
    pub number_sealed: Option<Vec<u8>>,
    pub issuing_agency: Option<String>,
    pub issue_date: Option<Date>,
    pub valid_until: Option<Date>,
    pub result_code: Option<String>,
    pub source: String,
    pub verification: String,
    pub status: String,
    pub status_changed_at: DateTimeUtc,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: DateTimeUtc,
    /// The issuer (OAuth client) that pushed an issued document.
    pub issuer_client: Option<String>,
    /// The issuer's compact JWS over the metadata and the content's SHA-256, kept as provenance:
    /// sealed with the owner's key (it names the owner), base64.
    pub issuer_signature: Option<String>,
    /// Why the status last changed (a revocation's reason): plain only in rows written before
    /// it was sealed (`kho serve` seals those).
    pub status_reason: Option<String>,
    /// The official who checked an uploaded document against its original (their identifier,
    /// sealed with the owner's key), when, and how.
    pub verified_by_sealed: Option<Vec<u8>>,
    pub verified_at: Option<DateTimeUtc>,
    /// Plain only in rows written before it was sealed (`kho serve` seals those).
    pub verification_method: Option<String>,
    /// The `iat` of the last status statement applied: an older one is refused.
    pub status_signed_at: Option<DateTimeUtc>,
    /// How an official checked the document, sealed with the owner's key.
    pub verification_method_sealed: Option<Vec<u8>>,
    /// Why the status last changed (a revocation's reason), sealed with the owner's key.
    pub status_reason_sealed: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
