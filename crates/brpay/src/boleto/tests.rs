use super::banks::{self, Bank, FreeFieldError};
use super::*;
use jiff::civil::date;

fn bank(d: Result<Decoded, BoletoError>) -> Boleto {
    match d {
        Ok(Decoded::Bank(b)) => b,
        other => panic!("expected a bank boleto, got {other:?}"),
    }
}

/// (source, barcode, printed line) — every line here is decoded both ways.
const VECTORS: &[(&str, &str, &str)] = &[
    (
        "Banco do Brasil, Especificação Boleto Jan/2016, annexes V–VI",
        "00193373700000001000500940144816060680935031",
        "00190.50095 40144.816069 06809.350314 3 37370000000100",
    ),
    (
        "Itaú, Cobrança 400 bytes CNAB Jul/2021, DAC annex",
        "34196166700000123451101234567880057123457000",
        "34191.10121 34567.880058 71234.570001 6 16670000012345",
    ),
    (
        "brcobranca spec banco_brasil_spec.rb (convênio 7)",
        "00193376900000135000000001238798977770016818",
        "00190.00009 01238.798977 77700.168188 3 37690000013500",
    ),
    (
        "brcobranca spec banco_brasil_spec.rb (convênio 6, nosso número 17)",
        "00199376900000135001238790000000123456789921",
        "00191.23876 90000.000126 34567.899215 9 37690000013500",
    ),
    (
        "brcobranca spec itau_spec.rb (carteira 196)",
        "34191252500000135001960025828112345671234550",
        "34191.96005 25828.112349 56712.345505 1 25250000013500",
    ),
    (
        "brcobranca spec bradesco_spec.rb",
        "23795422300002952951172060007589645204030050",
        "23791.17209 60007.589645 52040.300502 5 42230000295295",
    ),
    (
        "brcobranca spec santander_spec.rb",
        "03399511500000025009189977500000900002690102",
        "03399.18997 77500.000904 00026.901025 9 51150000002500",
    ),
    (
        "Caixa, Especificações Técnicas para Emissão de Boletos 2020, example line",
        "10494324200000321120055077222133347777777771",
        "10490.05505 77222.133348 77777.777713 4 32420000032112",
    ),
    (
        "brcobranca spec sicoob_spec.rb (modalidade 01)",
        "75692670800000050001432701022938500000024001",
        "75691.43279 01022.938508 00000.240010 2 67080000005000",
    ),
    (
        "Sicredi, Manual CNAB 240 Aug/2019, example line",
        "74891372600000150351107200003101650200623108",
        "74891.10721 00003.101656 02006.231084 1 37260000015035",
    ),
    (
        "brcobranca spec sicredi_spec.rb (carteira 1)",
        "74891689400000195571116208879307106500129101",
        "74891.11620 08879.307109 65001.291015 1 68940000019557",
    ),
];

#[test]
fn published_lines_and_barcodes_agree() {
    for (src, barcode, line) in VECTORS {
        let from_line = bank(decode_at(line, date(2020, 1, 1)));
        assert_eq!(from_line.barcode, *barcode, "{src}");
        let from_bc = bank(decode_at(barcode, date(2020, 1, 1)));
        assert_eq!(from_bc.formatted_line(), *line, "{src}");
        assert_eq!(
            from_bc.digitable_line,
            line.replace(['.', ' '], ""),
            "{src}"
        );
        let rebuilt = Boleto::new(
            &from_bc.bank_code,
            from_bc.due_date,
            from_bc.amount,
            &from_bc.free_field,
        );
        assert_eq!(rebuilt.map(|b| b.barcode).as_deref(), Ok(*barcode), "{src}");
        assert_eq!(from_bc.check_free_field(), Ok(()), "{src}");
    }
}

#[test]
fn sicredi_cnab400_manual_line_has_a_typo() {
    // The CNAB 400 manual prints field 1 as 74891.10727 (DV 7) for the same
    // barcode; módulo 10 gives 1, as the CNAB 240 manual prints. We report it.
    assert_eq!(
        decode_at(
            "74891.10727 00003.101656 02006.231019 1 37260000015035",
            date(2008, 1, 1)
        ),
        Err(BoletoError::FieldCheckDigit {
            field: 1,
            expected: 1,
            found: 7
        })
    );
}

#[test]
fn each_check_digit_is_named() {
    let line = "00190500954014481606906809350314337370000000100";
    let flip = |i: usize| {
        let mut v = line.as_bytes().to_vec();
        v[i] = if v[i] == b'9' { b'0' } else { v[i] + 1 };
        String::from_utf8(v).unwrap_or_default()
    };
    assert!(matches!(
        decode_at(&flip(9), date(2020, 1, 1)),
        Err(BoletoError::FieldCheckDigit { field: 1, .. })
    ));
    assert!(matches!(
        decode_at(&flip(20), date(2020, 1, 1)),
        Err(BoletoError::FieldCheckDigit { field: 2, .. })
    ));
    assert!(matches!(
        decode_at(&flip(31), date(2020, 1, 1)),
        Err(BoletoError::FieldCheckDigit { field: 3, .. })
    ));
    assert_eq!(
        decode_at(&flip(32), date(2020, 1, 1)),
        Err(BoletoError::GeneralCheckDigit {
            expected: 3,
            found: 4
        })
    );
    // an amount digit changes only the general DV
    assert!(matches!(
        decode_at(&flip(46), date(2020, 1, 1)),
        Err(BoletoError::GeneralCheckDigit { .. })
    ));
    assert_eq!(
        decode("0019x"),
        Err(BoletoError::NotDigit {
            position: 5,
            ch: 'x'
        })
    );
    assert_eq!(decode("123"), Err(BoletoError::Length { found: 3 }));
    assert_eq!(
        decode("00133373700000001000500940144816060680935031"),
        Err(BoletoError::Currency('3'))
    );
}

#[test]
fn due_factor_cycles() {
    // FEBRABAN table (reproduced in Banco Inter's manual, 6.1.2)
    for (d, f) in [
        (date(2000, 7, 3), 1000),
        (date(2000, 7, 4), 1001),
        (date(2000, 7, 5), 1002),
        (date(2012, 4, 27), 5316),
        (date(2025, 2, 20), 9998),
        (date(2025, 2, 21), 9999),
        (date(2025, 2, 22), 1000),
        (date(2025, 2, 23), 1001),
        (date(1997, 10, 7), 0),
    ] {
        assert_eq!(due_factor(d), Ok(f), "{d}");
    }
    assert_eq!(
        due_factor(date(1997, 10, 6)),
        Err(BoletoError::DueDate(date(1997, 10, 6)))
    );
    // decoding picks the window around the reference date
    assert_eq!(
        factor_to_date(1001, date(2025, 1, 1)),
        Some(date(2025, 2, 23))
    );
    assert_eq!(
        factor_to_date(9000, date(2025, 1, 1)),
        Some(date(2022, 5, 29))
    );
    assert_eq!(
        factor_to_date(1001, date(2010, 1, 1)),
        Some(date(2000, 7, 4))
    );
    assert_eq!(factor_to_date(0, date(2010, 1, 1)), None);
}

#[test]
fn bank_free_fields() {
    // Banco do Brasil, annex XI: "Nosso-Número: 05009401448-1"
    assert_eq!(
        banks::banco_do_brasil::nosso_numero_dv("05009401448"),
        Some('1')
    );
    // brcobranca banco_brasil_spec.rb: convênio 6, nosso número 11
    assert_eq!(
        banks::banco_do_brasil::free_field_nn11("123879", "1234", "4042", "61900", "18").as_deref(),
        Ok("1238790123440420006190018")
    );
    assert_eq!(
        banks::banco_do_brasil::free_field_convenio6_nn17("123879", "1234567899").as_deref(),
        Ok("1238790000000123456789921")
    );
    // Bradesco manual: carteira 19
    assert_eq!(
        banks::bradesco::nosso_numero_dv("19", "00000000002"),
        Some('8')
    );
    // brcobranca bradesco_spec.rb: carteira 06 nosso número 00000000525 → P, 09/…01 → 1
    assert_eq!(
        banks::bradesco::nosso_numero_dv("06", "00000000525"),
        Some('P')
    );
    assert_eq!(
        banks::bradesco::nosso_numero_dv("09", "00000000001"),
        Some('1')
    );
    // Caixa example line: beneficiary 005507-7, nosso número 14222333777777777
    assert_eq!(
        banks::caixa::free_field("005507", "14222333777777777").as_deref(),
        Ok("0055077222133347777777771")
    );
    assert_eq!(
        banks::caixa::nosso_numero("0055077222133347777777771").as_deref(),
        Some("14222333777777777")
    );
    // brcobranca caixa_spec.rb: convênio DV 245274-0, 654321-9
    assert_eq!(banks::caixa::check_digit("245274"), Some(0));
    assert_eq!(banks::caixa::check_digit("654321"), Some(9));
    // Santander manual and brcobranca santander_spec.rb
    assert_eq!(banks::santander::nosso_numero_dv("566612457800"), Some(2));
    assert_eq!(banks::santander::nosso_numero_dv("90002720"), Some(7));
    assert_eq!(banks::santander::nosso_numero_dv("1961005"), Some(0));
    // brcobranca sicoob_spec.rb: nosso número 1..13 with agência 4327, cliente 229385
    let sicoob: Vec<u8> = (1..=13)
        .filter_map(|n| banks::sicoob::nosso_numero_dv("4327", "229385", &n.to_string()))
        .collect();
    assert_eq!(sicoob, [7, 4, 1, 9, 6, 3, 0, 8, 5, 3, 0, 8, 5]);
    assert_eq!(
        banks::sicoob::free_field("1", "4134", "05", "148180", "110", "001").as_deref(),
        Ok("1413405014818000001104001")
    );
    // Itaú: brcobranca itau_spec.rb carteira 109
    assert_eq!(
        banks::itau::free_field("109", "00010152", "1248", "02124").as_deref(),
        Ok("1090001015271248021246000")
    );
    // Sicredi: brcobranca sicredi_spec.rb carteira 3
    let p = banks::sicredi::Params {
        tipo_cobranca: "3",
        cooperativa: "0710",
        posto: "65",
        beneficiario: "129",
        year: "16",
        byte: "2",
        sequence: "8879",
        has_amount: true,
    };
    assert_eq!(
        banks::sicredi::free_field(&p).as_deref(),
        Ok("3116208879307106500129105")
    );
    assert_eq!(
        banks::inter::free_field("1234567", "00000012345").as_deref(),
        Ok("0001112123456700000012345")
    );
}

#[test]
fn free_field_defects_are_named() {
    assert_eq!(
        Bank::Itau.check_free_field("1101234567890057123457000"),
        Err(FreeFieldError::CheckDigit {
            what: "nosso número DAC",
            expected: '8',
            found: '9'
        })
    );
    assert_eq!(
        Bank::Caixa.check_free_field("0055078222133347777777771"),
        Err(FreeFieldError::CheckDigit {
            what: "beneficiary code",
            expected: '7',
            found: '8'
        })
    );
    assert!(matches!(
        Bank::Sicredi.check_free_field("1107200003101650200623109"),
        Err(FreeFieldError::CheckDigit {
            what: "free field",
            ..
        })
    ));
    assert!(matches!(
        Bank::Santander.check_free_field("8189977500000900002690102"),
        Err(FreeFieldError::Constant { position: 1, .. })
    ));
    assert!(matches!(
        Bank::Sicoob.check_free_field("1432701022938500000025001"),
        Err(FreeFieldError::CheckDigit { .. })
    ));
    assert!(matches!(
        Bank::Inter.check_free_field("0002112123456700000012345"),
        Err(FreeFieldError::Constant { position: 1, .. })
    ));
    assert!(matches!(
        Bank::Bradesco.check_free_field("1172060007589645204030051"),
        Err(FreeFieldError::Constant { position: 25, .. })
    ));
    assert!(matches!(
        Bank::BancoDoBrasil.check_free_field("12"),
        Err(FreeFieldError::Field { .. })
    ));
    assert!(matches!(
        banks::itau::free_field("1100", "1", "1", "1"),
        Err(FreeFieldError::Field {
            field: "carteira",
            ..
        })
    ));
    assert!(matches!(
        banks::bradesco::free_field("1a", "1", "1", "1"),
        Err(FreeFieldError::Field {
            field: "agência",
            ..
        })
    ));
}

#[test]
fn arrecadacao_round_trip_and_errors() {
    for id in [6u8, 7, 8, 9] {
        let a = Arrecadacao::build(3, id, 4567, "0123", "4567890123456789012345678");
        let a = match a {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(a.digitable_line.len(), 48);
        let back = Arrecadacao::from_digits(&a.digitable_line);
        assert_eq!(back.as_ref().map(|b| &b.barcode), Ok(&a.barcode));
        assert_eq!(
            decode(&a.formatted_line()).map(|d| matches!(d, Decoded::Collection(_))),
            Ok(true)
        );
        // break block 2's check digit
        let mut v = a.digitable_line.clone().into_bytes();
        v[23] = if v[23] == b'9' { b'0' } else { v[23] + 1 };
        let bad = String::from_utf8(v).unwrap_or_default();
        assert!(matches!(
            Arrecadacao::from_digits(&bad),
            Err(BoletoError::BlockCheckDigit { block: 2, .. })
        ));
        // break the general DV in the barcode
        let mut v = a.barcode.clone().into_bytes();
        v[3] = if v[3] == b'9' { b'0' } else { v[3] + 1 };
        let bad = String::from_utf8(v).unwrap_or_default();
        assert!(matches!(
            Arrecadacao::from_digits(&bad),
            Err(BoletoError::CollectionCheckDigit { .. })
        ));
    }
    let seg6 = Arrecadacao::build(6, 8, 100, "1234", "5678000000000000000000001");
    assert_eq!(seg6.map(|a| a.cnpj_root), Ok(Some("12345678".into())));
    assert_eq!(
        Arrecadacao::from_digits("835000000000000000000000000000000000000000000"),
        Err(BoletoError::Length { found: 45 })
    );
    assert_eq!(
        Arrecadacao::from_digits("83500000000000000000000000000000000000000000"),
        Err(BoletoError::ValueIdentifier('5'))
    );
}

#[test]
fn itf_dimensions() {
    let e = itf::elements("00193373700000001000500940144816060680935031").unwrap_or_default();
    let units: u32 = e.iter().map(|(_, w)| u32::from(*w)).sum();
    assert_eq!(units, 405); // 89 wide × 3 + 138 narrow
    assert_eq!(e.iter().filter(|(bar, _)| *bar).count(), 2 + 22 * 5 + 2);
    let svg = itf::svg("00193373700000001000500940144816060680935031").unwrap_or_default();
    assert!(svg.contains(r#"height="13mm""#));
    assert!(matches!(
        itf::svg("123"),
        Err(BoletoError::Length { found: 3 })
    ));
    assert!(matches!(
        itf::elements("1a"),
        Err(BoletoError::NotDigit {
            position: 2,
            ch: 'a'
        })
    ));
}

mod props {
    use super::super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn build_decode_round_trip(
            bank in "[0-7][0-9]{2}",
            days in 0i64..20_000,
            amount in 0i64..=9_999_999_999,
            free in "[0-9]{25}",
        ) {
            let due = FACTOR_BASE + days.days();
            let b = Boleto::new(&bank, Some(due), amount, &free).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let reference = due - 30.days();
            for input in [b.barcode.clone(), b.digitable_line.clone(), b.formatted_line()] {
                match decode_at(&input, reference) {
                    Ok(Decoded::Bank(d)) => {
                        prop_assert_eq!(&d.barcode, &b.barcode);
                        prop_assert_eq!(d.amount, amount);
                        prop_assert_eq!(&d.free_field, &free);
                        // factors before 1000 only exist in the first cycle
                        if days >= 1000 { prop_assert_eq!(d.due_date, Some(due)); }
                    }
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }

        #[test]
        fn decode_never_panics(s in "[0-9 .\\-]{0,60}") {
            let _ = decode_at(&s, date(2025, 1, 1));
        }

        #[test]
        fn any_single_digit_change_in_a_line_is_caught(pos in 0usize..47, delta in 1u8..10) {
            let line = b"00190500954014481606906809350314337370000000100";
            let mut v = line.to_vec();
            v[pos] = b'0' + (v[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(decode_at(&s, date(2020, 1, 1)).is_err());
        }
    }
}
