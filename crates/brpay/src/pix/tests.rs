use super::*;

// BCB, "Manual de Padrões para Iniciação do Pix", section 6.1 (static
// example), as transcribed field by field in gist matheusb-comp/1efa205b.
// The transcription prints CRC 170E, which does not match its own fields
// (the dynamic example of the same gist, EEAB, does): the CRC here is the
// one computed over the transcribed fields, 04ED.
const BCB_STATIC: &str = "00020126360014BR.GOV.BCB.PIX0114+5511943214321520400005303986540566.665802BR5907EMPRESA6008BRASILIA62070503***630404ED";
// Same manual, section 6.2 (dynamic example).
const BCB_DYNAMIC: &str = "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a995204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB";
// The BCB manual's EVP example, widely reproduced (e.g. pix-utils' tests).
const BCB_EVP: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
// Quoted as "produced by a bank's app" in doisrsis/agendapro,
// docs/ANALISE_CHAVE_PIX_TRACOS.md — but as printed there the point of
// initiation reads `01 01 0`, which desynchronises every later field: a
// good test of a precise error.
const BANK_APP: &str = "0002010101021226630014BR.GOV.BCB.PIX0132420ab7c44d6346d4809ecd3eebc129ec0205BARBA52040000530398654041.005802BR5922RAFAEL DE ANDRADE DIAS6004LAJE62160512AG00000002386304\
7C58";
// Produced by Stark Infra's API (developers.qodex.ai, "create static brcodes").
const STARK: &str = "00020126360014br.gov.bcb.pix0114+554199999999952040000530398654041.005802BR5915Jamie Lannister6009Sao Paulo621005061234566304A63E";

#[test]
fn crc_catalogue_value() {
    assert_eq!(crc16(b"123456789"), 0x29B1);
    assert_eq!(crc16(b""), 0xFFFF);
}

#[test]
fn bcb_manual_examples_parse() {
    let s = parse(BCB_STATIC).expect("static");
    assert_eq!(s.key.as_deref(), Some("+5511943214321"));
    assert_eq!(s.key_kind, Some(KeyKind::Phone));
    assert_eq!(s.amount, Some(6666));
    assert_eq!(s.merchant_name, "EMPRESA");
    assert_eq!(s.txid.as_deref(), Some("***"));
    assert!(!s.is_dynamic());

    let d = parse(BCB_DYNAMIC).expect("dynamic");
    assert_eq!(d.initiation, Some(Initiation::Dynamic));
    assert_eq!(
        d.location.as_deref(),
        Some("pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99")
    );
    assert!(d.is_dynamic());

    let e = parse(BCB_EVP).expect("evp");
    assert_eq!(e.key_kind, Some(KeyKind::Evp));
    assert_eq!(e.merchant_name, "Fulano de Tal");
}

#[test]
fn bcb_manual_examples_build_byte_for_byte() {
    let s = PixBuilder::with_key("+5511943214321")
        .merchant("EMPRESA", "BRASILIA")
        .amount(6666)
        .upper_case_gui()
        .build();
    assert_eq!(s.as_deref(), Ok(BCB_STATIC));
    let d = PixBuilder::with_location("pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99")
        .merchant("EMPRESA", "SAO PAULO")
        .upper_case_gui()
        .build();
    assert_eq!(d.as_deref(), Ok(BCB_DYNAMIC));
    let e = PixBuilder::with_key("123e4567-e12b-12d1-a456-426655440000")
        .merchant("Fulano de Tal", "BRASILIA")
        .build();
    assert_eq!(e.as_deref(), Ok(BCB_EVP));
}

#[test]
fn bank_app_payloads_parse() {
    assert_eq!(
        parse(BANK_APP),
        Err(PixError::BadHeader {
            what: "tag",
            offset: 65,
            found: "bc".into()
        })
    );
    let s = parse(STARK).expect("stark");
    assert_eq!(s.txid.as_deref(), Some("123456"));
    assert_eq!(s.merchant_city, "Sao Paulo");
}

#[test]
fn crc_error_names_expected_and_found() {
    let bad = BCB_EVP.replace("1D3D", "1D3E");
    assert_eq!(
        parse(&bad),
        Err(PixError::Crc {
            offset: BCB_EVP.len() - 8,
            expected: 0x1D3D,
            found: "1D3E".into()
        })
    );
    let msg = parse(&bad).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("expected 1D3D, found 1D3E"), "{msg}");
}

fn with_crc(body: &str) -> String {
    let mut s = format!("{body}6304");
    s.push_str(&format!("{:04X}", crc16(s.as_bytes())));
    s
}

#[test]
fn precise_errors() {
    // (payload, expected error) — each payload has a valid CRC unless noted.
    let cases: Vec<(String, PixError)> = vec![
        (
            with_crc("000201"),
            PixError::Missing {
                tag: "26",
                name: "merchant account information with GUI br.gov.bcb.pix",
            },
        ),
        (
            with_crc("00020126180014br.gov.bcb.pix52040000530398654041.005802BR5901A6001B"),
            PixError::Invalid {
                tag: "26".into(),
                offset: 6,
                reason: "merchant account carries neither a key (01) nor a location (25)".into(),
            },
        ),
        (
            with_crc("000201260014br.gov.bcb.pix"),
            PixError::BadHeader {
                what: "length",
                offset: 12,
                found: "br".into(),
            },
        ),
        (
            "00020101".into(),
            PixError::Truncated {
                tag: "01".into(),
                offset: 6,
                needed: 2,
            },
        ),
        (
            "000201AB01X".into(),
            PixError::BadHeader {
                what: "tag",
                offset: 6,
                found: "AB".into(),
            },
        ),
        (
            with_crc(
                "00020126330014br.gov.bcb.pix0111529982247255204000053039865403-105802BR5901A6001B",
            ),
            PixError::Invalid {
                tag: "54".into(),
                offset: 58,
                reason: "amount \"-10\" is not a decimal with up to 2 places".into(),
            },
        ),
        (
            with_crc("00020126330014br.gov.bcb.pix011152998224725520400005303840"),
            PixError::Invalid {
                tag: "53".into(),
                offset: 51,
                reason: "currency must be 986 (BRL), found \"840\"".into(),
            },
        ),
        (
            with_crc("00020126330014br.gov.bcb.pix01115299822472552040000530398652040000"),
            PixError::Duplicate {
                tag: "52".into(),
                offset: 58,
            },
        ),
        (
            with_crc("00020126330014br.gov.bcb.pix01115299822472552040000530398658"),
            PixError::Truncated {
                tag: "58".into(),
                offset: 58,
                needed: 57,
            },
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(parse(&payload), Err(want), "{payload}");
    }
}

#[test]
fn builder_refuses_bad_input() {
    let base = || PixBuilder::with_key("52998224725").merchant("Loja", "Recife");
    assert!(base().build().is_ok());
    let long_name = PixBuilder::with_key("52998224725")
        .merchant("Um Nome Muito Comprido De Empresa", "Recife")
        .build();
    assert!(matches!(
        long_name,
        Err(PixError::Build {
            field: "merchant name",
            ..
        })
    ));
    assert!(matches!(
        PixBuilder::with_key("52998224725")
            .merchant("Loja", "Cidade Comprida Demais")
            .build(),
        Err(PixError::Build {
            field: "merchant city",
            ..
        })
    ));
    assert!(matches!(
        base().txid("has space").build(),
        Err(PixError::Build { field: "txid", .. })
    ));
    assert!(matches!(
        base().txid("A234567890123456789012345X").build(),
        Err(PixError::Build { field: "txid", .. })
    ));
    assert!(matches!(
        base().amount(0).build(),
        Err(PixError::Build {
            field: "amount",
            ..
        })
    ));
    assert!(matches!(
        base().postal_code("1234").build(),
        Err(PixError::Build {
            field: "postal code",
            ..
        })
    ));
    assert!(matches!(
        PixBuilder::with_key("52998224724")
            .merchant("Loja", "Recife")
            .build(),
        Err(PixError::Key(KeyError::CheckDigits { .. }))
    ));
    assert!(matches!(
        PixBuilder::with_location("pix.example.com/x")
            .merchant("Loja", "Recife")
            .txid("ABC")
            .build(),
        Err(PixError::Build { field: "txid", .. })
    ));
    assert!(matches!(
        PixBuilder::with_location("https://pix.example.com/x")
            .merchant("Loja", "Recife")
            .build(),
        Err(PixError::Build {
            field: "location",
            ..
        })
    ));
    assert!(matches!(
        base().merchant("Loja ☃", "Recife").build(),
        Err(PixError::Build {
            field: "merchant name",
            ..
        })
    ));
    let long_desc = "x".repeat(80);
    assert!(matches!(
        base().description(&long_desc).build(),
        Err(PixError::Build {
            field: "description",
            ..
        })
    ));
}

#[test]
fn accents_are_folded() {
    let p = PixBuilder::with_key("fulano@example.com")
        .merchant("Padaria São João", "Maceió")
        .txid("PED123")
        .description("Pão de açúcar")
        .postal_code("57000-000")
        .build()
        .expect("build");
    let parsed = parse(&p).expect("parse");
    assert_eq!(parsed.merchant_name, "Padaria Sao Joao");
    assert_eq!(parsed.merchant_city, "Maceio");
    assert_eq!(parsed.description.as_deref(), Some("Pao de acucar"));
    assert_eq!(parsed.postal_code.as_deref(), Some("57000000"));
    assert_eq!(parsed.txid.as_deref(), Some("PED123"));
}

#[test]
fn utf8_names_from_apps_are_counted_in_characters() {
    let p = with_crc("00020126330014br.gov.bcb.pix01115299822472552040000530398658 02BR5904José6006Maceió62070503***".replace(' ', "").as_str());
    let parsed = parse(&p).expect("utf8");
    assert_eq!(parsed.merchant_name, "José");
    assert_eq!(parsed.merchant_city, "Maceió");
}

#[test]
fn renders() {
    let svg = render_svg(BCB_EVP, 4).expect("svg");
    assert!(svg.contains("<svg") && svg.contains("#000000"));
    let png = render_png(BCB_EVP, 3).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(matches!(render_png(BCB_EVP, 0), Err(RenderError::Scale(0))));
}

mod props {
    use super::super::*;
    use super::BCB_EVP;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn build_parse_round_trip(
            amount in proptest::option::of(1i64..=99_999_999_999),
            name in "[A-Za-z0-9 ]{1,25}",
            city in "[A-Za-z ]{1,15}",
            txid in proptest::option::of("[A-Za-z0-9]{1,25}"),
            desc in proptest::option::of("[A-Za-z0-9 ]{1,30}"),
            unique in any::<bool>(),
        ) {
            prop_assume!(!name.trim().is_empty() && !city.trim().is_empty());
            let mut b = PixBuilder::with_key("pagamentos@example.com.br").merchant(&name, &city);
            if let Some(a) = amount { b = b.amount(a); }
            if let Some(t) = &txid { b = b.txid(t); }
            if let Some(d) = &desc { prop_assume!(!d.trim().is_empty()); b = b.description(d); }
            if unique { b = b.single_use(); }
            let s = b.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let p = parse(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(p.amount, amount);
            prop_assert_eq!(p.merchant_name, name.trim());
            prop_assert_eq!(p.merchant_city, city.trim());
            prop_assert_eq!(p.txid, Some(txid.unwrap_or_else(|| "***".into())));
            prop_assert_eq!(p.description, desc.map(|d| d.trim().to_owned()));
            prop_assert_eq!(p.key.as_deref(), Some("pagamentos@example.com.br"));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn one_changed_byte_is_caught(pos in 0usize..100, b in b'0'..=b'9') {
            let mut v = BCB_EVP.as_bytes().to_vec();
            let i = pos % v.len();
            prop_assume!(v[i] != b);
            v[i] = b;
            let s = String::from_utf8(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(parse(&s).is_err());
        }
    }
}

fn tlv(tag: &str, value: &str) -> String {
    format!("{tag}{:02}{value}", value.chars().count())
}

#[test]
fn pix_automatico_codes_decode() {
    let rec_url = "pix.example.com/rec/RR12345678202601150000000001";
    let rec = tlv(
        "80",
        &format!("{}{}", tlv("00", "br.gov.bcb.pix"), tlv("25", rec_url)),
    );
    let tail = "5204000053039865802BR5907EMPRESA6009SAO PAULO62070503***";
    // Journey 2: only the recurrence; the merchant account has only the GUI.
    let j2 = with_crc(&format!(
        "000201{}{tail}{rec}",
        tlv("26", &tlv("00", "br.gov.bcb.pix"))
    ));
    let p = parse(&j2).expect("journey 2 code");
    assert_eq!(p.key, None);
    assert_eq!(p.location, None);
    assert_eq!(p.recurrence_location.as_deref(), Some(rec_url));
    assert!(p.is_recurrence());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(p.other.is_empty(), "{:?}", p.other);

    // Journey 3: the first charge (location) and the recurrence in one code.
    let cob_url = "pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25";
    let mai = format!("{}{}", tlv("00", "br.gov.bcb.pix"), tlv("25", cob_url));
    let j3 = with_crc(&format!(
        "000201010212{}520400005303986540599.905802BR5907EMPRESA6009SAO PAULO62070503***{rec}",
        tlv("26", &mai)
    ));
    let p = parse(&j3).expect("journey 3 code");
    assert_eq!(p.location.as_deref(), Some(cob_url));
    assert_eq!(p.recurrence_location.as_deref(), Some(rec_url));
    assert_eq!(p.amount, Some(9990));
    assert_eq!(p.amount_text.as_deref(), Some("99.90"));

    // Only the GUI and no template 80: nothing to pay, as before.
    let bare = with_crc(&format!(
        "000201{}{tail}",
        tlv("26", &tlv("00", "br.gov.bcb.pix"))
    ));
    assert!(matches!(parse(&bare), Err(PixError::Invalid { tag, .. }) if tag == "26"));

    // A template 80 with another GUI is someone else's: kept verbatim.
    let foreign = tlv(
        "80",
        &format!("{}{}", tlv("00", "com.example"), tlv("25", "x.example/1")),
    );
    let code = with_crc(&format!(
        "000201{}{tail}{foreign}",
        tlv(
            "26",
            &format!(
                "{}{}",
                tlv("00", "br.gov.bcb.pix"),
                tlv("01", "52998224725")
            )
        )
    ));
    let p = parse(&code).expect("foreign template 80");
    assert_eq!(p.recurrence_location, None);
    assert_eq!(p.other.len(), 1);
}

#[test]
fn fields_bank_apps_accept_decode_with_warnings() {
    let mai = tlv(
        "26",
        &format!(
            "{}{}",
            tlv("00", "br.gov.bcb.pix"),
            tlv("01", "52998224725")
        ),
    );
    let city = "SAO JOSE DOS CAMPOS"; // 19 characters, the manual says 15
    let code = with_crc(&format!(
        "000201{mai}52040000530398654041.505802BR5907EMPRESA{}{}",
        tlv("60", city),
        tlv("62", &tlv("05", "FAT-2026-0001"))
    ));
    let p = parse(&code).expect("decodes");
    assert_eq!(p.merchant_city, city);
    assert_eq!(p.txid.as_deref(), Some("FAT-2026-0001"));
    assert_eq!(p.amount_text.as_deref(), Some("1.50"));
    let tags: Vec<&str> = p.warnings.iter().map(|w| w.tag.as_str()).collect();
    assert_eq!(tags, ["60", "62-05"]);
    assert!(
        p.warnings[0].to_string().contains("19 characters"),
        "{}",
        p.warnings[0]
    );
    assert!(p.warnings[1].message.contains("FAT-2026-0001"));

    // Encoding stays strict.
    let long_city = PixBuilder::with_key("52998224725")
        .merchant("EMPRESA", city)
        .build();
    assert!(matches!(
        long_city,
        Err(PixError::Build {
            field: "merchant city",
            ..
        })
    ));
    let hyphen = PixBuilder::with_key("52998224725")
        .merchant("EMPRESA", "SAO PAULO")
        .txid("FAT-2026-0001")
        .build();
    assert!(matches!(hyphen, Err(PixError::Build { field: "txid", .. })));

    // An empty city or a txid with control characters is still refused.
    let empty_city = with_crc(&format!("000201{mai}5204000053039865802BR5907EMPRESA6000"));
    assert!(matches!(parse(&empty_city), Err(PixError::Invalid { tag, .. }) if tag == "60"));
    let ctl = with_crc(&format!(
        "000201{mai}5204000053039865802BR5907EMPRESA6006RECIFE{}",
        tlv("62", &tlv("05", "A\tB"))
    ));
    assert!(
        matches!(parse(&ctl), Err(PixError::Invalid { ref tag, .. }) if tag == "62-05"),
        "{:?}",
        parse(&ctl)
    );
}

#[test]
fn strict_codes_have_no_warnings() {
    let p = PixBuilder::with_key("52998224725")
        .merchant("EMPRESA", "SAO PAULO")
        .amount(1050)
        .txid("FAT20260001")
        .build()
        .expect("builds");
    let parsed = parse(&p).expect("parses");
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.amount_text.as_deref(), Some("10.50"));
}
