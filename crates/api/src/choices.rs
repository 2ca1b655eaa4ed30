//! Named `enum` schemas for the text fields that hold one of a fixed set
//! of values. The fields stay `String`s (the services speak text); these
//! types exist for the document only (`#[schema(value_type = …)]`), and a
//! test checks each list against the list the domain or the services keep.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! choice {
    ($(#[doc = $doc:literal])+ $name:ident = [$($v:literal),+ $(,)?]) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            /// The values, in the document's order.
            #[allow(dead_code)] // read by the tests
            pub const VALUES: &'static [&'static str] = &[$($v),+];
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(concat!($($doc),+).trim()))
                    .enum_values(Some(Self::VALUES.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

choice!(
    /// Where a contract is in its life.
    ContractStatus = ["pending_installation", "active", "suspended", "canceled"]
);
choice!(
    /// Why a contract is suspended.
    SuspendReason = ["non_payment", "customer_request", "administrative"]
);
choice!(
    /// A person (CPF) or a company (CNPJ).
    CustomerKind = ["person", "company"]
);
choice!(
    /// The kind of a customer's tax document.
    TaxDocumentKind = ["cpf", "cnpj", "foreign"]
);
choice!(
    /// How a customer prefers to be reached.
    Channel = ["email", "phone", "sms", "whatsapp", "mail"]
);
choice!(
    /// The language a customer is written to in: empty for the company's.
    CustomerLanguage = ["", "en", "pt-BR"]
);
choice!(
    /// A billing address (at most one per customer) or a service address.
    AddressKind = ["billing", "service"]
);
choice!(
    /// When a plan is paid.
    BillingMode = ["prepaid", "postpaid"]
);
choice!(
    /// How often a plan or service item is billed.
    Cycle = ["monthly", "quarterly", "yearly"]
);
choice!(
    /// The access technology of a plan.
    Technology = ["fiber", "wireless", "cable", "dsl"]
);
choice!(
    /// What RADIUS gives a suspended subscriber.
    SuspendedBehavior = ["reject", "restricted"]
);
choice!(
    /// What happens past a plan's data quota.
    QuotaAction = ["throttle", "block"]
);
choice!(
    /// A NAS's vendor profile.
    NasKind = ["mikrotik", "accel-ppp", "cisco", "huawei", "juniper", "generic"]
);
choice!(
    /// What a KYC document is.
    KycKind = ["identity", "proof_of_address", "contract_signed", "other"]
);
choice!(
    /// Where a KYC document is in its review.
    KycStatus = ["pending", "verified", "rejected"]
);
choice!(
    /// A KYC document's type, read from its content.
    KycContentType = ["application/pdf", "image/jpeg", "image/png", "image/webp"]
);
choice!(
    /// Where a background job is.
    JobStatus = ["queued", "running", "succeeded", "failed", "dead"]
);
choice!(
    /// The answer to an authentication attempt.
    AuthResult = ["accept", "restricted", "reject"]
);
choice!(
    /// A plan change: done, waiting for its date, or replaced / its contract canceled.
    PlanChangeState = ["applied", "scheduled", "canceled"]
);
choice!(
    /// What deleting a NAS did.
    RemovalResult = ["deleted", "disabled"]
);
choice!(
    /// Where a CoA / Disconnect request is.
    CoaStatus = ["pending", "ack", "nak", "failed"]
);
choice!(
    /// Which staff users a list shows.
    UserStatus = ["active", "disabled", "all"]
);
choice!(
    /// The order of a customer list.
    CustomerSort = ["newest", "name"]
);
choice!(
    /// A language of the interface.
    Locale = ["en", "pt-BR"]
);
choice!(
    /// A settings group.
    SettingGroup = ["security", "email", "backup", "radius", "billing", "pix", "boleto", "stripe", "paypal"]
);
choice!(
    /// The type of a setting's value.
    SettingType = ["int", "bool", "text", "email", "choice", "role_list", "secret", "url", "pem", "secret_pem"]
);
choice!(
    /// Where an invoice or credit note is: a draft, issued (immutable), or
    /// voided by a credit note.
    InvoiceStatus = ["draft", "issued", "voided"]
);
choice!(
    /// How a tax relates to the price: added on top, included VAT-style, or
    /// included as a share of the price.
    TaxMode = ["on_top", "included_vat", "included_share"]
);
choice!(
    /// Where a billing run is.
    BillingRunStatus = ["running", "done", "failed"]
);

choice!(
    /// What a network site is.
    SiteKind = ["tower", "data_center", "cabinet", "street_box", "customer_premises"]
);
choice!(
    /// Whether a site or device is in service.
    NetworkStatus = ["active", "planned", "retired"]
);
choice!(
    /// What a network device does.
    DeviceRole = ["router", "olt", "switch", "radio_ap", "radio_station", "server"]
);
choice!(
    /// The medium of a link.
    LinkKind = ["fibre", "wireless_ptp", "wireless_ptmp"]
);
choice!(
    /// Whether a link carries traffic.
    LinkStatus = ["active", "down", "planned"]
);
choice!(
    /// How a pool's addresses reach subscribers: from the router (dynamic) or one per contract (static).
    PoolKind = ["dynamic", "static"]
);
choice!(
    /// Who a pool serves.
    PoolPurpose = ["customers", "suspended", "unknown"]
);
choice!(
    /// A taken address: a contract's, or reserved.
    AssignmentKind = ["contract", "reserved"]
);

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|x| text(*x)).collect()
    }

    #[test]
    fn every_choice_matches_the_list_the_code_keeps() {
        {
            use domain::network::{self as n, ipam as i};
            assert_eq!(
                SiteKind::VALUES,
                texts(n::SiteKind::ALL, n::SiteKind::as_str)
            );
            assert_eq!(
                NetworkStatus::VALUES,
                texts(n::Status::ALL, n::Status::as_str)
            );
            assert_eq!(
                DeviceRole::VALUES,
                texts(n::DeviceRole::ALL, n::DeviceRole::as_str)
            );
            assert_eq!(
                LinkKind::VALUES,
                texts(n::LinkKind::ALL, n::LinkKind::as_str)
            );
            assert_eq!(
                LinkStatus::VALUES,
                texts(n::LinkStatus::ALL, n::LinkStatus::as_str)
            );
            assert_eq!(
                PoolKind::VALUES,
                texts(i::PoolKind::ALL, i::PoolKind::as_str)
            );
            assert_eq!(
                PoolPurpose::VALUES,
                texts(i::PoolPurpose::ALL, i::PoolPurpose::as_str)
            );
            assert_eq!(
                AssignmentKind::VALUES,
                texts(i::AssignmentKind::ALL, i::AssignmentKind::as_str)
            );
        }
        use domain::catalog as plan;
        assert_eq!(
            ContractStatus::VALUES,
            texts(
                domain::contracts::Status::ALL,
                domain::contracts::Status::as_str
            )
        );
        assert_eq!(
            SuspendReason::VALUES,
            texts(
                domain::contracts::SuspendReason::ALL,
                domain::contracts::SuspendReason::as_str
            )
        );
        for (i, k) in TaxDocumentKind::VALUES.iter().enumerate() {
            let kind = domain::crm::document::DocKind::parse(k);
            assert_eq!(kind.map(|k| k.as_str()), Some(*k), "{i}");
        }
        assert_eq!(Channel::VALUES, services::crm::CHANNELS);
        assert_eq!(
            &CustomerLanguage::VALUES[1..],
            texts(&domain::Locale::ALL, domain::Locale::tag).as_slice()
        );
        assert_eq!(
            BillingMode::VALUES,
            texts(plan::BillingMode::ALL, plan::BillingMode::as_str)
        );
        assert_eq!(Cycle::VALUES, texts(plan::Cycle::ALL, plan::Cycle::as_str));
        assert_eq!(
            Technology::VALUES,
            texts(plan::Technology::ALL, plan::Technology::as_str)
        );
        assert_eq!(
            SuspendedBehavior::VALUES,
            texts(
                plan::SuspendedBehavior::ALL,
                plan::SuspendedBehavior::as_str
            )
        );
        assert_eq!(
            QuotaAction::VALUES,
            texts(plan::QuotaAction::ALL, plan::QuotaAction::as_str)
        );
        assert_eq!(
            NasKind::VALUES,
            texts(
                &domain::radius::NasKind::ALL,
                domain::radius::NasKind::as_str
            )
        );
        assert_eq!(KycKind::VALUES, services::crm::documents::KINDS);
        assert_eq!(AuthResult::VALUES, domain::radius::AUTH_RESULTS);
        for s in JobStatus::VALUES {
            assert_eq!(
                services::system::jobs::Status::parse(s).map(|x| x.as_str()),
                Some(*s)
            );
        }
        assert_eq!(
            InvoiceStatus::VALUES,
            texts(
                &domain::billing::invoice::Status::ALL,
                domain::billing::invoice::Status::as_str
            )
        );
        assert_eq!(
            TaxMode::VALUES,
            texts(
                &domain::billing::tax::TaxMode::ALL,
                domain::billing::tax::TaxMode::as_str
            )
        );
        assert_eq!(
            Locale::VALUES,
            texts(&domain::Locale::ALL, |l: domain::Locale| l.tag())
        );
        assert_eq!(
            SettingGroup::VALUES,
            texts(
                &domain::system::settings::Group::ALL,
                domain::system::settings::Group::slug
            )
        );
    }
}
