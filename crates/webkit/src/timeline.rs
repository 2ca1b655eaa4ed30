//! Customer timeline lines in the reader's language. Services store each
//! entry's kind, its details and an English line; the line people read is
//! written here, when shown, from the kind and the details. The stored line
//! is the fallback for kinds this release does not know and for entries
//! written before their details carried what the sentence needs.

use domain::crm::timeline::EventKind;
use serde_json::Value;

use crate::i18n::Tr;

/// The line to show for an entry.
pub fn summary(tr: &Tr, kind: &str, data: &Value, stored: &str) -> String {
    EventKind::parse(kind)
        .and_then(|k| sentence(tr, k, data))
        .unwrap_or_else(|| stored.to_owned())
}

/// [`summary`] for details as stored (JSON text).
pub fn summary_of(tr: &Tr, e: &services::crm::TimelineEntry) -> String {
    let data = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    summary(tr, &e.kind, &data, &e.summary)
}

/// The sentence for `kind`, or `None` when `data` lacks a value it needs.
fn sentence(tr: &Tr, kind: EventKind, data: &Value) -> Option<String> {
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let int = |k: &str| data.get(k).and_then(Value::as_i64);
    let number = || text("number").map(|n| ("number", n));
    let with_number = |key: &str| Some(tr.targs(key, &[number()?]));
    use EventKind::*;
    Some(match kind {
        CustomerCreated => {
            let name = ("name", text("name")?);
            match int("import_line") {
                Some(line) => tr.targs(
                    "timeline-customer-imported",
                    &[name, ("line", line.to_string())],
                ),
                None => tr.targs("timeline-customer-created", &[name]),
            }
        }
        CustomerUpdated => tr.t("timeline-customer-updated"),
        // The staff's own words.
        NoteAdded => return None,
        ContractCreated => {
            let args = [number()?, ("plan", text("plan")?)];
            match int("import_line") {
                Some(_) => {
                    let status = tr.label_or("contract-status-", &text("status")?);
                    let [number, plan] = args;
                    tr.targs(
                        "timeline-contract-imported",
                        &[number, plan, ("status", status)],
                    )
                }
                None => tr.targs("timeline-contract-created", &args),
            }
        }
        ContractActivated => with_number("timeline-contract-activated")?,
        ContractReactivated => with_number("timeline-contract-reactivated")?,
        ContractSuspended => tr.targs(
            "timeline-contract-suspended",
            &[
                number()?,
                ("reason", tr.label_or("suspend-reason-", &text("reason")?)),
            ],
        ),
        ContractCanceled => with_number("timeline-contract-canceled")?,
        ContractPending => with_number("timeline-contract-pending")?,
        ContractPlanChanged | ContractPlanChangeScheduled => tr.targs(
            if kind == ContractPlanChanged {
                "timeline-contract-plan-changed"
            } else {
                "timeline-contract-plan-change-scheduled"
            },
            &[
                number()?,
                ("plan", text("plan")?),
                ("date", text("effective_date")?),
            ],
        ),
        ContractUpdated => with_number("timeline-contract-updated")?,
        ContractPriceChanged => tr.targs(
            "timeline-contract-price-changed",
            &[
                number()?,
                ("old", tr.money(int("old_price")?)),
                ("new", tr.money(int("new_price")?)),
            ],
        ),
        DocumentUploaded => {
            let code = text("kind")?;
            // Document kinds keep their `_` in message keys.
            let key = format!("documents-kind-{code}");
            let kind = if tr.has(&key) { tr.t(&key) } else { code };
            tr.targs(
                "timeline-document-uploaded",
                &[("filename", text("filename")?), ("kind", kind)],
            )
        }
        DocumentVerified => tr.targs(
            "timeline-document-verified",
            &[("filename", text("filename")?)],
        ),
        DocumentRejected => tr.targs(
            "timeline-document-rejected",
            &[("filename", text("filename")?), ("reason", text("reason")?)],
        ),
        DocumentDeleted => tr.targs(
            "timeline-document-deleted",
            &[("filename", text("filename")?)],
        ),
        InvoiceIssued => tr.targs(
            "timeline-invoice-issued",
            &[
                number()?,
                ("total", tr.money(int("total")?)),
                ("date", text("due_date")?),
            ],
        ),
        InvoiceVoided => tr.targs(
            "timeline-invoice-voided",
            &[number()?, ("reason", text("reason")?)],
        ),
        CreditNoteIssued => tr.targs(
            "timeline-credit-note-issued",
            &[
                number()?,
                ("invoice", text("invoice_number")?),
                ("total", tr.money(int("total")?)),
            ],
        ),
        PaymentReceived => tr.targs(
            "timeline-payment-received",
            &[
                ("receipt", text("receipt_number")?),
                ("amount", tr.money(int("amount")?)),
                (
                    "method",
                    tr.t(&format!("payments-method-{}", text("method")?)),
                ),
            ],
        ),
        PaymentRefunded => tr.targs(
            "timeline-payment-refunded",
            &[
                ("receipt", text("receipt_number")?),
                ("amount", tr.money(int("amount")?)),
                ("reason", text("reason")?),
            ],
        ),
        PaymentReversed => tr.targs(
            "timeline-payment-reversed",
            &[
                ("receipt", text("receipt_number")?),
                ("amount", tr.money(int("amount")?)),
                ("reason", text("reason")?),
            ],
        ),
        CollectionsReminderSent => tr.targs(
            "timeline-collections-reminder-sent",
            &[number()?, ("date", text("due_date")?)],
        ),
        CollectionsNoticeSent => tr.targs(
            "timeline-collections-notice-sent",
            &[
                number()?,
                ("owed", tr.money(int("owed")?)),
                ("date", text("suspend_from")?),
            ],
        ),
        CollectionsUnlocked => tr.targs(
            "timeline-collections-unlocked",
            &[number()?, ("date", text("until")?)],
        ),
        CollectionsSpeedReduced => tr.targs(
            "timeline-collections-speed-reduced",
            &[
                number()?,
                ("down", int("down_kbps")?.to_string()),
                ("up", int("up_kbps")?.to_string()),
                ("date", text("suspend_from")?),
            ],
        ),
        CollectionsSpeedRestored => tr.targs(
            "timeline-collections-speed-restored",
            &[
                number()?,
                (
                    "why",
                    tr.t(&format!("collections-restored-{}", text("why")?)),
                ),
            ],
        ),
    })
}

#[cfg(test)]
mod tests {
    use domain::Locale;
    use serde_json::json;

    use super::*;

    /// Details as the services write them, one entry per kind.
    fn sample(kind: EventKind) -> Value {
        use EventKind::*;
        match kind {
            CustomerCreated => json!({ "name": "Ana Lima" }),
            CustomerUpdated => json!({}),
            NoteAdded => json!({}),
            ContractCreated => json!({ "number": "000042", "plan": "Fibra 300" }),
            ContractSuspended => json!({ "number": "000042", "reason": "non_payment" }),
            ContractActivated | ContractReactivated | ContractCanceled | ContractPending
            | ContractUpdated => json!({ "number": "000042" }),
            ContractPlanChanged | ContractPlanChangeScheduled => json!({
                "number": "000042", "plan": "Fibra 500", "effective_date": "2026-05-01",
            }),
            ContractPriceChanged => {
                json!({ "number": "000042", "old_price": 9990, "new_price": 129990 })
            }
            DocumentUploaded | DocumentDeleted => {
                json!({ "kind": "proof_of_address", "filename": "luz.pdf" })
            }
            DocumentVerified | DocumentRejected => json!({
                "kind": "identity", "filename": "rg.pdf", "reason": "ilegível",
            }),
            InvoiceIssued => json!({
                "number": "2026-000123", "total": 9990, "due_date": "2026-05-10",
            }),
            InvoiceVoided => json!({ "number": "2026-000123", "reason": "duplicada" }),
            CreditNoteIssued => json!({
                "number": "NC2026-000001", "invoice_number": "2026-000123", "total": 9990,
            }),
            PaymentReceived => json!({
                "receipt_number": "REC2026-000001", "amount": 9990, "method": "pix",
            }),
            PaymentRefunded | PaymentReversed => json!({
                "receipt_number": "REC2026-000001", "amount": 990, "reason": "cobrança em dobro",
            }),
            CollectionsReminderSent => json!({
                "number": "2026-000123", "step": "reminder+3", "due_date": "2026-05-10",
            }),
            CollectionsNoticeSent => json!({
                "number": "2026-000123", "owed": 9990, "suspend_from": "2026-05-30",
            }),
            CollectionsUnlocked => json!({ "number": "000042", "until": "2026-06-03" }),
            CollectionsSpeedReduced => json!({
                "number": "000042", "up_kbps": 15000, "down_kbps": 30000,
                "suspend_from": "2026-05-30",
            }),
            CollectionsSpeedRestored => json!({ "number": "000042", "why": "paid" }),
        }
    }

    #[test]
    fn every_kind_has_a_line_in_both_languages() {
        for kind in EventKind::ALL.iter().copied() {
            let data = sample(kind);
            let en = summary(&Tr::new(Locale::En), kind.as_str(), &data, "stored");
            let pt = summary(&Tr::new(Locale::PtBr), kind.as_str(), &data, "stored");
            if kind == EventKind::NoteAdded {
                assert_eq!((en.as_str(), pt.as_str()), ("stored", "stored"));
                continue;
            }
            for line in [&en, &pt] {
                assert!(
                    line != "stored" && !line.contains('{') && !line.starts_with("timeline-"),
                    "{kind}: {line}"
                );
            }
            assert_ne!(en, pt, "{kind}");
        }
    }

    #[test]
    fn details_and_codes_are_translated() {
        let pt = Tr::new(Locale::PtBr);
        let cases = [
            (
                EventKind::ContractSuspended,
                json!({ "number": "000042", "reason": "non_payment" }),
                "Contrato 000042 suspenso: Inadimplência",
            ),
            (
                EventKind::ContractPriceChanged,
                json!({ "number": "000042", "old_price": 9990, "new_price": 129990 }),
                "Contrato 000042 reajustado de 99,90 para 1.299,90",
            ),
            (
                EventKind::ContractCreated,
                json!({
                    "number": "7", "plan": "Fibra", "import_line": 3, "status": "active",
                }),
                "Contrato 7 importado no plano Fibra (Ativo)",
            ),
            (
                EventKind::CustomerCreated,
                json!({ "name": "Ana", "import_line": 3 }),
                "Cliente Ana importado (linha 3)",
            ),
            (
                EventKind::DocumentUploaded,
                json!({ "kind": "proof_of_address", "filename": "luz.pdf" }),
                "Documento enviado: luz.pdf (Comprovante de endereço)",
            ),
        ];
        for (kind, data, want) in cases {
            assert_eq!(summary(&pt, kind.as_str(), &data, "stored"), want);
        }
    }

    #[test]
    fn old_rows_and_unknown_kinds_keep_their_stored_line() {
        let pt = Tr::new(Locale::PtBr);
        // Written before the details carried the contract number.
        let old = json!({ "contract_id": 1, "from": "active", "to": "suspended" });
        assert_eq!(
            summary(
                &pt,
                "contract.suspended",
                &old,
                "Contract 000001: active → suspended"
            ),
            "Contract 000001: active → suspended"
        );
        assert_eq!(
            summary(&pt, "contract.access_changed", &json!({}), "access changed"),
            "access changed"
        );
        assert_eq!(
            summary(
                &pt,
                "customer.created",
                &Value::Null,
                "Customer Ana registered"
            ),
            "Customer Ana registered"
        );
    }
}
