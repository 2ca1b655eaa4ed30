//! Subscribers read from the `login,password,contract_status` CSV that
//! `lastmile demo --credentials-out` writes.

use std::path::Path;

use radius::auth::mschap::{hash_nt_password_hash, nt_password_hash};

/// One subscriber credential, with the hashes MS-CHAPv2 needs computed once
/// at load time rather than per request.
#[derive(Clone, Debug)]
pub struct User {
    /// PPPoE / hotspot login (User-Name).
    pub login: String,
    /// Clear-text password.
    pub password: String,
    /// MD4 of the UTF-16LE password (RFC 2759 NtPasswordHash).
    pub nt_hash: [u8; 16],
    /// MD4 of `nt_hash` (RFC 2759 HashNtPasswordHash).
    pub nt_hash_hash: [u8; 16],
}

impl User {
    /// A user with its MS-CHAP hashes.
    pub fn new(login: &str, password: &str) -> User {
        let nt_hash = nt_password_hash(password);
        User {
            login: login.to_owned(),
            password: password.to_owned(),
            nt_hash,
            nt_hash_hash: hash_nt_password_hash(&nt_hash),
        }
    }
}

/// Why the users file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not `login,password,status`.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// No line had the wanted status.
    #[error("no user with contract_status {0:?}")]
    Empty(String),
}

/// Removes surrounding double quotes and undoes `""` escapes (RFC 4180).
fn unquote(field: &str) -> String {
    let f = field.trim();
    match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => f.to_owned(),
    }
}

/// Parses CSV text: one `login,password,contract_status` per line, an
/// optional header line starting with `login,`. The password is everything
/// between the first and the last comma, so it may itself contain commas.
/// Only rows whose status equals `status` are kept (all rows when `None`).
pub fn parse(text: &str, status: Option<&str>) -> Result<Vec<User>, UsersError> {
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || (n == 0 && line.starts_with("login,")) {
            continue;
        }
        let bad = |reason: &str| UsersError::Line {
            line: n + 1,
            reason: reason.to_owned(),
        };
        let (login, rest) = line
            .split_once(',')
            .ok_or_else(|| bad("expected login,password,contract_status"))?;
        let (password, state) = rest
            .rsplit_once(',')
            .ok_or_else(|| bad("expected login,password,contract_status"))?;
        let (login, password, state) = (unquote(login), unquote(password), unquote(state));
        if login.is_empty() || login.len() > 253 {
            return Err(bad("login must have 1 to 253 octets"));
        }
        if password.len() > radius::crypto::MAX_USER_PASSWORD {
            return Err(bad("password is longer than 128 octets"));
        }
        if status.is_none_or(|s| s == state) {
            users.push(User::new(&login, &password));
        }
    }
    if users.is_empty() {
        return Err(UsersError::Empty(status.unwrap_or("*").to_owned()));
    }
    Ok(users)
}

/// Reads and parses a users file (see [`parse`]).
pub fn load(path: &Path, status: Option<&str>) -> Result<Vec<User>, UsersError> {
    let text = std::fs::read_to_string(path).map_err(|source| UsersError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_quotes_commas_and_filters_status() {
        let text = "login,password,contract_status\r\nann,pw1,active\n\"bob\",\"a,\"\"b\",active\ncid,x,suspended\n";
        let users = parse(text, Some("active")).expect("parses");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].login, "bob");
        assert_eq!(users[1].password, "a,\"b");
        assert_eq!(users[0].nt_hash, nt_password_hash("pw1"));
        assert_eq!(parse(text, None).expect("parses").len(), 3);
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse("ann,pw,active\nnocomma\n", None).expect_err("bad line");
        assert_eq!(
            err.to_string(),
            "line 2: expected login,password,contract_status"
        );
        let err = parse("ann,pw,suspended\n", Some("active")).expect_err("none active");
        assert!(matches!(err, UsersError::Empty(_)));
    }
}
