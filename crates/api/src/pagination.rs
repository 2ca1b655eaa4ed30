//! Cursor pagination: `?limit=` (1..=200, default 50) and an opaque
//! `?cursor=` taken from the previous page's `next_cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::Problem;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub data: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The validated `limit`.
pub fn limit(raw: Option<i64>) -> Result<i64, Problem> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Problem::invalid(
            "limit",
            "range",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// The id a cursor stands for.
pub fn decode(raw: Option<&str>) -> Result<Option<i64>, Problem> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || Problem::invalid("cursor", "cursor", "is not a cursor this API returned");
    let bytes = B64.decode(raw.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    text.strip_prefix("id:")
        .and_then(|n| n.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(bad)
}

/// The cursor after the row with `id`.
pub fn encode(id: i64) -> String {
    B64.encode(format!("id:{id}"))
}

/// The cursor after a row ordered by `key` then `id` (name order, time order).
pub fn encode_keyed(id: i64, key: &str) -> String {
    B64.encode(format!("k:{id}:{key}"))
}

/// The id and key a [`encode_keyed`] cursor stands for.
pub fn decode_keyed(raw: Option<&str>) -> Result<Option<(i64, String)>, Problem> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || Problem::invalid("cursor", "cursor", "is not a cursor this API returned");
    let bytes = B64.decode(raw.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let (id, key) = text
        .strip_prefix("k:")
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(bad)?;
    let id = id.parse::<i64>().map_err(|_| bad())?;
    Ok(Some((id, key.to_owned())))
}

/// A page whose next cursor is the last row's id, when `more` rows follow.
pub fn page<T>(data: Vec<T>, more: bool, id: impl Fn(&T) -> i64) -> Paged<T> {
    let next_cursor = if more {
        data.last().map(|r| encode(id(r)))
    } else {
        None
    };
    Paged { data, next_cursor }
}

/// A page of a small list the service returns whole, in its order (plans,
/// service items, roles): the rows after the cursor's id, up to `limit`,
/// with the same cursors as the lists the store pages. `what` names the
/// row in the error when the cursor's row is gone.
pub fn in_memory<T>(
    rows: Vec<T>,
    id: impl Fn(&T) -> i64,
    cursor: Option<&str>,
    limit: Option<i64>,
    what: &str,
) -> Result<Paged<T>, Problem> {
    let limit = self::limit(limit)? as usize;
    let start = match decode(cursor)? {
        None => 0,
        Some(after) => {
            rows.iter().position(|r| id(r) == after).ok_or_else(|| {
                Problem::invalid(
                    "cursor",
                    "cursor",
                    format!("names a {what} that no longer exists"),
                )
            })? + 1
        }
    };
    let mut rest: Vec<T> = rows.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    Ok(page(rest, more, id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        assert_eq!(decode(Some(&encode(42))).unwrap(), Some(42));
        assert_eq!(decode(None).unwrap(), None);
        assert_eq!(decode(Some("")).unwrap(), None);
        for junk in ["!!", "aWQ6eA", "eHl6", "%%%"] {
            let p = decode(Some(junk)).unwrap_err();
            assert_eq!(p.status, 422);
            assert_eq!(p.errors[0].field, "cursor");
        }
        assert_eq!(
            decode_keyed(Some(&encode_keyed(7, "ana: lima"))).unwrap(),
            Some((7, "ana: lima".to_owned()))
        );
        assert_eq!(decode_keyed(None).unwrap(), None);
        assert!(decode_keyed(Some(&encode(7))).is_err());
        assert!(decode_keyed(Some("!!")).is_err());
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(0)).unwrap_err().errors[0].field, "limit");
        assert_eq!(limit(Some(201)).unwrap_err().status, 422);
    }

    #[test]
    fn in_memory_pages_follow_the_cursor_and_refuse_a_vanished_row() {
        let rows = vec![3, 5, 8, 13, 21];
        let first = in_memory(rows.clone(), |r| *r, None, Some(2), "row").unwrap();
        assert_eq!(first.data, vec![3, 5]);
        let next = first.next_cursor.unwrap();
        assert_eq!(decode(Some(&next)).unwrap(), Some(5));
        let second = in_memory(rows.clone(), |r| *r, Some(&next), Some(2), "row").unwrap();
        assert_eq!(second.data, vec![8, 13]);
        let last = in_memory(
            rows.clone(),
            |r| *r,
            second.next_cursor.as_deref(),
            Some(2),
            "row",
        )
        .unwrap();
        assert_eq!((last.data, last.next_cursor), (vec![21], None));
        let whole = in_memory(rows.clone(), |r| *r, None, None, "row").unwrap();
        assert_eq!((whole.data.len(), whole.next_cursor), (5, None));
        let gone = in_memory(rows.clone(), |r| *r, Some(&encode(4)), None, "role").unwrap_err();
        assert_eq!(gone.status, 422);
        assert_eq!(gone.errors[0].field, "cursor");
        assert_eq!(gone.errors[0].message, "names a role that no longer exists");
        assert_eq!(
            in_memory(rows, |r| *r, None, Some(0), "row")
                .unwrap_err()
                .errors[0]
                .field,
            "limit"
        );
    }
}
