//! `lastmile tools …` run as a process, as support staff and scripts run it.

#![allow(clippy::unwrap_used)] // tests may panic on unexpected values

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// BCB's EVP example (Manual de Padrões para Iniciação do Pix).
const BCB_EVP: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

/// Banco do Brasil, Especificações Técnicas para Confecção de Boleto (2016).
const BB_LINE: &str = "00190.50095 40144.816069 06809.350314 3 37370000000100";

fn lastmile(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastmile"))
        .args(args)
        // tools need no configuration: make sure none is found or required
        .env_remove("LASTMILE_CONFIG")
        .env_remove("LASTMILE_DATA_DIR")
        .env_remove("LASTMILE_DATABASE_URL")
        .env(
            "LASTMILE_DATABASE_URL",
            "postgres://nobody@invalid.invalid/none",
        )
        .output()
        .expect("run lastmile")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).expect("JSON output")
}

/// A CNAB file a test hands to `lastmile tools cnab parse`.
#[derive(Clone, Copy)]
enum File {
    /// brpay's `tests/fixtures/cnab/<name>`, written for the tests (its
    /// README says what each holds).
    Fixture(&'static str),
    /// `<LASTMILE_SAMPLES>/cnab/<name>`: the steering repository's
    /// `shared/samples`, shaped by real banks. Checked in place when
    /// `LASTMILE_SAMPLES` is set (the test command sets it when the folder
    /// is beside the checkout); never required.
    Sample(&'static str),
}

impl File {
    /// The file's path; `None` for a sample when `LASTMILE_SAMPLES` is
    /// unset. A file that should be there and is not fails the test.
    fn path(self) -> Option<String> {
        let path = match self {
            File::Fixture(name) => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../brpay/tests/fixtures/cnab")
                .join(name),
            File::Sample(name) => PathBuf::from(std::env::var_os("LASTMILE_SAMPLES")?)
                .join("cnab")
                .join(name),
        };
        assert!(path.exists(), "{}: missing", path.display());
        Some(path.to_string_lossy().into_owned())
    }
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn pix_decode() {
    let v = json(&lastmile(&["tools", "pix", "decode", BCB_EVP]));
    assert_eq!(v["key"], "123e4567-e12b-12d1-a456-426655440000");
    assert_eq!(v["key_kind"], "evp");
    assert_eq!(v["merchant_name"], "Fulano de Tal");
    assert_eq!(v["merchant_city"], "BRASILIA");
    assert_eq!(v["crc"], "1D3D");
    assert_eq!(v["amount"], Value::Null);
}

#[test]
fn pix_decode_reports_the_crc() {
    let bad = BCB_EVP.replace("1D3D", "1D3E");
    let o = lastmile(&["tools", "pix", "decode", &bad]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1D3D") && err.contains("1D3E"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn pix_encode_round_trips_and_writes_qr_codes() {
    let dir = std::env::temp_dir().join(format!("lastmile-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (svg, png) = (dir.join("qr.svg"), dir.join("qr.png"));
    let o = lastmile(&[
        "tools",
        "pix",
        "encode",
        "--key",
        "fulano@example.com",
        "--name",
        "Padaria São João",
        "--city",
        "Maceió",
        "--amount",
        "19.90",
        "--txid",
        "FAT2025031",
        "--description",
        "Fatura 31",
        "--svg",
        svg.to_str().expect("path"),
        "--png",
        png.to_str().expect("path"),
    ]);
    let payload = stdout(&o).trim_end().to_owned();
    assert!(payload.starts_with("000201"), "{payload}");
    let v = json(&lastmile(&["tools", "pix", "decode", &payload]));
    assert_eq!(v["key"], "fulano@example.com");
    assert_eq!(v["key_kind"], "email");
    assert_eq!(v["merchant_name"], "Padaria Sao Joao");
    assert_eq!(v["merchant_city"], "Maceio");
    assert_eq!(v["amount"], "19.90");
    assert_eq!(v["txid"], "FAT2025031");
    assert_eq!(v["description"], "Fatura 31");
    let svg = std::fs::read_to_string(&svg).expect("svg written");
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    let png = std::fs::read(&png).expect("png written");
    assert_eq!(&png[1..4], b"PNG");
    let _ = std::fs::remove_dir_all(&dir);

    let o = lastmile(&[
        "tools",
        "pix",
        "encode",
        "--key",
        "nota-uma-chave",
        "--name",
        "X",
        "--city",
        "Y",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = lastmile(&[
        "tools",
        "pix",
        "encode",
        "--key",
        "fulano@example.com",
        "--name",
        "X",
        "--city",
        "Y",
        "--amount",
        "1.999",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--amount"));
}

#[test]
fn boleto_decode() {
    let v = json(&lastmile(&["tools", "boleto", "decode", BB_LINE]));
    assert_eq!(v["type"], "bank");
    assert_eq!(v["bank_code"], "001");
    assert_eq!(v["amount"], 100);
    assert_eq!(v["due_factor"], 3737);
    assert_eq!(v["barcode"], "00193373700000001000500940144816060680935031");
    assert_eq!(v["formatted_line"], BB_LINE);

    // the general check digit (3) changed to 4
    let o = lastmile(&[
        "tools",
        "boleto",
        "decode",
        "00190.50095 40144.816069 06809.350314 4 37370000000100",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!o.stderr.is_empty());
}

#[test]
fn cnab_parse_banco_do_brasil_240_return() {
    // (file, first T: nosso número, due, value, fee; paid in all)
    for (file, nosso_numero, due, value, fee, paid) in [
        (
            File::Fixture("banco_do_brasil_cnab240.ret"),
            "12345670000000101",
            "2025-03-10",
            9990,
            350,
            9990 + 12990 + 8230 + 9990 + 14490,
        ),
        (
            File::Sample("laravel-boleto_cnab240_banco_brasil.ret"),
            "32948600000000196",
            "2011-03-23",
            4000,
            500,
            4000 + 3000 + 1500 + 1500 + 2880,
        ),
    ] {
        let Some(path) = file.path() else { continue };
        let recs = json_lines(&lastmile(&["tools", "cnab", "parse", &path]));
        assert_eq!(recs.len(), 14, "{path}");
        assert_eq!(recs[0]["kind"], "header_arquivo");
        assert_eq!(recs[0]["format"], "cnab240");
        assert_eq!(recs[0]["bank"], "001");
        let t = recs.iter().find(|r| r["kind"] == "segmento_t").expect("T");
        assert_eq!(t["fields"]["nosso_numero"], nosso_numero, "{path}");
        assert_eq!(t["fields"]["vencimento"], due, "{path}");
        assert_eq!(t["fields"]["valor"], value, "{path}");
        assert_eq!(t["fields"]["tarifa"], fee, "{path}");
        let total: i64 = recs
            .iter()
            .filter(|r| r["kind"] == "segmento_u")
            .map(|r| r["fields"]["valor_pago"].as_i64().expect("money"))
            .sum();
        assert_eq!(total, paid, "{path}");
        assert_eq!(recs[13]["kind"], "trailer_arquivo");
    }
}

#[test]
fn cnab_parse_every_file() {
    for (file, lines, format, bank) in [
        (File::Fixture("santander_cnab240.ret"), 6, "cnab240", "033"),
        (File::Fixture("bradesco_cnab400.ret"), 9, "cnab400", "237"),
        (File::Fixture("itau_cnab400.ret"), 6, "cnab400", "341"),
        (
            File::Fixture("banco_do_brasil_cnab240.rem"),
            7,
            "cnab240",
            "001",
        ),
        (
            File::Sample("laravel-boleto_cnab240_santander.ret"),
            6,
            "cnab240",
            "033",
        ),
        (
            File::Sample("laravel-boleto_cnab400_bradesco.ret"),
            9,
            "cnab400",
            "237",
        ),
        (
            File::Sample("laravel-boleto_cnab400_itau.ret"),
            6,
            "cnab400",
            "341",
        ),
        (
            File::Sample("brcobranca_remessa-banco_brasil-cnab240.rem"),
            7,
            "cnab240",
            "001",
        ),
    ] {
        let Some(path) = file.path() else { continue };
        let recs = json_lines(&lastmile(&["tools", "cnab", "parse", &path]));
        assert_eq!(recs.len(), lines, "{path}");
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r["line"], i + 1, "{path}");
            assert_eq!(r["format"], format, "{path}");
            assert_eq!(r["bank"], bank, "{path}");
        }
    }
    // Itaú's first detail: (file, nosso número, occurrence date, value)
    for (file, nosso_numero, occurred, value) in [
        (
            File::Fixture("itau_cnab400.ret"),
            "00004101",
            "2025-03-11",
            8990,
        ),
        (
            File::Sample("laravel-boleto_cnab400_itau.ret"),
            "00231327",
            "2013-06-20",
            38975,
        ),
    ] {
        let Some(path) = file.path() else { continue };
        let itau = json_lines(&lastmile(&["tools", "cnab", "parse", &path]));
        assert_eq!(itau[1]["fields"]["nosso_numero"], nosso_numero, "{path}");
        assert_eq!(itau[1]["fields"]["data_ocorrencia"], occurred, "{path}");
        assert_eq!(itau[1]["fields"]["valor"], value, "{path}");
    }
}

#[test]
fn cnab_parse_errors_name_line_columns_and_field() {
    let bradesco = File::Fixture("bradesco_cnab400.ret")
        .path()
        .expect("fixture");
    let src = std::fs::read_to_string(bradesco).expect("read");
    let mut lines: Vec<String> = src.lines().map(str::to_owned).collect();
    // line 3, valor_pago (columns 254-266): a letter among the digits
    lines[2].replace_range(259..260, "X");
    let path = std::env::temp_dir().join(format!("lastmile-tools-bad-{}.ret", std::process::id()));
    std::fs::write(&path, lines.join("\r\n")).expect("write");
    let o = lastmile(&["tools", "cnab", "parse", path.to_str().expect("path")]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3") && err.contains("254-266") && err.contains("valor_pago"),
        "{err}"
    );
    // the good lines are still printed, streaming
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), lines.len() - 1);

    let o = lastmile(&["tools", "cnab", "parse", "/nonexistent/file.ret"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/file.ret"));
}
