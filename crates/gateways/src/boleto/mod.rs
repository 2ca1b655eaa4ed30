//! Registered boletos (*boleto de cobrança registrada*) through banks' APIs.
//!
//! Every bank speaks its own API, but what the application needs from one is
//! the same: register a boleto (optionally hybrid, with a Pix QR code), read
//! its status, list what was paid in a period (reconciliation sweeps), and
//! cancel it (*baixa*). [`BoletoBank`] is that shape; each bank is one module
//! implementing it ([`bb`] for Banco do Brasil), so adding a bank is adding a
//! module.
//!
//! Money is `i64` centavos; percentages are basis points (`200` = 2.00 %), so
//! no floating point reaches the application.

pub mod bb;

use std::future::Future;
use std::pin::Pin;

use jiff::civil::Date;

use crate::http;

/// A boxed future, so [`BoletoBank`] stays object-safe (`dyn BoletoBank`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a bank that registers boletos offers.
pub trait BoletoBank: Send + Sync {
    /// Registers a boleto; the bank answers its nosso número and codes.
    fn register<'a>(
        &'a self,
        request: &'a BoletoRequest,
    ) -> BoxFuture<'a, Result<RegisteredBoleto, Error>>;

    /// The current state of a registered boleto.
    fn get<'a>(&'a self, nosso_numero: &'a str) -> BoxFuture<'a, Result<BoletoStatus, Error>>;

    /// Boletos paid (settled) between `from` and `to`, both inclusive.
    fn list_paid<'a>(
        &'a self,
        from: Date,
        to: Date,
    ) -> BoxFuture<'a, Result<Vec<PaidBoleto>, Error>>;

    /// Cancels (*baixa*) an open boleto; it can no longer be paid.
    fn cancel<'a>(&'a self, nosso_numero: &'a str) -> BoxFuture<'a, Result<(), Error>>;
}

/// A boleto to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoRequest {
    /// Our reference printed on the boleto (*seu número*, up to 15 letters,
    /// digits, `-` or `/`), e.g. the invoice number.
    pub reference: String,
    /// Our sequence number for this boleto, unique per bank account; the
    /// bank builds the nosso número from it.
    pub number: u64,
    /// Amount in centavos (1 to 9,999,999,999).
    pub amount: i64,
    /// Issue date.
    pub issue_date: Date,
    /// Due date (not before the issue date).
    pub due_date: Date,
    /// Who pays.
    pub payer: Payer,
    /// Late-payment fine (*multa*).
    pub fine: Option<Fine>,
    /// Late-payment interest (*juros de mora*).
    pub interest: Option<Interest>,
    /// Discount for paying early.
    pub discount: Option<Discount>,
    /// Lines printed for the payer (up to 165 characters together).
    pub messages: Vec<String>,
    /// Hybrid boleto: the bank also issues a Pix QR code for it.
    pub with_pix: bool,
}

/// The payer (*pagador*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    /// Name (up to 60 characters).
    pub name: String,
    /// CPF (11 digits) or CNPJ (14 digits); punctuation is ignored.
    pub document: String,
    /// Street and number (up to 60 characters).
    pub address: String,
    /// Neighbourhood (*bairro*, up to 30 characters).
    pub district: String,
    /// CEP, 8 digits; punctuation is ignored.
    pub cep: String,
    /// City (up to 30 characters).
    pub city: String,
    /// State, two letters (`SP`).
    pub uf: String,
}

/// A late-payment fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fine {
    /// Percent of the amount or a fixed amount.
    pub value: FineValue,
    /// First day the fine applies (after the due date).
    pub from: Date,
}

/// How a fine or discount is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FineValue {
    /// Basis points of the amount (`200` = 2 %).
    Percent(u32),
    /// Fixed amount in centavos.
    Amount(i64),
}

/// Late-payment interest, a monthly rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    /// Basis points per month (`100` = 1 % a month).
    pub monthly_bps: u32,
}

/// A discount for paying up to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    /// Percent of the amount or a fixed amount.
    pub value: FineValue,
    /// Last day the discount applies (not after the due date).
    pub until: Date,
}

/// What the bank answered to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredBoleto {
    /// The bank's number for the boleto (*nosso número*).
    pub nosso_numero: String,
    /// The 47-digit linha digitável, digits only.
    pub linha_digitavel: String,
    /// The 44-digit barcode.
    pub barcode: String,
    /// The Pix QR code of a hybrid boleto.
    pub pix: Option<BoletoPix>,
}

/// The Pix side of a hybrid boleto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoPix {
    /// The BR Code ("Pix copia e cola").
    pub emv: String,
    /// The Pix charge's txid (payments arrive with it).
    pub txid: String,
    /// The charge's location URL, when the bank gives it.
    pub url: Option<String>,
}

/// Where a boleto stands at the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoletoStatus {
    /// Registered and payable.
    Open,
    /// Paid (settled).
    Paid(Payment),
    /// Cancelled (*baixado*): no longer payable.
    Canceled,
    /// A state the application has no use for yet (notary, in processing…),
    /// with the bank's code and name for it.
    Other {
        /// The bank's code.
        code: String,
        /// The bank's description, when given.
        description: String,
    },
}

/// A payment of a boleto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// What the payer paid, in centavos (fine and interest included).
    pub amount: i64,
    /// The day the payer paid.
    pub paid_on: Option<Date>,
    /// The day the bank credits the money.
    pub credited_on: Option<Date>,
    /// The bank's fee (what was paid minus what is credited), when known.
    pub fees: Option<i64>,
    /// Fine and interest included in `amount`, when the bank tells.
    pub late_charges: Option<i64>,
}

/// One boleto of a paid list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidBoleto {
    /// The bank's number for the boleto.
    pub nosso_numero: String,
    /// What the payer paid, in centavos.
    pub amount: i64,
    /// The day the payment was recorded.
    pub paid_on: Option<Date>,
    /// The day the bank credits the money.
    pub credited_on: Option<Date>,
}

/// What went wrong with a boleto operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Our request is invalid; nothing was sent.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in [`BoletoRequest`] (`payer.cep`).
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The bank refused the request with its own error.
    #[error("bank refused (HTTP {status}, code {code}): {message}")]
    Bank {
        /// HTTP status.
        status: u16,
        /// The bank's error code (empty when it gave none).
        code: String,
        /// The bank's message.
        message: String,
    },
    /// The bank does not know the boleto.
    #[error("boleto {0} not found at the bank")]
    NotFound(String),
    /// The bank registered the boleto but its answer does not add up (the
    /// linha digitável or barcode is not the one the request implies); the
    /// boleto should be cancelled rather than printed.
    #[error("the bank's answer for nosso número {nosso_numero} is inconsistent: {detail}")]
    Inconsistent {
        /// The boleto the bank registered.
        nosso_numero: String,
        /// What does not match.
        detail: String,
    },
    /// Transport, timeout or an answer that is not the documented JSON.
    #[error(transparent)]
    Http(#[from] http::Error),
}

/// Brazil's 27 federative units.
const UFS: [&str; 27] = [
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB", "PE",
    "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
];

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), Error> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(invalid(field, "is required"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(invalid(
            field,
            format!("has {len} characters, at most {max}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "has control characters"));
    }
    Ok(())
}

impl BoletoRequest {
    /// Checks what every bank requires; the error names the field.
    pub fn validate(&self) -> Result<(), Error> {
        let r = self.reference.trim();
        if r.is_empty() {
            return Err(invalid("reference", "is required"));
        }
        if r.len() > 15
            || !r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
        {
            return Err(invalid(
                "reference",
                "must be up to 15 letters, digits, '-' or '/'",
            ));
        }
        if self.number == 0 || self.number > 9_999_999_999 {
            return Err(invalid("number", "must be from 1 to 9999999999"));
        }
        if !(1..=9_999_999_999).contains(&self.amount) {
            return Err(invalid(
                "amount",
                format!("{} centavos is not from 1 to 9999999999", self.amount),
            ));
        }
        if self.due_date < self.issue_date {
            return Err(invalid(
                "due_date",
                format!(
                    "{} is before the issue date {}",
                    self.due_date, self.issue_date
                ),
            ));
        }
        // The due-date factor cannot express dates before 1997.
        if brpay::boleto::due_factor(self.due_date).is_err() {
            return Err(invalid("due_date", "is before 1997-10-07"));
        }
        let p = &self.payer;
        text("payer.name", &p.name, 60, true)?;
        let doc = digits_of(&p.document);
        let doc_ok = match doc.len() {
            11 => brpay::check::cpf_is_valid(&doc),
            14 => brpay::check::cnpj_is_valid(&doc),
            _ => false,
        };
        if !doc_ok {
            return Err(invalid("payer.document", "is not a valid CPF or CNPJ"));
        }
        text("payer.address", &p.address, 60, true)?;
        text("payer.district", &p.district, 30, false)?;
        if digits_of(&p.cep).len() != 8 || p.cep.chars().any(|c| !c.is_ascii_digit() && c != '-') {
            return Err(invalid("payer.cep", "must be 8 digits"));
        }
        text("payer.city", &p.city, 30, true)?;
        if !UFS.contains(&p.uf.trim()) {
            return Err(invalid(
                "payer.uf",
                format!("{:?} is not a Brazilian state", p.uf),
            ));
        }
        if let Some(f) = &self.fine {
            if f.from <= self.due_date {
                return Err(invalid("fine.from", "must be after the due date"));
            }
            self.check_value("fine.value", f.value)?;
        }
        if let Some(i) = &self.interest
            && (i.monthly_bps == 0 || i.monthly_bps > 10_000)
        {
            return Err(invalid(
                "interest.monthly_bps",
                "must be from 1 to 10000 (100 % a month)",
            ));
        }
        if let Some(d) = &self.discount {
            if d.until > self.due_date {
                return Err(invalid("discount.until", "must not be after the due date"));
            }
            self.check_value("discount.value", d.value)?;
        }
        let message_len: usize = self.messages.iter().map(|m| m.chars().count() + 1).sum();
        if message_len > 166 {
            return Err(invalid("messages", "at most 165 characters together"));
        }
        if self
            .messages
            .iter()
            .any(|m| m.chars().any(char::is_control))
        {
            return Err(invalid("messages", "have control characters"));
        }
        Ok(())
    }

    fn check_value(&self, field: &'static str, value: FineValue) -> Result<(), Error> {
        match value {
            FineValue::Percent(bps) if bps == 0 || bps > 10_000 => {
                Err(invalid(field, "percent must be from 0.01 % to 100 %"))
            }
            FineValue::Amount(a) if a <= 0 || a >= self.amount => Err(invalid(
                field,
                "amount must be positive and below the boleto's amount",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn request() -> BoletoRequest {
        BoletoRequest {
            reference: "INV-2026-0001".into(),
            number: 1,
            amount: 12_990,
            issue_date: date(2026, 12, 1),
            due_date: date(2026, 12, 10),
            payer: Payer {
                name: "Maria da Silva".into(),
                document: "529.982.247-25".into(),
                address: "Rua das Flores, 10".into(),
                district: "Centro".into(),
                cep: "01310-100".into(),
                city: "São Paulo".into(),
                uf: "SP".into(),
            },
            fine: Some(Fine {
                value: FineValue::Percent(200),
                from: date(2026, 12, 11),
            }),
            interest: Some(Interest { monthly_bps: 100 }),
            discount: None,
            messages: vec!["Internet 300 Mb".into()],
            with_pix: false,
        }
    }

    fn field_of(r: &BoletoRequest) -> &'static str {
        match r.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        request().validate().expect("valid");
    }

    #[test]
    fn each_defect_names_its_field() {
        let mut r = request();
        r.amount = 0;
        assert_eq!(field_of(&r), "amount");
        let mut r = request();
        r.payer.document = "123.456.789-00".into();
        assert_eq!(field_of(&r), "payer.document");
        let mut r = request();
        r.payer.cep = "0131010".into();
        assert_eq!(field_of(&r), "payer.cep");
        let mut r = request();
        r.payer.uf = "XX".into();
        assert_eq!(field_of(&r), "payer.uf");
        let mut r = request();
        r.due_date = date(2026, 11, 30);
        assert_eq!(field_of(&r), "due_date");
        let mut r = request();
        r.fine = Some(Fine {
            value: FineValue::Percent(200),
            from: r.due_date,
        });
        assert_eq!(field_of(&r), "fine.from");
        let mut r = request();
        r.discount = Some(Discount {
            value: FineValue::Amount(20_000),
            until: r.due_date,
        });
        assert_eq!(field_of(&r), "discount.value");
        let mut r = request();
        r.reference = "an invoice number far too long".into();
        assert_eq!(field_of(&r), "reference");
        let mut r = request();
        r.payer.name = "  ".into();
        assert_eq!(field_of(&r), "payer.name");
        let mut r = request();
        r.messages = vec!["x".repeat(200)];
        assert_eq!(field_of(&r), "messages");
    }
}
