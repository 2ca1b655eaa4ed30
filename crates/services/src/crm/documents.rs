//! Customers' KYC documents: identity, proof of address, the signed
//! contract. Files are typed by their content (magic bytes), never by name
//! or by what the browser claims, limited in size, and kept in the database
//! encrypted with the installation's secret box: they are personal data,
//! every web node sharing the database can serve them, and backups include
//! them. Callers must hold `customers.documents` for every function here,
//! listing included; a customer reads (lists, downloads) its own.

use domain::crm::timeline::EventKind;
use serde_json::json;
use sha2::{Digest, Sha256};
pub use store::crm::documents::Document;
use store::crm::documents::NewDocument;

use domain::Permission;

use crate::crm::access;
use crate::{Caller, Change, Error, Result, Services};

/// The largest file accepted, in bytes (10 MiB).
pub const MAX_SIZE: usize = 10 * 1024 * 1024;

/// Document kinds.
pub const KINDS: &[&str] = &["identity", "proof_of_address", "contract_signed", "other"];

/// Review states.
pub const STATUSES: &[&str] = &["pending", "verified", "rejected"];

/// A file type accepted for upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    pub mime: &'static str,
    /// Extensions a file of this type may carry; the first is canonical.
    pub extensions: &'static [&'static str],
    /// For people: "PDF", "JPEG image"...
    pub label: &'static str,
}

const PDF: FileType = FileType {
    mime: "application/pdf",
    extensions: &["pdf"],
    label: "PDF document",
};
const JPEG: FileType = FileType {
    mime: "image/jpeg",
    extensions: &["jpg", "jpeg", "jfif"],
    label: "JPEG image",
};
const PNG: FileType = FileType {
    mime: "image/png",
    extensions: &["png"],
    label: "PNG image",
};
const WEBP: FileType = FileType {
    mime: "image/webp",
    extensions: &["webp"],
    label: "WebP image",
};

/// The type of `data` from its first bytes: PDF, JPEG, PNG or WebP, else
/// `None`. Written out rather than taken from a crate because four
/// signatures are all we accept.
pub fn sniff(data: &[u8]) -> Option<FileType> {
    if data.starts_with(b"%PDF-") {
        Some(PDF)
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(JPEG)
    } else if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(PNG)
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(WEBP)
    } else {
        None
    }
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub customer_id: i64,
    /// One of [`KINDS`].
    pub kind: &'a str,
    /// As the user's machine named it; only the last path component is
    /// kept.
    pub filename: &'a str,
    pub data: &'a [u8],
}

/// Cleans a client-given file name: last path component, no control
/// characters or quotes (it ends up in a Content-Disposition header), at
/// most 150 characters, and the extension matching the content.
fn clean_filename(raw: &str, ty: FileType) -> Result<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    if name.chars().count() > 150 {
        name = name.chars().take(150).collect();
    }
    if name.is_empty() {
        name = "document".into();
    }
    match name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && !ext.contains(' ') => {
            let ext = ext.to_ascii_lowercase();
            if !ty.extensions.contains(&ext.as_str()) {
                return Err(Error::invalid_msg(
                    "file",
                    format!(
                        "the file's content is a {} but its name ends in .{ext}; rename it to .{}",
                        ty.label, ty.extensions[0]
                    ),
                ));
            }
        }
        _ => {
            name.push('.');
            name.push_str(ty.extensions[0]);
        }
    }
    Ok(name)
}

fn kind_ok(kind: &str) -> Result<&'static str> {
    KINDS
        .iter()
        .copied()
        .find(|k| *k == kind)
        .ok_or_else(|| Error::invalid_msg("kind", format!("must be one of: {}", KINDS.join(", "))))
}

fn doc_json(d: &Document) -> serde_json::Value {
    serde_json::to_value(d).unwrap_or_default()
}

/// Checks the size and content of `data`: the type it is, or an error
/// naming the field `file` (with the limit when it is too large).
pub fn check_file(data: &[u8]) -> Result<FileType> {
    if data.is_empty() {
        return Err(Error::invalid_msg("file", "the file is empty"));
    }
    if data.len() > MAX_SIZE {
        return Err(Error::invalid_msg(
            "file",
            format!(
                "the file has {} bytes; the limit is {} MiB",
                data.len(),
                MAX_SIZE / (1024 * 1024)
            ),
        ));
    }
    sniff(data).ok_or_else(|| {
        Error::invalid_msg(
            "file",
            "the file is not a PDF, JPEG, PNG or WebP (checked by its content)",
        )
    })
}

/// Stores a document for a customer (status `pending`); returns it as
/// stored.
pub async fn upload(svc: &Services, caller: &Caller, up: &Upload<'_>) -> Result<Document> {
    caller.require(Permission::CustomersDocuments)?;
    let actor = &caller.actor();
    let kind = kind_ok(up.kind)?;
    let ty = check_file(up.data)?;
    let filename = clean_filename(up.filename, ty)?;
    let sha = hex::encode(Sha256::digest(up.data));
    let sealed = svc.secrets.encrypt_bytes(up.data);
    let mut tx = svc.db.begin().await?;
    // Not found before anything is written, rather than a foreign-key error.
    store::crm::customers::get(&mut tx, up.customer_id).await?;
    let id = store::crm::documents::insert(
        &mut tx,
        &NewDocument {
            customer_id: up.customer_id,
            kind,
            filename: &filename,
            content_type: ty.mime,
            size: up.data.len() as i64,
            sha256: &sha,
            data: &sealed,
        },
        actor,
        store::now(),
    )
    .await?;
    let doc = store::crm::documents::get(&mut tx, up.customer_id, id).await?;
    Change::new("customer_document.upload", "customer_document", id)
        .after(doc_json(&doc))
        .timeline(
            up.customer_id,
            EventKind::DocumentUploaded,
            format!("Document uploaded: {filename} ({kind})"),
        )
        .timeline_data(json!({ "kind": kind, "filename": filename, "size": doc.size }))
        .record(&mut tx, svc.db.engine(), actor)
        .await?;
    tx.commit().await?;
    Ok(doc)
}

/// A customer's documents, newest first (without their bytes).
pub async fn list(svc: &Services, caller: &Caller, customer_id: i64) -> Result<Vec<Document>> {
    access::documents(caller)?;
    caller.require_for_customer(Permission::CustomersDocuments, customer_id)?;
    let mut c = svc.db.conn().await?;
    store::crm::customers::get(&mut c, customer_id).await?;
    Ok(store::crm::documents::list(&mut c, customer_id).await?)
}

/// One document's description.
pub async fn get(svc: &Services, caller: &Caller, customer_id: i64, id: i64) -> Result<Document> {
    access::documents(caller)?;
    caller.require_for_customer(Permission::CustomersDocuments, customer_id)?;
    let mut c = svc.db.conn().await?;
    Ok(store::crm::documents::get(&mut c, customer_id, id).await?)
}

/// A document and its decrypted bytes (type from the sniffed content).
pub async fn download(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    id: i64,
) -> Result<(Document, Vec<u8>)> {
    access::documents(caller)?;
    caller.require_for_customer(Permission::CustomersDocuments, customer_id)?;
    let mut c = svc.db.conn().await?;
    let doc = store::crm::documents::get(&mut c, customer_id, id).await?;
    let sealed = store::crm::documents::data(&mut c, customer_id, id).await?;
    let plain = svc
        .secrets
        .decrypt_bytes(&sealed)
        .map_err(|e| Error::Internal(format!("document {id}: {e}")))?;
    Ok((doc, plain))
}

async fn review(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    id: i64,
    status: &'static str,
    reason: &str,
) -> Result<Document> {
    let actor = &caller.actor();
    let mut tx = svc.db.begin().await?;
    let before = store::crm::documents::get(&mut tx, customer_id, id).await?;
    store::crm::documents::set_status(&mut tx, id, status, reason, actor, store::now()).await?;
    let after = store::crm::documents::get(&mut tx, customer_id, id).await?;
    let (action, kind, summary) = if status == "verified" {
        (
            "customer_document.verify",
            EventKind::DocumentVerified,
            format!("Document verified: {}", after.filename),
        )
    } else {
        (
            "customer_document.reject",
            EventKind::DocumentRejected,
            format!("Document rejected: {} ({reason})", after.filename),
        )
    };
    Change::new(action, "customer_document", id)
        .before(doc_json(&before))
        .after(doc_json(&after))
        .timeline(customer_id, kind, summary)
        .timeline_data(json!({ "kind": after.kind, "filename": after.filename, "reason": reason }))
        .record(&mut tx, svc.db.engine(), actor)
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Marks a document verified by the caller, now; returns it as stored.
pub async fn verify(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    id: i64,
) -> Result<Document> {
    caller.require(Permission::CustomersDocuments)?;
    review(svc, caller, customer_id, id, "verified", "").await
}

/// Marks a document rejected by the caller, now, with a reason the
/// customer can be told (required); returns it as stored.
pub async fn reject(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    id: i64,
    reason: &str,
) -> Result<Document> {
    caller.require(Permission::CustomersDocuments)?;
    crate::check("reason", domain::validate::required(reason, 500))?;
    review(svc, caller, customer_id, id, "rejected", reason.trim()).await
}

/// Deletes a document for good (the audit entry keeps its description and
/// checksum, not its content).
pub async fn delete(svc: &Services, caller: &Caller, customer_id: i64, id: i64) -> Result<()> {
    caller.require(Permission::CustomersDocuments)?;
    let mut tx = svc.db.begin().await?;
    let before = store::crm::documents::get(&mut tx, customer_id, id).await?;
    store::crm::documents::delete(&mut tx, id).await?;
    Change::new("customer_document.delete", "customer_document", id)
        .before(doc_json(&before))
        .timeline(
            customer_id,
            EventKind::DocumentDeleted,
            format!("Document deleted: {}", before.filename),
        )
        .timeline_data(json!({ "kind": before.kind, "filename": before.filename }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_four_types_and_nothing_else() {
        assert_eq!(
            sniff(b"%PDF-1.7\n").map(|t| t.mime),
            Some("application/pdf")
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).map(|t| t.mime),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n....").map(|t| t.mime),
            Some("image/png")
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|t| t.mime),
            Some("image/webp")
        );
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn filenames_are_cleaned_and_must_match_the_content() {
        assert_eq!(
            clean_filename("C:\\x\\RG frente.PDF", PDF).unwrap(),
            "RG frente.PDF"
        );
        assert_eq!(clean_filename("../../etc/\"a\"", PNG).unwrap(), "a.png");
        assert_eq!(clean_filename("", JPEG).unwrap(), "document.jpg");
        assert_eq!(clean_filename("foto.jpeg", JPEG).unwrap(), "foto.jpeg");
        let e = clean_filename("conta.pdf", PNG).unwrap_err();
        assert!(e.to_string().contains("file:"), "{e}");
        assert!(clean_filename("x.exe", PDF).is_err());
    }

    #[test]
    fn size_limit_is_named() {
        let big = vec![b'%'; MAX_SIZE + 1];
        let e = check_file(&big).unwrap_err().to_string();
        assert!(e.contains("10 MiB"), "{e}");
        assert!(check_file(b"").is_err());
        assert!(check_file(b"MZ\x90\0").is_err());
    }
}
