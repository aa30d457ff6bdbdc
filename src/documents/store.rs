//! Owner-scoped document queries. Every function takes the owner: there is no way to reach a
//! document by id alone, so another owner's document is simply "not found".

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::model::Status;
use crate::ids::DocumentTypeCode;
use crate::owners::OwnerId;
use crate::storage::entities::documents::{ActiveModel, Column, Entity, Model};

/// Which documents a list shows: newest first, optionally one type, after a cursor.
#[derive(Debug, Clone, Copy)]
pub struct ListFilter {
    pub type_code: Option<DocumentTypeCode>,
    /// The last id of the previous page.
    pub cursor: Option<Uuid>,
    pub limit: u64,
}

pub(super) async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    row: ActiveModel,
) -> Result<(), DbErr> {
    Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

pub(super) async fn get(
    db: &DatabaseConnection,
    owner: OwnerId,
    id: Uuid,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::Id.eq(id))
        .one(db)
        .await
}

/// Up to `limit + 1` rows, so the caller can tell whether another page follows. Ids are UUIDv7,
/// so ordering by id is ordering by creation.
pub(super) async fn list(
    db: &DatabaseConnection,
    owner: OwnerId,
    filter: &ListFilter,
) -> Result<Vec<Model>, DbErr> {
    let mut query = Entity::find().filter(Column::OwnerId.eq(owner.0));
    if let Some(type_code) = filter.type_code {
        query = query.filter(Column::TypeCode.eq(type_code.as_str()));
    }
    if let Some(cursor) = filter.cursor {
        query = query.filter(Column::Id.lt(cursor));
    }
    query
        .order_by_desc(Column::Id)
        .limit(filter.limit + 1)
        .all(db)
        .await
}

/// Applies `changes` to the owner's document; false if there is no such document.
pub(super) async fn update(
    db: &DatabaseConnection,
    owner: OwnerId,
    id: Uuid,
    changes: ActiveModel,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .set(changes)
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub(super) async fn delete(
    db: &DatabaseConnection,
    owner: OwnerId,
    id: Uuid,
) -> Result<bool, DbErr> {
    let result = Entity::delete_many()
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The owner's rows among `ids`, oldest first.
pub(super) async fn by_ids(
    conn: &impl sea_orm::ConnectionTrait,
    owner: OwnerId,
    ids: &[Uuid],
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await
}

/// The owner's newest rows of the given types, `limit` at most.
pub(super) async fn of_types(
    db: &impl sea_orm::ConnectionTrait,
    owner: OwnerId,
    types: &[String],
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::TypeCode.is_in(types.iter().cloned()))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks the owner's earlier result `id` superseded, now. A valid one, or one whose revocation
/// is only scheduled (a revocation not yet in effect does not hide the newer version); one
/// already revoked or superseded keeps its status.
pub(super) async fn supersede(
    conn: &impl sea_orm::ConnectionTrait,
    owner: OwnerId,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    use sea_orm::Condition;
    use sea_orm::sea_query::Expr;
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Superseded.as_str()))
        .col_expr(Column::StatusChangedAt, Expr::value(now))
        .filter(Column::OwnerId.eq(owner.0))
        .filter(Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(Column::Status.eq(Status::Valid.as_str()))
                .add(
                    Condition::all()
                        .add(Column::Status.eq(Status::Revoked.as_str()))
                        .add(Column::StatusChangedAt.gt(now)),
                ),
        )
        .exec(conn)
        .await?;
    Ok(())
}
