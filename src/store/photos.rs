//! A safety walk's photos in the store: blobs beside the log (the log carries
//! only their ids). A photo is private (staff only) until a moderator approves
//! it; approval writes the published copy and removes the original in one
//! statement; rejection, erasure and retention delete rows. After every removal
//! the backend's `after_scrub` runs, so the removed bytes are in no file (SQLite:
//! `secure_delete` and a checkpoint; PostgreSQL: the table rewritten).

use super::StoreError;
use super::sql::{Dialect, SqlStore, parse_uuid};
use super::statements::Sql;
use crate::domain::DialogueId;
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

/// A cleaned upload to keep, private.
#[derive(Clone)]
pub struct NewPhoto {
    pub dialogue: DialogueId,
    /// The hex SHA-256 of `jpeg`.
    pub id: String,
    pub uploaded_by: Uuid,
    pub idempotency_key: String,
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub at: i64,
}

impl std::fmt::Debug for NewPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewPhoto({}, {} bytes)", self.id, self.jpeg.len())
    }
}

/// Where a photo stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    /// Staff only; the original is kept.
    Private,
    /// The published copy is public; the original is gone.
    Published,
}

impl PhotoStatus {
    fn parse(s: &str) -> Result<PhotoStatus, StoreError> {
        match s {
            "private" => Ok(PhotoStatus::Private),
            "published" => Ok(PhotoStatus::Published),
            other => Err(StoreError::Config(format!("bad photo state {other:?}"))),
        }
    }
}

/// A stored photo; `original` while private, `published` after approval.
#[derive(Clone)]
pub struct PhotoRecord {
    pub id: String,
    pub uploaded_by: Uuid,
    pub status: PhotoStatus,
    pub original: Option<Vec<u8>>,
    pub published_id: Option<String>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for PhotoRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhotoRecord({}, {:?})", self.id, self.status)
    }
}

#[async_trait]
pub trait PhotoStore: Send + Sync {
    /// Keeps the photo, private. A retry with the same key, or the same bytes
    /// uploaded again, gives back the id kept before; nothing is written twice.
    async fn put_photo(&self, photo: &NewPhoto) -> Result<String, StoreError>;
    async fn photo(
        &self,
        dialogue: DialogueId,
        id: &str,
    ) -> Result<Option<PhotoRecord>, StoreError>;
    /// The published copy known by its own id, if published.
    async fn published_photo(
        &self,
        dialogue: DialogueId,
        published_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every published photo of the dialogue: (photo as uploaded, published copy).
    async fn published_photos(
        &self,
        dialogue: DialogueId,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// Publishes `copy` for a private photo and removes the original; false if
    /// the photo is not (or no longer) private.
    async fn publish_photo(
        &self,
        dialogue: DialogueId,
        id: &str,
        copy_id: &str,
        copy: &[u8],
        at: i64,
    ) -> Result<bool, StoreError>;
    /// Deletes a private photo (rejected); false if there was none.
    async fn delete_private_photo(
        &self,
        dialogue: DialogueId,
        id: &str,
    ) -> Result<bool, StoreError>;
    /// Deletes every photo this participant uploaded (erasure); how many went.
    async fn delete_photos_of(
        &self,
        dialogue: DialogueId,
        participant: Uuid,
    ) -> Result<u64, StoreError>;
    /// Deletes every photo never published (retention); how many went.
    async fn delete_private_photos(&self, dialogue: DialogueId) -> Result<u64, StoreError>;
}

const INSERT_PHOTO: Sql = Sql {
    sqlite: "INSERT INTO walk_photos (dialogue_id, id, uploaded_by, idempotency_key, state, original, width, height, created_at)
             VALUES (?, ?, ?, ?, 'private', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    postgres: "INSERT INTO walk_photos (dialogue_id, id, uploaded_by, idempotency_key, state, original, width, height, created_at)
               VALUES ($1::uuid, $2, $3::uuid, $4, 'private', $5, $6, $7, $8) ON CONFLICT DO NOTHING",
};
const PHOTO_BY_KEY: Sql = Sql {
    sqlite: "SELECT id FROM walk_photos WHERE dialogue_id = ? AND uploaded_by = ? AND idempotency_key = ?",
    postgres: "SELECT id FROM walk_photos WHERE dialogue_id = $1::uuid AND uploaded_by = $2::uuid AND idempotency_key = $3",
};
const SELECT_PHOTO: Sql = Sql {
    sqlite: "SELECT id, uploaded_by, state, original, published_id, width, height
             FROM walk_photos WHERE dialogue_id = ? AND id = ?",
    postgres:
        "SELECT id, uploaded_by::text AS uploaded_by, state, original, published_id, width, height
               FROM walk_photos WHERE dialogue_id = $1::uuid AND id = $2",
};
const SELECT_PUBLISHED: Sql = Sql {
    sqlite: "SELECT published FROM walk_photos
             WHERE dialogue_id = ? AND published_id = ? AND state = 'published'",
    postgres: "SELECT published FROM walk_photos
               WHERE dialogue_id = $1::uuid AND published_id = $2 AND state = 'published'",
};
const PUBLISHED_IDS: Sql = Sql {
    sqlite: "SELECT id, published_id FROM walk_photos WHERE dialogue_id = ? AND state = 'published'",
    postgres: "SELECT id, published_id FROM walk_photos WHERE dialogue_id = $1::uuid AND state = 'published'",
};
const PUBLISH: Sql = Sql {
    sqlite: "UPDATE walk_photos SET state = 'published', published_id = ?, published = ?, original = NULL, decided_at = ?
             WHERE dialogue_id = ? AND id = ? AND state = 'private'",
    postgres: "UPDATE walk_photos SET state = 'published', published_id = $1, published = $2, original = NULL, decided_at = $3
               WHERE dialogue_id = $4::uuid AND id = $5 AND state = 'private'",
};
const DELETE_PRIVATE: Sql = Sql {
    sqlite: "DELETE FROM walk_photos WHERE dialogue_id = ? AND id = ? AND state = 'private'",
    postgres: "DELETE FROM walk_photos WHERE dialogue_id = $1::uuid AND id = $2 AND state = 'private'",
};
const DELETE_OF: Sql = Sql {
    sqlite: "DELETE FROM walk_photos WHERE dialogue_id = ? AND uploaded_by = ?",
    postgres: "DELETE FROM walk_photos WHERE dialogue_id = $1::uuid AND uploaded_by = $2::uuid",
};
const DELETE_ALL_PRIVATE: Sql = Sql {
    sqlite: "DELETE FROM walk_photos WHERE dialogue_id = ? AND state = 'private'",
    postgres: "DELETE FROM walk_photos WHERE dialogue_id = $1::uuid AND state = 'private'",
};

#[async_trait]
impl<D> PhotoStore for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Vec<u8>: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<Vec<u8>>: for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    async fn put_photo(&self, p: &NewPhoto) -> Result<String, StoreError> {
        let key = || {
            Self::q(&PHOTO_BY_KEY)
                .bind(p.dialogue.to_string())
                .bind(p.uploaded_by.to_string())
                .bind(p.idempotency_key.clone())
        };
        if let Some(row) = key().fetch_optional(&self.write).await? {
            return Ok(row.get("id"));
        }
        Self::q(&INSERT_PHOTO)
            .bind(p.dialogue.to_string())
            .bind(p.id.clone())
            .bind(p.uploaded_by.to_string())
            .bind(p.idempotency_key.clone())
            .bind(p.jpeg.clone())
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(p.at)
            .execute(&self.write)
            .await?;
        // Either this insert, a retry that raced it under the same key, or the
        // same bytes kept before (under another key): the id is the bytes' hash.
        Ok(match key().fetch_optional(&self.write).await? {
            Some(row) => row.get("id"),
            None => p.id.clone(),
        })
    }

    async fn photo(
        &self,
        dialogue: DialogueId,
        id: &str,
    ) -> Result<Option<PhotoRecord>, StoreError> {
        let Some(row) = Self::q(&SELECT_PHOTO)
            .bind(dialogue.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(PhotoRecord {
            id: row.get("id"),
            uploaded_by: parse_uuid(&row.get::<String, _>("uploaded_by"))?,
            status: PhotoStatus::parse(&row.get::<String, _>("state"))?,
            original: row.get("original"),
            published_id: row.get("published_id"),
            width: row.get::<i64, _>("width") as u32,
            height: row.get::<i64, _>("height") as u32,
        }))
    }

    async fn published_photo(
        &self,
        dialogue: DialogueId,
        published_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = Self::q(&SELECT_PUBLISHED)
            .bind(dialogue.to_string())
            .bind(published_id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.and_then(|r| r.get::<Option<Vec<u8>>, _>("published")))
    }

    async fn published_photos(
        &self,
        dialogue: DialogueId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(Self::q(&PUBLISHED_IDS)
            .bind(dialogue.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .filter_map(|r| Some((r.get("id"), r.get::<Option<String>, _>("published_id")?)))
            .collect())
    }

    async fn publish_photo(
        &self,
        dialogue: DialogueId,
        id: &str,
        copy_id: &str,
        copy: &[u8],
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = Self::q(&PUBLISH)
            .bind(copy_id.to_string())
            .bind(copy.to_vec())
            .bind(at)
            .bind(dialogue.to_string())
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        self.removed(D::rows_affected(&done)).await.map(|n| n > 0)
    }

    async fn delete_private_photo(
        &self,
        dialogue: DialogueId,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = Self::q(&DELETE_PRIVATE)
            .bind(dialogue.to_string())
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        self.removed(D::rows_affected(&done)).await.map(|n| n > 0)
    }

    async fn delete_photos_of(
        &self,
        dialogue: DialogueId,
        participant: Uuid,
    ) -> Result<u64, StoreError> {
        let done = Self::q(&DELETE_OF)
            .bind(dialogue.to_string())
            .bind(participant.to_string())
            .execute(&self.write)
            .await?;
        self.removed(D::rows_affected(&done)).await
    }

    async fn delete_private_photos(&self, dialogue: DialogueId) -> Result<u64, StoreError> {
        let done = Self::q(&DELETE_ALL_PRIVATE)
            .bind(dialogue.to_string())
            .execute(&self.write)
            .await?;
        self.removed(D::rows_affected(&done)).await
    }
}

impl<D: Dialect> SqlStore<D> {
    /// After bytes were removed: out of the files too, as after a scrub.
    async fn removed(&self, rows: u64) -> Result<u64, StoreError> {
        if rows > 0 {
            D::after_scrub(&self.write).await?;
        }
        Ok(rows)
    }
}
