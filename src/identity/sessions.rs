//! Session storage. The cookie carries a random token; the database keeps only its SHA-256, the
//! owner, the CSRF token and the times that bound the session.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::random_token;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::sessions;

/// How stale `last_seen_at` may get before a request refreshes it (saves a write per request).
const TOUCH_AFTER: Duration = Duration::seconds(60);

/// A live session. Its `Debug` leaves out the CSRF token.
#[derive(Clone)]
pub struct Session {
    pub owner: OwnerId,
    pub csrf_token: String,
    /// Signed in with the official role (from the OpenID Provider's role claim).
    pub official: bool,
    /// The signed-in person's own store (the same as `owner` unless acting for someone).
    pub person: OwnerId,
    /// The mandate the person acts under, if acting for someone else.
    pub mandate: Option<uuid::Uuid>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("owner", &self.owner)
            .field("person", &self.person)
            .field("mandate", &self.mandate)
            .field("official", &self.official)
            .finish_non_exhaustive()
    }
}

/// Browser sessions, holding what they need: the database, the idle and absolute limits, the
/// profile (for the cookie's name) and the clock.
#[derive(Clone, Debug)]
pub struct Sessions {
    db: DatabaseConnection,
    idle: Duration,
    absolute: Duration,
    production: bool,
    clock: Clock,
}

impl Sessions {
    pub fn new(db: DatabaseConnection, settings: &Settings, clock: Clock) -> Self {
        Self {
            db,
            idle: Duration::minutes(i64::from(settings.session_idle_minutes)),
            absolute: Duration::hours(i64::from(settings.session_absolute_hours)),
            production: settings.is_production(),
            clock,
        }
    }

    /// The name of the session cookie: `__Host-` outside dev, so browsers insist on Secure, Path=/
    /// and no Domain.
    pub fn cookie_name(&self) -> &'static str {
        if self.production {
            "__Host-kho_session"
        } else {
            "kho_session"
        }
    }

    /// Starts a session for `owner`; returns the token for the cookie. Always a new token: a session
    /// id is never carried over from before sign-in.
    pub async fn create(&self, owner: OwnerId, official: bool) -> Result<String, StoreError> {
        let token = random_token()?;
        let now = self.clock.now();
        sessions::Entity::insert(sessions::ActiveModel {
            token_hash: Set(hash(&token)),
            owner_id: Set(owner.0),
            csrf_token: Set(random_token()?),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + self.absolute),
            official: Set(official),
            person_id: Set(None),
            mandate_id: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(token)
    }

    /// The session a token belongs to, if it is still live; refreshes its idle timer.
    pub async fn lookup(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let Some(row) = sessions::Entity::find_by_id(hash(token))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let idle = self.idle;
        if !is_live(now, row.expires_at, row.last_seen_at, idle) {
            sessions::Entity::delete_by_id(row.token_hash)
                .exec(&self.db)
                .await?;
            return Ok(None);
        }
        if now - row.last_seen_at > TOUCH_AFTER {
            sessions::Entity::update_many()
                .set(sessions::ActiveModel {
                    last_seen_at: Set(now),
                    ..Default::default()
                })
                .filter(sessions::Column::TokenHash.eq(row.token_hash.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(Some(Session {
            owner: OwnerId(row.owner_id),
            csrf_token: row.csrf_token,
            official: row.official,
            person: OwnerId(row.person_id.unwrap_or(row.owner_id)),
            mandate: row.mandate_id,
        }))
    }

    /// Deletes sessions past their absolute end, and idle ones; returns how many.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let idle_since = now - self.idle;
        let gone = sessions::Entity::delete_many()
            .filter(
                sessions::Column::ExpiresAt
                    .lt(now)
                    .or(sessions::Column::LastSeenAt.lt(idle_since)),
            )
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected)
    }

    /// Makes the session of `token` act for `owner` under `mandate`, or for the person themself.
    pub async fn act_as(
        &self,
        token: &str,
        session: &Session,
        owner: OwnerId,
        mandate: Option<uuid::Uuid>,
    ) -> Result<(), StoreError> {
        let person = (owner != session.person).then_some(session.person.0);
        sessions::Entity::update_many()
            .set(sessions::ActiveModel {
                owner_id: Set(owner.0),
                person_id: Set(person),
                mandate_id: Set(mandate),
                ..Default::default()
            })
            .filter(sessions::Column::TokenHash.eq(hash(token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends the session of `token` (sign-out).
    pub async fn delete(&self, token: &str) -> Result<(), StoreError> {
        sessions::Entity::delete_by_id(hash(token))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Ends every session in which `person` acts for someone else (their own go with their store).
pub async fn forget_person(db: &DatabaseConnection, person: OwnerId) -> Result<(), StoreError> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::PersonId.eq(person.0))
        .exec(db)
        .await?;
    Ok(())
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn is_live(
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    idle: Duration,
) -> bool {
    now < expires_at && now - last_seen_at < idle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_at_the_absolute_limit_and_when_idle() {
        let now = Clock::system().now();
        let idle = Duration::minutes(30);
        assert!(is_live(
            now,
            now + Duration::hours(1),
            now - Duration::minutes(5),
            idle
        ));
        assert!(!is_live(now, now - Duration::seconds(1), now, idle));
        assert!(!is_live(
            now,
            now + Duration::hours(1),
            now - Duration::minutes(31),
            idle
        ));
    }
}
