//! What the customer, plan and contract pages share: the customer header
//! above the tabs, plan names, amounts typed into forms, CSV output.

use std::collections::BTreeMap;

use domain::Money;
use services::Error;

use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

/// The customer shown above the detail tabs (`customer_tabs.html`).
pub struct CustomerHeader {
    pub id: i64,
    pub name: String,
    pub trade_name: String,
    pub kind: String,
    pub document: String,
    pub tags: Vec<String>,
    /// The active tab: `overview`, `contracts`, `documents`, `timeline`.
    pub current: &'static str,
}

impl CustomerHeader {
    pub fn of(c: &services::crm::Customer, current: &'static str) -> CustomerHeader {
        CustomerHeader {
            id: c.id,
            name: c.name.clone(),
            trade_name: c.trade_name.clone(),
            kind: c.kind.clone(),
            document: c.document.clone(),
            tags: c.tags.clone(),
            current,
        }
    }
}

/// Plan names by id, retired plans included (old contracts show them).
pub async fn plan_names(state: &AppState, staff: &Staff) -> Result<BTreeMap<i64, String>, Error> {
    Ok(services::catalog::plan_names(&state.svc, &staff.caller())
        .await?
        .into_iter()
        .collect())
}

/// A plan in a list filter.
pub struct PlanOption {
    pub id: i64,
    pub name: String,
}

/// Every plan, retired ones included, by name: a list page's plan filter.
pub async fn plan_options(state: &AppState, staff: &Staff) -> Result<Vec<PlanOption>, Error> {
    Ok(services::catalog::plan_names(&state.svc, &staff.caller())
        .await?
        .into_iter()
        .map(|(id, name)| PlanOption { id, name })
        .collect())
}

/// An optional amount from a form field, in the installation's currency:
/// empty is `None`.
pub fn money_opt(tr: &Tr, field: &'static str, s: &str) -> Result<Option<Money>, Error> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    money(tr, field, s).map(Some)
}

/// A required amount from a form field, in the installation's currency.
pub fn money(tr: &Tr, field: &'static str, s: &str) -> Result<Money, Error> {
    tr.parse_money(s).map_err(|e| Error::invalid(field, e))
}

/// An integer from a form field, named in the error when it is not one.
pub fn int(field: &'static str, s: &str) -> Result<i64, Error> {
    s.trim()
        .parse()
        .map_err(|_| Error::invalid(field, domain::validate::FieldError::Range))
}

/// An optional integer (`None` when empty).
pub fn int_opt(field: &'static str, s: &str) -> Result<Option<i64>, Error> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        int(field, s).map(Some)
    }
}

/// A query-string id that may be empty (`?plan=` from a filter form).
pub fn id_param(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.trim().parse().ok())
}

/// CSV for the user's spreadsheet: a UTF-8 byte-order mark so Excel reads
/// accents right, and `;` between fields in Portuguese, because Excel in
/// pt-BR (where `,` is the decimal separator) only splits on `;`.
pub fn csv_delimiter(staff: &Staff) -> u8 {
    match staff.tr.locale {
        domain::Locale::PtBr => b';',
        domain::Locale::En => b',',
    }
}

/// Writes `rows` as CSV text with `delimiter` (one chunk of a download).
pub fn csv_chunk<R, F>(delimiter: u8, rows: R) -> Result<Vec<u8>, Error>
where
    R: IntoIterator<Item = F>,
    F: IntoIterator,
    F::Item: AsRef<[u8]>,
{
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("CSV: {e}"));
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).map_err(|e| failed(&e))?;
    }
    w.into_inner().map_err(|e| failed(&e))
}

pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A streamed CSV download.
pub fn csv_response(name: &str, body: axum::body::Body) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A CSV download streamed in batches, so a large list never sits in
/// memory at once: `head` (the byte-order mark and header row) goes out
/// with the first batch, then `next` turns a cursor into one batch of
/// rows and the cursor for the rest (`None`: that was the last). An error
/// after the first bytes can only cut the download short: it is logged
/// under `what`, so callers check permissions before calling this.
pub fn csv_stream<C, F, Fut>(
    name: &str,
    what: &'static str,
    head: Vec<u8>,
    cursor: C,
    next: F,
) -> axum::response::Response
where
    C: Send + 'static,
    F: Fn(C) -> Fut + Send + Copy + 'static,
    Fut: std::future::Future<Output = Result<(Vec<u8>, Option<C>), Error>> + Send + 'static,
{
    let stream =
        futures_util::stream::unfold((Some(head), Some(cursor)), move |(head, cur)| async move {
            let cur = cur?;
            match next(cur).await {
                Ok((bytes, more)) => {
                    let mut out = head.unwrap_or_default();
                    out.extend(bytes);
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from(out)),
                        (None, more),
                    ))
                }
                Err(e) => {
                    tracing::error!(error = %e, "{what} export failed");
                    Some((Err(std::io::Error::other(e.to_string())), (None, None)))
                }
            }
        });
    csv_response(name, axum::body::Body::from_stream(stream))
}
