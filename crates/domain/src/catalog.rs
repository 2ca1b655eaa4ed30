//! The service catalog: internet plans and the non-internet recurring items
//! (IPTV, VoIP, equipment rental) a contract can carry.

use crate::money::Money;
use crate::validate::{self, FieldError, Invalid};

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Serialised as the stored text, so typed event payloads spell
        // values as the database does.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                $name::parse(&text)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&text, &[$($text),+]))
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// When the customer pays: before or after the period.
    BillingMode { Prepaid = "prepaid", Postpaid = "postpaid" }
);
text_enum!(
    /// How long one billing period is.
    Cycle { Monthly = "monthly", Quarterly = "quarterly", Yearly = "yearly" }
);
text_enum!(
    Technology { Fiber = "fiber", Wireless = "wireless", Cable = "cable", Dsl = "dsl" }
);
text_enum!(
    /// What a suspended subscriber gets from RADIUS.
    SuspendedBehavior { Reject = "reject", Restricted = "restricted" }
);
text_enum!(
    /// What happens past the data quota: throttled to a speed, or blocked.
    QuotaAction { Throttle = "throttle", Block = "block" }
);

impl Cycle {
    pub fn months(self) -> u32 {
        match self {
            Cycle::Monthly => 1,
            Cycle::Quarterly => 3,
            Cycle::Yearly => 12,
        }
    }
}

/// A burst: the rate allowed while average use stays under the threshold,
/// measured over `time_secs` (MikroTik-style burst).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    pub rate_kbps: i64,
    pub threshold_kbps: i64,
    pub time_secs: i64,
}

/// The field names of the download burst's parts: rate, threshold, time.
pub const BURST_DOWN_FIELDS: [&str; 3] = [
    "burst_down_rate_kbps",
    "burst_down_threshold_kbps",
    "burst_down_time_secs",
];

/// The field names of the upload burst's parts: rate, threshold, time.
pub const BURST_UP_FIELDS: [&str; 3] = [
    "burst_up_rate_kbps",
    "burst_up_threshold_kbps",
    "burst_up_time_secs",
];

impl Burst {
    /// A burst from its three parts as a form or the API gives them
    /// (`names`: rate, threshold, time): none when no part is given, all
    /// three together, or the first missing part is required. The one rule
    /// for every interface; [`Plan::validate`] then checks the values.
    pub fn from_parts(
        names: [&'static str; 3],
        parts: [Option<i64>; 3],
    ) -> Result<Option<Burst>, Invalid> {
        match parts {
            [None, None, None] => Ok(None),
            [Some(rate_kbps), Some(threshold_kbps), Some(time_secs)] => Ok(Some(Burst {
                rate_kbps,
                threshold_kbps,
                time_secs,
            })),
            _ => {
                let missing = names
                    .iter()
                    .zip(parts)
                    .find(|(_, v)| v.is_none())
                    .map(|(n, _)| *n)
                    .unwrap_or(names[0]);
                Err(Invalid::new(missing, FieldError::Required))
            }
        }
    }
}

/// A data quota per billing cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub megabytes: i64,
    pub action: QuotaAction,
    /// For [`QuotaAction::Throttle`]: the speed past the quota.
    pub throttle_kbps: Option<i64>,
}

impl Quota {
    /// A quota from its parts as a form or the API gives them: the size
    /// (`quota_mb`) makes the quota, and then its action is required;
    /// without a size there is none, whatever action or throttle speed came
    /// with it (the plan form always sends its action's choice, and
    /// clearing the size removes a plan's quota). The throttle speed is
    /// kept with a quota; [`Plan::validate`] checks the values.
    pub fn from_parts(
        megabytes: Option<i64>,
        action: Option<QuotaAction>,
        throttle_kbps: Option<i64>,
    ) -> Result<Option<Quota>, Invalid> {
        match (megabytes, action) {
            (None, _) => Ok(None),
            (Some(megabytes), Some(action)) => Ok(Some(Quota {
                megabytes,
                action,
                throttle_kbps,
            })),
            (Some(_), None) => Err(Invalid::new("quota_action", FieldError::Required)),
        }
    }
}

/// An internet plan as it is offered (prices are the catalog price; each
/// contract keeps its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub description: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub burst_down: Option<Burst>,
    pub burst_up: Option<Burst>,
    pub quota: Option<Quota>,
    pub price: Money,
    pub billing_mode: BillingMode,
    pub cycle: Cycle,
    pub installation_fee: Money,
    pub loyalty_months: i64,
    pub early_termination_fee: Money,
    pub tax_category: String,
    pub technology: Technology,
    pub suspended_behavior: SuspendedBehavior,
    pub active: bool,
    pub public: bool,
}

/// 100 Gbit/s, well past any subscriber line.
pub const MAX_KBPS: i64 = 100_000_000;

fn speed(field: &'static str, v: i64) -> Result<(), Invalid> {
    if (1..=MAX_KBPS).contains(&v) {
        Ok(())
    } else {
        Err(Invalid::new(field, FieldError::Range))
    }
}

fn amount(field: &'static str, m: Money) -> Result<(), Invalid> {
    if m.is_negative() {
        Err(Invalid::new(field, FieldError::Range))
    } else {
        Ok(())
    }
}

fn burst(prefix: &'static [&'static str; 3], b: &Burst, base: i64) -> Result<(), Invalid> {
    speed(prefix[0], b.rate_kbps)?;
    if b.rate_kbps <= base {
        return Err(Invalid::new(prefix[0], FieldError::Range));
    }
    if !(1..=b.rate_kbps).contains(&b.threshold_kbps) {
        return Err(Invalid::new(prefix[1], FieldError::Range));
    }
    if !(1..=3600).contains(&b.time_secs) {
        return Err(Invalid::new(prefix[2], FieldError::Range));
    }
    Ok(())
}

impl Plan {
    /// Checks every rule, naming the first field that breaks one.
    pub fn validate(&self) -> Result<(), Invalid> {
        validate::required(&self.name, 80).map_err(|e| Invalid::new("name", e))?;
        validate::optional_multiline(&self.description, 2000)
            .map_err(|e| Invalid::new("description", e))?;
        speed("download_kbps", self.download_kbps)?;
        speed("upload_kbps", self.upload_kbps)?;
        if let Some(b) = &self.burst_down {
            burst(&BURST_DOWN_FIELDS, b, self.download_kbps)?;
        }
        if let Some(b) = &self.burst_up {
            burst(&BURST_UP_FIELDS, b, self.upload_kbps)?;
        }
        if let Some(q) = &self.quota {
            if q.megabytes < 1 {
                return Err(Invalid::new("quota_mb", FieldError::Range));
            }
            match (q.action, q.throttle_kbps) {
                (QuotaAction::Throttle, Some(k)) if (1..self.download_kbps).contains(&k) => {}
                (QuotaAction::Throttle, Some(_)) => {
                    return Err(Invalid::new("quota_throttle_kbps", FieldError::Range));
                }
                (QuotaAction::Throttle, None) => {
                    return Err(Invalid::new("quota_throttle_kbps", FieldError::Required));
                }
                (QuotaAction::Block, _) => {}
            }
        }
        amount("price", self.price)?;
        amount("installation_fee", self.installation_fee)?;
        amount("early_termination_fee", self.early_termination_fee)?;
        if !(0..=60).contains(&self.loyalty_months) {
            return Err(Invalid::new("loyalty_months", FieldError::Range));
        }
        if self.loyalty_months == 0 && self.early_termination_fee != Money::ZERO {
            return Err(Invalid::new("early_termination_fee", FieldError::Range));
        }
        validate::optional(&self.tax_category, 40).map_err(|e| Invalid::new("tax_category", e))?;
        Ok(())
    }
}

/// A non-internet recurring service (IPTV, VoIP, equipment rental).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceItem {
    pub name: String,
    pub description: String,
    pub price: Money,
    pub cycle: Cycle,
    pub tax_category: String,
    pub active: bool,
}

impl ServiceItem {
    pub fn validate(&self) -> Result<(), Invalid> {
        validate::required(&self.name, 80).map_err(|e| Invalid::new("name", e))?;
        validate::optional_multiline(&self.description, 2000)
            .map_err(|e| Invalid::new("description", e))?;
        amount("price", self.price)?;
        validate::optional(&self.tax_category, 40).map_err(|e| Invalid::new("tax_category", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn plan() -> Plan {
        Plan {
            name: "Fibra 500".into(),
            description: String::new(),
            download_kbps: 500_000,
            upload_kbps: 250_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: Money(9990),
            billing_mode: BillingMode::Postpaid,
            cycle: Cycle::Monthly,
            installation_fee: Money::ZERO,
            loyalty_months: 12,
            early_termination_fee: Money(30000),
            tax_category: "scm".into(),
            technology: Technology::Fiber,
            suspended_behavior: SuspendedBehavior::Restricted,
            active: true,
            public: true,
        }
    }

    #[test]
    fn bursts_and_quotas_come_whole_or_name_the_missing_part() {
        let f = BURST_DOWN_FIELDS;
        assert_eq!(Burst::from_parts(f, [None, None, None]), Ok(None));
        assert_eq!(
            Burst::from_parts(f, [Some(600_000), Some(400_000), Some(8)]),
            Ok(Some(Burst {
                rate_kbps: 600_000,
                threshold_kbps: 400_000,
                time_secs: 8
            }))
        );
        for (parts, missing) in [
            ([Some(1), None, None], "burst_down_threshold_kbps"),
            ([Some(1), Some(1), None], "burst_down_time_secs"),
            ([None, Some(1), Some(1)], "burst_down_rate_kbps"),
            ([None, None, Some(1)], "burst_down_rate_kbps"),
        ] {
            assert_eq!(
                Burst::from_parts(f, parts),
                Err(Invalid::new(missing, FieldError::Required)),
                "{parts:?}"
            );
        }
        assert_eq!(Quota::from_parts(None, None, Some(1000)), Ok(None));
        assert_eq!(
            Quota::from_parts(Some(1000), None, None),
            Err(Invalid::new("quota_action", FieldError::Required))
        );
        assert_eq!(
            Quota::from_parts(None, Some(QuotaAction::Block), Some(1000)),
            Ok(None)
        );
        assert_eq!(
            Quota::from_parts(Some(1000), Some(QuotaAction::Throttle), Some(5000)),
            Ok(Some(Quota {
                megabytes: 1000,
                action: QuotaAction::Throttle,
                throttle_kbps: Some(5000)
            }))
        );
    }

    #[test]
    fn every_rule_names_its_field() {
        assert_eq!(plan().validate(), Ok(()));
        let b = |rate, threshold, time| {
            Some(Burst {
                rate_kbps: rate,
                threshold_kbps: threshold,
                time_secs: time,
            })
        };
        let q = |mb, action, throttle| {
            Some(Quota {
                megabytes: mb,
                action,
                throttle_kbps: throttle,
            })
        };
        type Edit = Box<dyn Fn(&mut Plan)>;
        let cases: Vec<(&str, FieldError, Edit)> = vec![
            (
                "name",
                FieldError::Required,
                Box::new(|p| p.name = " ".into()),
            ),
            (
                "name",
                FieldError::TooLong,
                Box::new(|p| p.name = "x".repeat(81)),
            ),
            (
                "description",
                FieldError::TooLong,
                Box::new(|p| p.description = "x".repeat(2001)),
            ),
            (
                "download_kbps",
                FieldError::Range,
                Box::new(|p| p.download_kbps = 0),
            ),
            (
                "upload_kbps",
                FieldError::Range,
                Box::new(|p| p.upload_kbps = MAX_KBPS + 1),
            ),
            (
                "burst_down_rate_kbps",
                FieldError::Range,
                Box::new(move |p| p.burst_down = b(400_000, 1, 8)),
            ),
            (
                "burst_down_threshold_kbps",
                FieldError::Range,
                Box::new(move |p| p.burst_down = b(600_000, 0, 8)),
            ),
            (
                "burst_down_time_secs",
                FieldError::Range,
                Box::new(move |p| p.burst_down = b(600_000, 400_000, 0)),
            ),
            (
                "burst_up_rate_kbps",
                FieldError::Range,
                Box::new(move |p| p.burst_up = b(0, 1, 8)),
            ),
            (
                "quota_mb",
                FieldError::Range,
                Box::new(move |p| p.quota = q(0, QuotaAction::Block, None)),
            ),
            (
                "quota_throttle_kbps",
                FieldError::Required,
                Box::new(move |p| p.quota = q(1000, QuotaAction::Throttle, None)),
            ),
            (
                "quota_throttle_kbps",
                FieldError::Range,
                Box::new(move |p| p.quota = q(1000, QuotaAction::Throttle, Some(500_000))),
            ),
            (
                "price",
                FieldError::Range,
                Box::new(|p| p.price = Money(-1)),
            ),
            (
                "installation_fee",
                FieldError::Range,
                Box::new(|p| p.installation_fee = Money(-1)),
            ),
            (
                "early_termination_fee",
                FieldError::Range,
                Box::new(|p| p.early_termination_fee = Money(-1)),
            ),
            (
                "loyalty_months",
                FieldError::Range,
                Box::new(|p| p.loyalty_months = 61),
            ),
            (
                "early_termination_fee",
                FieldError::Range,
                Box::new(|p| p.loyalty_months = 0),
            ),
            (
                "tax_category",
                FieldError::TooLong,
                Box::new(|p| p.tax_category = "x".repeat(41)),
            ),
        ];
        for (field, error, edit) in cases {
            let mut p = plan();
            edit(&mut p);
            assert_eq!(p.validate(), Err(Invalid::new(field, error)), "{field}");
        }
        let mut ok = plan();
        ok.burst_down = b(600_000, 400_000, 8);
        ok.quota = q(100_000, QuotaAction::Throttle, Some(1000));
        assert_eq!(ok.validate(), Ok(()));
    }

    #[test]
    fn enums_round_trip() {
        for c in Cycle::ALL {
            assert_eq!(Cycle::parse(c.as_str()), Some(*c));
        }
        for t in Technology::ALL {
            assert_eq!(Technology::parse(t.as_str()), Some(*t));
        }
        assert_eq!(Cycle::Quarterly.months(), 3);
        assert_eq!(BillingMode::parse("later"), None);
        let item = ServiceItem {
            name: "IPTV".into(),
            description: String::new(),
            price: Money(2990),
            cycle: Cycle::Monthly,
            tax_category: String::new(),
            active: true,
        };
        assert_eq!(item.validate(), Ok(()));
        assert_eq!(
            ServiceItem {
                price: Money(-1),
                ..item
            }
            .validate(),
            Err(Invalid::new("price", FieldError::Range))
        );
    }
}
