//! File downloads: the one way interfaces hand stored files to a browser.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Serves a document's bytes as a download: never inline, never sniffed,
/// never cached.
pub fn attachment(content_type: &str, filename: &str, data: Vec<u8>) -> Response {
    // The name was cleaned on upload (no quotes or control characters);
    // the RFC 5987 form carries non-ASCII names.
    let ascii: String = filename
        .chars()
        .map(|c| if c.is_ascii() && c != '\\' { c } else { '_' })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        data,
    )
        .into_response()
}
