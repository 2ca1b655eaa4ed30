//! Collections (dunning): the policy that says when reminders, the
//! suspension notice and the suspension come after an invoice's due date,
//! Brazil's limits on it (Anatel's RGC, Resolução 765/2023; the consumer
//! code's 2 % fine and 1 % a month interest), the message templates, and the
//! late fee and interest owed on an invoice paid late.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::rate::{Rate, WHOLE, scale};
use crate::money::Money;

/// Brazil's ceiling on the late fee (multa moratória, CDC art. 52 §1): 2 %.
pub const BR_MAX_FINE: Rate = Rate(20_000);
/// Brazil's ceiling on interest (juros de mora, Código Civil art. 406 with
/// the usual contract term): 1 % a month, pro rata die.
pub const BR_MAX_INTEREST: Rate = Rate(10_000);
/// Days between the suspension notice and the earliest suspension that the
/// RGC (Resolução 765/2023) requires.
pub const BR_MIN_NOTICE_DAYS: i64 = 15;
/// Reminders a policy may hold.
pub const MAX_REMINDERS: usize = 8;
/// The longest template text.
pub const MAX_TEMPLATE: usize = 4000;

/// The placeholders every template may use. `pay_link` is the invoice's
/// public payment page; when the installation's public address is not
/// set, the lines holding it are left out ([`without_lines_of`]).
pub const PLACEHOLDERS: [&str; 10] = [
    "name",
    "company",
    "number",
    "amount",
    "due_date",
    "days",
    "owed",
    "suspend_from",
    "reconnect_hours",
    "pay_link",
];

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject_en: String,
    pub body_en: String,
    pub subject_pt: String,
    pub body_pt: String,
}

impl Template {
    /// Subject and body for `locale` (`en`, anything else is pt-BR).
    pub fn pick(&self, locale: &str) -> (&str, &str) {
        if locale == "en" {
            (&self.subject_en, &self.body_en)
        } else {
            (&self.subject_pt, &self.body_pt)
        }
    }
}

/// A reminder `offset_days` from the due date (−3: three days before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub offset_days: i64,
    pub template: Template,
}

impl Reminder {
    /// The key of its row in the sent-notices table (`reminder-3`,
    /// `reminder+0`, `reminder+3`).
    pub fn step(&self) -> String {
        format!("reminder{:+}", self.offset_days)
    }
}

/// The step key of the suspension notice.
pub const NOTICE_STEP: &str = "notice";

/// A collections policy. One is in force; its defaults depend on the
/// company's country ([`Policy::default_for`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Reminders, in offset order.
    pub reminders: Vec<Reminder>,
    /// Late fee on the invoice amount, once.
    pub fine: Rate,
    /// Interest per month of 30 days, charged per day late.
    pub interest_monthly: Rate,
    /// Days after the due date the suspension notice goes out.
    pub notice_offset_days: i64,
    /// Days from the notice to the earliest suspension.
    pub suspend_after_notice_days: i64,
    /// The notice, as the RGC asks: reason, amount, the date suspension may
    /// start, credit bureaus, reconnection time.
    pub notice: Template,
    /// Overdue amounts below this (the customer's total) suspend nobody.
    pub min_amount: Money,
    /// Most days a trust unlock may last.
    pub unlock_max_days: i64,
    /// Days suspended for non-payment after which a contract is listed for
    /// cancellation.
    pub cancel_after_days: i64,
    /// Hours reconnection may take once paid, as the notice states it.
    pub reconnect_hours: i64,
    /// Whether a reconnection fee is charged on reactivation (never in
    /// Brazil).
    pub reconnection_fee: Money,
    /// The optional step between the notice and the suspension: the
    /// contract's speed reduced (off in every country's defaults; policies
    /// saved before it existed read as off).
    #[serde(default)]
    pub speed_reduction: Option<SpeedReduction>,
}

/// The speed-reduction step: `after_notice_days` after the notice (and
/// before the suspension day) an overdue contract gets `rate` instead of
/// its plan's speed until the debt is paid, it is unlocked on trust or it
/// is suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeedReduction {
    pub after_notice_days: i64,
    pub rate: ReducedRate,
}

/// The reduced rate: a share of the plan's speeds, or a fixed pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReducedRate {
    /// This percentage of each of the plan's speeds (1 to 99).
    Percent { percent: i64 },
    /// These kbit/s, whatever the plan.
    Fixed { up_kbps: i64, down_kbps: i64 },
}

/// The highest fixed reduced rate, kbit/s (100 Gbit/s).
pub const MAX_REDUCED_KBPS: i64 = 100_000_000;

impl ReducedRate {
    /// The (upload, download) kbit/s a plan of `up_kbps`/`down_kbps` gets
    /// while reduced: never above the plan's own speed, never below
    /// 1 kbit/s.
    pub fn apply(self, up_kbps: i64, down_kbps: i64) -> (i64, i64) {
        let (u, d) = match self {
            ReducedRate::Percent { percent } => (
                up_kbps.saturating_mul(percent) / 100,
                down_kbps.saturating_mul(percent) / 100,
            ),
            ReducedRate::Fixed {
                up_kbps: u,
                down_kbps: d,
            } => (u, d),
        };
        (u.min(up_kbps).max(1), d.min(down_kbps).max(1))
    }
}

/// A policy field refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyError {
    pub field: String,
    pub reason: String,
}

fn refuse(field: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Policy {
    /// The policy an installation in `country` (ISO 3166 alpha-2) starts
    /// with: Brazil at its legal ceilings and minimum notice; elsewhere the
    /// same steps without fine or interest.
    pub fn default_for(country: &str) -> Policy {
        let br = country.eq_ignore_ascii_case("BR");
        Policy {
            reminders: vec![
                Reminder {
                    offset_days: -3,
                    template: default_reminder_before(),
                },
                Reminder {
                    offset_days: 0,
                    template: default_reminder_due(),
                },
                Reminder {
                    offset_days: 3,
                    template: default_reminder_late(),
                },
            ],
            fine: if br { BR_MAX_FINE } else { Rate::ZERO },
            interest_monthly: if br { BR_MAX_INTEREST } else { Rate::ZERO },
            notice_offset_days: 5,
            suspend_after_notice_days: BR_MIN_NOTICE_DAYS,
            notice: default_notice(),
            min_amount: Money(if br { 1_000 } else { 500 }),
            unlock_max_days: 5,
            cancel_after_days: 60,
            reconnect_hours: 24,
            reconnection_fee: Money(0),
            speed_reduction: None,
        }
    }

    /// Checks the policy for an installation in `country`, naming the first
    /// field refused. Brazil: fine at most 2 %, interest at most 1 % a month,
    /// at least 15 days from notice to suspension, no reconnection fee.
    pub fn validate(&self, country: &str) -> Result<(), PolicyError> {
        let br = country.eq_ignore_ascii_case("BR");
        if self.reminders.len() > MAX_REMINDERS {
            return Err(refuse(
                "reminders",
                format!("at most {MAX_REMINDERS} reminders"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in self.reminders.iter().enumerate() {
            if !(-30..=60).contains(&r.offset_days) {
                return Err(refuse(
                    format!("reminders.{i}.offset_days"),
                    "must be between -30 and 60 days",
                ));
            }
            if !seen.insert(r.offset_days) {
                return Err(refuse(
                    format!("reminders.{i}.offset_days"),
                    "two reminders on the same day",
                ));
            }
            check_template(&format!("reminders.{i}"), &r.template)?;
        }
        if br && self.fine > BR_MAX_FINE {
            return Err(refuse("fine", "in Brazil the late fee is at most 2 %"));
        }
        if br && self.interest_monthly > BR_MAX_INTEREST {
            return Err(refuse(
                "interest_monthly",
                "in Brazil interest is at most 1 % a month",
            ));
        }
        if self.fine > Rate(100_000) {
            return Err(refuse("fine", "must be at most 10 %"));
        }
        if self.interest_monthly > Rate(100_000) {
            return Err(refuse("interest_monthly", "must be at most 10 % a month"));
        }
        if !(0..=90).contains(&self.notice_offset_days) {
            return Err(refuse(
                "notice_offset_days",
                "must be between 0 and 90 days",
            ));
        }
        let min_notice = if br { BR_MIN_NOTICE_DAYS } else { 1 };
        if !(min_notice..=90).contains(&self.suspend_after_notice_days) {
            return Err(refuse(
                "suspend_after_notice_days",
                format!("must be between {min_notice} and 90 days"),
            ));
        }
        check_template("notice", &self.notice)?;
        if !(0..=1_000_000_000).contains(&self.min_amount.0) {
            return Err(refuse("min_amount", "must be between 0 and 10,000,000"));
        }
        if !(1..=30).contains(&self.unlock_max_days) {
            return Err(refuse("unlock_max_days", "must be between 1 and 30 days"));
        }
        if !(1..=365).contains(&self.cancel_after_days) {
            return Err(refuse(
                "cancel_after_days",
                "must be between 1 and 365 days",
            ));
        }
        if !(1..=240).contains(&self.reconnect_hours) {
            return Err(refuse("reconnect_hours", "must be between 1 and 240 hours"));
        }
        if br && self.reconnection_fee.0 != 0 {
            return Err(refuse(
                "reconnection_fee",
                "in Brazil reconnection after payment is free",
            ));
        }
        if !(0..=100_000_000).contains(&self.reconnection_fee.0) {
            return Err(refuse("reconnection_fee", "must not be negative"));
        }
        if let Some(r) = &self.speed_reduction {
            // The step comes between the notice and the suspension, so the
            // RGC's notice period before suspension is untouched.
            if !(0..self.suspend_after_notice_days).contains(&r.after_notice_days) {
                return Err(refuse(
                    "speed_reduction.after_notice_days",
                    format!(
                        "must be between 0 and {} days (before the suspension)",
                        self.suspend_after_notice_days - 1
                    ),
                ));
            }
            match r.rate {
                ReducedRate::Percent { percent } => {
                    if !(1..=99).contains(&percent) {
                        return Err(refuse(
                            "speed_reduction.percent",
                            "must be between 1 and 99 %",
                        ));
                    }
                }
                ReducedRate::Fixed { up_kbps, down_kbps } => {
                    for (f, v) in [
                        ("speed_reduction.up_kbps", up_kbps),
                        ("speed_reduction.down_kbps", down_kbps),
                    ] {
                        if !(1..=MAX_REDUCED_KBPS).contains(&v) {
                            return Err(refuse(f, "must be between 1 and 100,000,000 kbit/s"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The reminders in offset order.
    pub fn sorted(mut self) -> Policy {
        self.reminders.sort_by_key(|r| r.offset_days);
        self
    }

    /// The latest step the daily pass sends for an invoice, in days after
    /// its due date (reminders and the notice).
    pub fn last_send_offset(&self) -> i64 {
        self.reminders
            .iter()
            .map(|r| r.offset_days)
            .chain([self.notice_offset_days])
            .max()
            .unwrap_or(0)
    }

    /// The earliest step, in days after the due date (negative: before).
    pub fn first_send_offset(&self) -> i64 {
        self.reminders
            .iter()
            .map(|r| r.offset_days)
            .chain([self.notice_offset_days])
            .min()
            .unwrap_or(0)
    }
}

fn check_template(field: &str, t: &Template) -> Result<(), PolicyError> {
    for (name, text, max) in [
        ("subject_en", &t.subject_en, 200),
        ("body_en", &t.body_en, MAX_TEMPLATE),
        ("subject_pt", &t.subject_pt, 200),
        ("body_pt", &t.body_pt, MAX_TEMPLATE),
    ] {
        let f = format!("{field}.{name}");
        if text.trim().is_empty() {
            return Err(refuse(f, "required"));
        }
        if text.chars().count() > max {
            return Err(refuse(f, format!("at most {max} characters")));
        }
        if name.starts_with("subject") && text.chars().any(char::is_control) {
            return Err(refuse(f, "must be one line"));
        }
        if let Some(bad) = unknown_placeholder(text) {
            return Err(refuse(f, format!("unknown placeholder {{{bad}}}")));
        }
    }
    Ok(())
}

/// The first `{placeholder}` in `text` that is not one of
/// [`PLACEHOLDERS`], or an unclosed brace.
pub fn unknown_placeholder(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Some(after.chars().take(20).collect());
        };
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    None
}

/// `text` without the lines that hold `{placeholder}` (for a value that is
/// unknown, such as the payment link of an installation whose public
/// address is not set, so no message says "pay at:" and nothing after).
pub fn without_lines_of(text: &str, placeholder: &str) -> String {
    let tag = format!("{{{placeholder}}}");
    if !text.contains(&tag) {
        return text.to_owned();
    }
    text.split_inclusive('\n')
        .filter(|line| !line.contains(&tag))
        .collect()
}

/// `text` with each `{name}` replaced by its value from `vars`; values are
/// inserted as they are (never read as placeholders themselves).
pub fn render(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The late fee and interest on an invoice paid late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LateCharges {
    /// Days after the due date it was paid (0 when on time).
    pub days_late: i64,
    pub fine: Money,
    pub interest: Money,
}

impl LateCharges {
    pub fn total(&self) -> Money {
        Money(self.fine.0.saturating_add(self.interest.0))
    }
}

/// What `amount`, due on `due`, owes in fine and interest when paid on
/// `paid_on` under `policy`: nothing when paid on or before the due date;
/// else the fine once and interest of `interest_monthly / 30` per day late
/// (pro rata die), each rounded half up to the minor unit.
pub fn late_charges(amount: Money, due: Date, paid_on: Date, policy: &Policy) -> LateCharges {
    let days = days_between(due, paid_on);
    if days <= 0 || amount.0 <= 0 {
        return LateCharges::default();
    }
    LateCharges {
        days_late: days,
        fine: policy.fine.of(amount),
        interest: scale(
            amount,
            i128::from(policy.interest_monthly.0) * i128::from(days),
            i128::from(WHOLE) * 30,
        ),
    }
}

/// Days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    from.until(to)
        .map(|s| i64::from(s.get_days()) + i64::from(s.get_weeks()) * 7)
        .unwrap_or(0)
}

fn default_reminder_before() -> Template {
    Template {
        subject_en: "{company}: invoice {number} is due on {due_date}".into(),
        body_en: "Hello {name},\n\nA reminder that invoice {number} of {amount} is due on \
                  {due_date}. If you have already paid it, please disregard this message.\n\
                  Pay online: {pay_link}\n\n\
                  {company}\n"
            .into(),
        subject_pt: "{company}: a fatura {number} vence em {due_date}".into(),
        body_pt: "Olá {name},\n\nLembramos que a fatura {number}, de {amount}, vence em \
                  {due_date}. Se já a pagou, desconsidere esta mensagem.\n\
                  Pague on-line: {pay_link}\n\n{company}\n"
            .into(),
    }
}

fn default_reminder_due() -> Template {
    Template {
        subject_en: "{company}: invoice {number} is due today".into(),
        body_en: "Hello {name},\n\nInvoice {number} of {amount} is due today ({due_date}). \
                  If you have already paid it, please disregard this message.\n\
                  Pay online: {pay_link}\n\n{company}\n"
            .into(),
        subject_pt: "{company}: a fatura {number} vence hoje".into(),
        body_pt: "Olá {name},\n\nA fatura {number}, de {amount}, vence hoje ({due_date}). \
                  Se já a pagou, desconsidere esta mensagem.\n\
                  Pague on-line: {pay_link}\n\n{company}\n"
            .into(),
    }
}

fn default_reminder_late() -> Template {
    Template {
        subject_en: "{company}: invoice {number} is overdue".into(),
        body_en: "Hello {name},\n\nInvoice {number} of {amount}, due on {due_date}, is {days} \
                  days overdue. Please pay it to keep your service. If you have already paid \
                  it, please disregard this message.\n\
                  Pay online: {pay_link}\n\n{company}\n"
            .into(),
        subject_pt: "{company}: a fatura {number} está em atraso".into(),
        body_pt: "Olá {name},\n\nA fatura {number}, de {amount}, com vencimento em {due_date}, \
                  está em atraso há {days} dias. Pague-a para manter o seu serviço. Se já a \
                  pagou, desconsidere esta mensagem.\n\
                  Pague on-line: {pay_link}\n\n{company}\n"
            .into(),
    }
}

/// The notice the RGC (Resolução 765/2023) asks for before a suspension
/// for non-payment.
fn default_notice() -> Template {
    Template {
        subject_en: "{company}: notice of service suspension for non-payment".into(),
        body_en: "Hello {name},\n\nReason: invoice {number}, due on {due_date}, is unpaid.\n\
                  Amount owed: {owed}.\n\
                  Your internet service may be suspended from {suspend_from} if the amount \
                  owed is not paid by then.\n\
                  The debt may be reported to credit protection bureaus.\n\
                  Once paid, your service is reconnected within {reconnect_hours} hours.\n\
                  Pay online: {pay_link}\n\n\
                  {company}\n"
            .into(),
        subject_pt: "{company}: aviso de suspensão do serviço por falta de pagamento".into(),
        body_pt: "Olá {name},\n\nMotivo: a fatura {number}, com vencimento em {due_date}, não \
                  foi paga.\n\
                  Valor devido: {owed}.\n\
                  O seu serviço de internet poderá ser suspenso a partir de {suspend_from} se o \
                  valor devido não for pago até lá.\n\
                  O débito poderá ser registrado em órgãos de proteção ao crédito.\n\
                  Após o pagamento, o serviço é restabelecido em até {reconnect_hours} horas.\n\
                  Pague on-line: {pay_link}\n\n\
                  {company}\n"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn br() -> Policy {
        Policy::default_for("BR")
    }

    #[test]
    fn late_charges_fine_and_interest_pro_rata_die() {
        let p = br();
        let due = date(2026, 3, 10);
        // On time or early: nothing.
        assert_eq!(
            late_charges(Money(10_000), due, due, &p),
            LateCharges::default()
        );
        assert_eq!(
            late_charges(Money(10_000), due, date(2026, 3, 1), &p),
            LateCharges::default()
        );
        // One day late: 2 % fine, 1/30 of 1 % interest.
        let one = late_charges(Money(10_000), due, date(2026, 3, 11), &p);
        assert_eq!(one.days_late, 1);
        assert_eq!(one.fine, Money(200));
        assert_eq!(one.interest, Money(3)); // 3.33… → 3
        // 45 days late: 1.5 % interest.
        let late = late_charges(Money(10_000), due, date(2026, 4, 24), &p);
        assert_eq!(late.days_late, 45);
        assert_eq!(late.interest, Money(150));
        assert_eq!(late.total(), Money(350));
        // Rounding half up: 99.90 × 1 % × 15 / 30 = 0.4995 → 0.50.
        let half = late_charges(Money(9_990), due, date(2026, 3, 25), &p);
        assert_eq!(half.interest, Money(50));
        assert_eq!(half.fine, Money(200)); // 199.8 → 200
        // 0.25 at 2 %: 0.005 rounds up to 0.01.
        assert_eq!(
            late_charges(Money(25), due, date(2026, 3, 11), &p).fine,
            Money(1)
        );
        // Across a year boundary.
        let y = late_charges(Money(30_000), date(2025, 12, 20), date(2026, 1, 19), &p);
        assert_eq!((y.days_late, y.interest), (30, Money(300)));
        // Nothing on a non-positive amount.
        assert_eq!(
            late_charges(Money(0), due, date(2026, 5, 1), &p),
            LateCharges::default()
        );
    }

    #[test]
    fn brazil_limits_name_the_field() {
        let mut p = br();
        assert_eq!(p.validate("BR"), Ok(()));
        p.fine = Rate(20_001);
        assert_eq!(p.validate("BR").unwrap_err().field, "fine");
        // Elsewhere 3 % is allowed.
        p.fine = Rate(30_000);
        assert_eq!(p.validate("PT"), Ok(()));
        p.fine = BR_MAX_FINE;
        p.interest_monthly = Rate(10_001);
        assert_eq!(p.validate("BR").unwrap_err().field, "interest_monthly");
        p.interest_monthly = BR_MAX_INTEREST;
        p.suspend_after_notice_days = 14;
        assert_eq!(
            p.validate("br").unwrap_err().field,
            "suspend_after_notice_days"
        );
        assert_eq!(p.validate("US"), Ok(()));
        p.suspend_after_notice_days = 15;
        p.reconnection_fee = Money(5_000);
        assert_eq!(p.validate("BR").unwrap_err().field, "reconnection_fee");
        assert_eq!(p.validate("US"), Ok(()));
    }

    #[test]
    fn other_fields_are_checked() {
        let mut p = Policy::default_for("US");
        assert_eq!(p.fine, Rate::ZERO);
        p.reminders[1].offset_days = -3;
        assert_eq!(
            p.validate("US").unwrap_err().field,
            "reminders.1.offset_days"
        );
        let mut p = Policy::default_for("US");
        p.reminders[0].template.body_pt = "Olá {nome}".into();
        let e = p.validate("US").unwrap_err();
        assert_eq!(e.field, "reminders.0.body_pt");
        assert!(e.reason.contains("{nome}"), "{e}");
        let mut p = Policy::default_for("US");
        p.notice.subject_en = " ".into();
        assert_eq!(p.validate("US").unwrap_err().field, "notice.subject_en");
        let mut p = Policy::default_for("US");
        p.unlock_max_days = 0;
        assert_eq!(p.validate("US").unwrap_err().field, "unlock_max_days");
        let mut p = Policy::default_for("US");
        p.min_amount = Money(-1);
        assert_eq!(p.validate("US").unwrap_err().field, "min_amount");
    }

    #[test]
    fn speed_reduction_is_off_by_default_and_checked() {
        for country in ["BR", "US", "PT"] {
            assert_eq!(Policy::default_for(country).speed_reduction, None);
        }
        // A policy saved before the step existed reads as off.
        let mut old = serde_json::to_value(br()).unwrap();
        old.as_object_mut().unwrap().remove("speed_reduction");
        let read: Policy = serde_json::from_value(old).unwrap();
        assert_eq!(read, br());
        let mut p = br();
        let table = [
            (5, ReducedRate::Percent { percent: 50 }, None),
            (0, ReducedRate::Percent { percent: 1 }, None),
            (14, ReducedRate::Percent { percent: 99 }, None),
            (
                15,
                ReducedRate::Percent { percent: 50 },
                Some("speed_reduction.after_notice_days"),
            ),
            (
                -1,
                ReducedRate::Percent { percent: 50 },
                Some("speed_reduction.after_notice_days"),
            ),
            (
                5,
                ReducedRate::Percent { percent: 100 },
                Some("speed_reduction.percent"),
            ),
            (
                5,
                ReducedRate::Percent { percent: 0 },
                Some("speed_reduction.percent"),
            ),
            (
                5,
                ReducedRate::Fixed {
                    up_kbps: 1_000,
                    down_kbps: 2_000,
                },
                None,
            ),
            (
                5,
                ReducedRate::Fixed {
                    up_kbps: 0,
                    down_kbps: 2_000,
                },
                Some("speed_reduction.up_kbps"),
            ),
            (
                5,
                ReducedRate::Fixed {
                    up_kbps: 1_000,
                    down_kbps: MAX_REDUCED_KBPS + 1,
                },
                Some("speed_reduction.down_kbps"),
            ),
        ];
        for (days, rate, want) in table {
            p.speed_reduction = Some(SpeedReduction {
                after_notice_days: days,
                rate,
            });
            let got = p.validate("BR").err().map(|e| e.field);
            assert_eq!(got.as_deref(), want, "{days} {rate:?}");
        }
        // The rates a plan gets.
        let half = ReducedRate::Percent { percent: 50 };
        assert_eq!(half.apply(150_000, 300_000), (75_000, 150_000));
        assert_eq!(ReducedRate::Percent { percent: 1 }.apply(50, 50), (1, 1));
        let fixed = ReducedRate::Fixed {
            up_kbps: 2_000,
            down_kbps: 5_000,
        };
        assert_eq!(fixed.apply(150_000, 300_000), (2_000, 5_000));
        // Never faster than the plan.
        assert_eq!(fixed.apply(1_000, 3_000), (1_000, 3_000));
    }

    #[test]
    fn templates_render_and_defaults_use_known_placeholders() {
        let p = br();
        for r in &p.reminders {
            assert_eq!(check_template("r", &r.template), Ok(()));
        }
        assert_eq!(check_template("n", &p.notice), Ok(()));
        let text = render(
            "Olá {name}, {owed} até {suspend_from} {x} {",
            &[
                ("name", "Ana {owed}".into()),
                ("owed", "R$ 10,00".into()),
                ("suspend_from", "20/03/2026".into()),
            ],
        );
        assert_eq!(text, "Olá Ana {owed}, R$ 10,00 até 20/03/2026 {x} {");
        assert_eq!(unknown_placeholder("a {b"), Some("b".into()));
        assert_eq!(unknown_placeholder("{days} {owed}"), None);
        // Every default message in both languages carries the payment link
        // on a line of its own, which goes when the link is unknown.
        for t in p.reminders.iter().map(|r| &r.template).chain([&p.notice]) {
            for body in [&t.body_en, &t.body_pt] {
                assert!(body.contains("{pay_link}\n"), "{body}");
                let short = without_lines_of(body, "pay_link");
                assert!(
                    !short.contains("pay_link") && !short.contains("Pay online"),
                    "{short}"
                );
                assert!(!short.contains("Pague on-line"), "{short}");
                assert!(short.ends_with("{company}\n"), "{short}");
            }
        }
        assert_eq!(
            without_lines_of("a\nPay: {pay_link}\nb", "pay_link"),
            "a\nb"
        );
        assert_eq!(without_lines_of("Pay: {pay_link}", "pay_link"), "");
        assert_eq!(without_lines_of("no link", "pay_link"), "no link");
    }

    #[test]
    fn steps_and_offsets() {
        let p = br().sorted();
        let steps: Vec<String> = p.reminders.iter().map(Reminder::step).collect();
        assert_eq!(steps, ["reminder-3", "reminder+0", "reminder+3"]);
        assert_eq!((p.first_send_offset(), p.last_send_offset()), (-3, 5));
        assert_eq!(days_between(date(2026, 1, 31), date(2026, 3, 2)), 30);
        assert_eq!(days_between(date(2026, 3, 2), date(2026, 1, 31)), -30);
    }
}
