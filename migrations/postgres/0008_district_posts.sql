-- Information posts of a district as a whole (not of one dialogue), shown on the
-- district's public page and in its feed, optionally with a small data series
-- (the CSV as posted, checked on the way in) that the page draws as a chart.
CREATE TABLE district_posts (
    id            TEXT PRIMARY KEY,
    district      TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    author        TEXT NOT NULL,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    source        TEXT NOT NULL,
    link          TEXT,
    series_csv    TEXT,
    series_source TEXT,
    posted_at     BIGINT NOT NULL,
    UNIQUE (district, idem_key)
);
CREATE INDEX district_posts_by_time ON district_posts (district, posted_at);
