//! A district's own information posts (beside its dialogues' logs): written by
//! its staff over REST, read by the district page and feed. A retried post (same
//! idempotency key in the same district) finds the first one and writes nothing.

use super::StoreError;
use super::sql::{Dialect, SqlStore, parse_uuid};
use super::statements::Sql;
use crate::domain::access::DistrictId;
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

/// One post as stored. Times in ms since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictPost {
    pub id: Uuid,
    pub district: DistrictId,
    /// The staff member who posted (never shown; kept for the audit).
    pub author: Uuid,
    pub title: String,
    pub text: String,
    pub source: String,
    pub link: Option<String>,
    /// The data series as CSV, checked before it was stored.
    pub series_csv: Option<String>,
    /// Where the numbers come from (e.g. Brå's statistics of reported crimes).
    pub series_source: Option<String>,
    pub posted_at: i64,
}

#[async_trait]
pub trait DistrictStore: Send + Sync {
    /// Stores the post unless one with `key` exists in its district; returns the
    /// one stored under `key` (this one, or the earlier).
    async fn add_district_post(
        &self,
        post: &DistrictPost,
        key: &str,
    ) -> Result<DistrictPost, StoreError>;
    /// The district's posts, newest first.
    async fn district_posts(&self, district: &DistrictId) -> Result<Vec<DistrictPost>, StoreError>;
}

#[cfg(test)]
const COLUMNS: &str =
    "id, district, author, title, text, source, link, series_csv, series_source, posted_at";

const INSERT_POST: Sql = Sql {
    sqlite: "INSERT INTO district_posts (id, district, idem_key, author, title, text, source, link, series_csv, series_source, posted_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (district, idem_key) DO NOTHING",
    postgres: "INSERT INTO district_posts (id, district, idem_key, author, title, text, source, link, series_csv, series_source, posted_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (district, idem_key) DO NOTHING",
};
const POST_BY_KEY: Sql = Sql {
    sqlite: "SELECT id, district, author, title, text, source, link, series_csv, series_source, posted_at
             FROM district_posts WHERE district = ? AND idem_key = ?",
    postgres: "SELECT id, district, author, title, text, source, link, series_csv, series_source, posted_at
               FROM district_posts WHERE district = $1 AND idem_key = $2",
};
const POSTS_OF: Sql = Sql {
    sqlite: "SELECT id, district, author, title, text, source, link, series_csv, series_source, posted_at
             FROM district_posts WHERE district = ? ORDER BY posted_at DESC, id",
    postgres: "SELECT id, district, author, title, text, source, link, series_csv, series_source, posted_at
               FROM district_posts WHERE district = $1 ORDER BY posted_at DESC, id",
};

fn post_from_row<R: Row>(r: &R) -> Result<DistrictPost, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    i64: Type<R::Database> + for<'x> Decode<'x, R::Database>,
    String: Type<R::Database> + for<'x> Decode<'x, R::Database>,
    Option<String>: for<'x> Decode<'x, R::Database>,
{
    Ok(DistrictPost {
        id: parse_uuid(&r.get::<String, _>("id"))?,
        district: DistrictId::parse(&r.get::<String, _>("district")).map_err(StoreError::Config)?,
        author: parse_uuid(&r.get::<String, _>("author"))?,
        title: r.get("title"),
        text: r.get("text"),
        source: r.get("source"),
        link: r.get("link"),
        series_csv: r.get("series_csv"),
        series_source: r.get("series_source"),
        posted_at: r.get("posted_at"),
    })
}

#[async_trait]
impl<D> DistrictStore for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    async fn add_district_post(
        &self,
        post: &DistrictPost,
        key: &str,
    ) -> Result<DistrictPost, StoreError> {
        Self::q(&INSERT_POST)
            .bind(post.id.to_string())
            .bind(post.district.as_str().to_string())
            .bind(key.to_string())
            .bind(post.author.to_string())
            .bind(post.title.clone())
            .bind(post.text.clone())
            .bind(post.source.clone())
            .bind(post.link.clone())
            .bind(post.series_csv.clone())
            .bind(post.series_source.clone())
            .bind(post.posted_at)
            .execute(&self.write)
            .await?;
        let row = Self::q(&POST_BY_KEY)
            .bind(post.district.as_str().to_string())
            .bind(key.to_string())
            .fetch_one(&self.write)
            .await?;
        post_from_row(&row)
    }

    async fn district_posts(&self, district: &DistrictId) -> Result<Vec<DistrictPost>, StoreError> {
        Self::q(&POSTS_OF)
            .bind(district.as_str().to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(post_from_row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_statements_name_every_column() {
        for sql in [super::POST_BY_KEY, super::POSTS_OF] {
            for text in [sql.sqlite, sql.postgres] {
                assert!(text.contains(super::COLUMNS), "{text}");
            }
        }
    }
}
