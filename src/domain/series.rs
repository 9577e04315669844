//! A small data series posted with an information post: a CSV of a few columns,
//! a label in the first (a month, a year, an area) and numbers in the rest, under
//! a header row naming them. Swedish spreadsheets write `;` between fields and a
//! decimal comma; both forms are read. Posted to a district's page and with a
//! dialogue's information posts; `crate::chart` draws it.

/// At most this many value columns (besides the label): a chart, not a table dump.
pub const MAX_SERIES: usize = 4;
/// At most this many rows of data.
pub const MAX_ROWS: usize = 60;

/// A checked series: `names[i]` heads `rows[..].1[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The first column's heading (e.g. "Månad").
    pub label: String,
    /// The value columns' headings (e.g. "Anmälda brott").
    pub names: Vec<String>,
    pub rows: Vec<(String, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    #[error("the CSV has no rows of data under its header row")]
    Empty,
    #[error("the CSV cannot be read: {0}")]
    Unreadable(String),
    #[error(
        "the CSV needs a label column and 1 to {MAX_SERIES} columns of numbers, not {0} columns"
    )]
    Columns(usize),
    #[error("row {row} has {found} fields; the header row has {expected}")]
    Ragged {
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error("row {row}, column {column}: {value:?} is not a number")]
    NotANumber {
        row: usize,
        column: usize,
        value: String,
    },
    #[error("the CSV has more than {MAX_ROWS} rows of data")]
    TooManyRows,
}

// Every value is finite (`parse` refuses the rest), so equality is total.
impl Eq for Series {}

impl Series {
    pub fn parse(csv_text: &str) -> Result<Series, SeriesError> {
        let first = csv_text.lines().next().unwrap_or("");
        let semicolon = first.contains(';');
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(if semicolon { b';' } else { b',' })
            .from_reader(csv_text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(r) => r.map_err(|e| SeriesError::Unreadable(e.to_string()))?,
            None => return Err(SeriesError::Empty),
        };
        let width = header.len();
        if !(2..=MAX_SERIES + 1).contains(&width) {
            return Err(SeriesError::Columns(width));
        }
        let mut rows = Vec::new();
        for (i, record) in records.enumerate() {
            let record = record.map_err(|e| SeriesError::Unreadable(e.to_string()))?;
            let row = i + 2;
            if record.iter().all(str::is_empty) {
                continue;
            }
            if record.len() != width {
                return Err(SeriesError::Ragged {
                    row,
                    expected: width,
                    found: record.len(),
                });
            }
            if rows.len() == MAX_ROWS {
                return Err(SeriesError::TooManyRows);
            }
            let mut values = Vec::with_capacity(width - 1);
            for (column, field) in record.iter().enumerate().skip(1) {
                values.push(
                    number(field, semicolon).ok_or_else(|| SeriesError::NotANumber {
                        row,
                        column: column + 1,
                        value: field.chars().take(40).collect(),
                    })?,
                );
            }
            rows.push((record[0].to_string(), values));
        }
        if rows.is_empty() {
            return Err(SeriesError::Empty);
        }
        Ok(Series {
            label: header[0].to_string(),
            names: header.iter().skip(1).map(str::to_string).collect(),
            rows,
        })
    }

    /// The smallest and largest value of all columns.
    pub fn range(&self) -> (f64, f64) {
        let all = self.rows.iter().flat_map(|(_, v)| v.iter().copied());
        all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
    }
}

/// "1 234,5" (with `;` between fields) or "1234.5"; finite numbers only.
fn number(field: &str, decimal_comma: bool) -> Option<f64> {
    let mut s: String = field
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if decimal_comma {
        s = s.replace(',', ".");
    }
    s = s.replace('\u{2212}', "-");
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spreadsheet_forms() {
        let comma = Series::parse("Månad,Anmälda brott\njan,41\nfeb,38.5\n").unwrap();
        let semi = Series::parse("Månad;Anmälda brott\njan;41\nfeb;38,5\n").unwrap();
        assert_eq!(comma, semi);
        assert_eq!(comma.names, ["Anmälda brott"]);
        assert_eq!(comma.rows[1], ("feb".to_string(), vec![38.5]));
        assert_eq!(comma.range(), (38.5, 41.0));
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(Series::parse(""), Err(SeriesError::Empty));
        assert_eq!(Series::parse("Månad,Brott\n"), Err(SeriesError::Empty));
        assert_eq!(Series::parse("bara en\nx\n"), Err(SeriesError::Columns(1)));
        assert!(matches!(
            Series::parse("Månad,Brott\njan,många\n"),
            Err(SeriesError::NotANumber {
                row: 2,
                column: 2,
                ..
            })
        ));
        assert!(matches!(
            Series::parse("Månad,Brott\njan,1,2\n"),
            Err(SeriesError::Ragged { row: 2, .. })
        ));
        assert!(matches!(
            Series::parse("a,b\n1,NaN\n"),
            Err(SeriesError::NotANumber { .. })
        ));
        let long: String = (0..=MAX_ROWS).map(|i| format!("r{i},{i}\n")).collect();
        assert_eq!(
            Series::parse(&format!("a,b\n{long}")),
            Err(SeriesError::TooManyRows)
        );
    }
}
