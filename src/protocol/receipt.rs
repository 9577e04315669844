//! Receipt codes: how an asker finds their question's fate later, with no account.
//!
//! A receipt is the dialogue's join code and a secret, `K7QXPM-4HG29TXQMB`. The
//! join code says where to look; the secret is 10 characters from a 31-letter
//! alphabet without look-alikes (no 0/O, 1/I/L): 31^10 ≈ 8.2 × 10^14 codes, about
//! 49.5 bits. With the lookup limit (a few misses a minute per address), finding
//! any one of 100,000 receipts by guessing takes on the order of 10^7 years.

/// The letters of a receipt's secret (the same as join codes').
pub const RECEIPT_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const RECEIPT_LEN: usize = 10;

/// The code people see and keep: `JOINCODE-SECRET`.
pub fn full(join_code: &str, secret: &str) -> String {
    format!("{join_code}-{secret}")
}

/// Splits a typed or pasted receipt into join code and secret. Case, spaces and
/// extra dashes people add when copying by hand are forgiven.
pub fn parse(raw: &str) -> Option<(String, String)> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let (code, secret) = cleaned.split_once('-')?;
    let secret: String = secret.chars().filter(|c| *c != '-').collect();
    let valid =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| RECEIPT_ALPHABET.contains(&b));
    (valid(code, 6) && valid(&secret, RECEIPT_LEN)).then(|| (code.to_string(), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_reads_back_forgivingly_and_rejects_what_cannot_be_one() {
        let code = full("K7QXPM", "4HG29TXQMB");
        assert_eq!(parse(&code), Some(("K7QXPM".into(), "4HG29TXQMB".into())));
        assert_eq!(parse(" k7qxpm-4hg29-txqmb "), parse(&code));
        assert_eq!(parse("K7QXPM-4HG29TXQM"), None, "too short");
        assert_eq!(parse("K7QXPM-4HG29TXQMO"), None, "O is not in the alphabet");
        assert_eq!(parse("K7QXPM4HG29TXQMB"), None, "no separator");
    }
}
