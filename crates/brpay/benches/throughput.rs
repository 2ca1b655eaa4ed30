//! Throughput figures, printed (not asserted): Pix payloads built and parsed
//! per second, boleto lines validated per second, and CNAB 240 return lines
//! parsed per second on a generated 1,000,000-line file streamed from disk,
//! with the peak resident memory to show that it does not grow with the file.
//!
//! Run with `cargo bench -p brpay`.

use brpay::boleto::banks::Bank;
use brpay::boleto::{self, Boleto};
use brpay::cnab::{self, Direction, Format, Layout, RecordBuilder, Value};
use brpay::pix::{self, PixBuilder};
use jiff::civil::date;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn rate(label: &str, n: u64, secs: f64) {
    println!(
        "{label:<44} {:>12.0} /s   ({n} in {secs:.3} s)",
        n as f64 / secs
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // --- Pix
    let n = 200_000u64;
    let t = Instant::now();
    let mut last = String::new();
    for i in 0..n {
        last = PixBuilder::with_key("123e4567-e12b-12d1-a456-426655440000")
            .merchant("Provedor Exemplo", "Maceio")
            .amount(i as i64 % 100_000 + 1)
            .txid("FAT000123")
            .build()?;
        black_box(&last);
    }
    rate("pix payloads built", n, t.elapsed().as_secs_f64());
    let t = Instant::now();
    for _ in 0..n {
        black_box(pix::parse(black_box(&last))?);
    }
    rate(
        "pix payloads parsed (CRC verified)",
        n,
        t.elapsed().as_secs_f64(),
    );

    // --- Boleto
    let b = Boleto::new(
        "341",
        Some(date(2025, 6, 10)),
        12345,
        "1101234567880057123457000",
    )?;
    let line = b.formatted_line();
    let t = Instant::now();
    for _ in 0..n {
        black_box(boleto::decode_at(black_box(&line), date(2025, 6, 1))?);
    }
    rate(
        "boleto lines validated (all check digits)",
        n,
        t.elapsed().as_secs_f64(),
    );

    // --- CNAB 240: generate a 1,000,000-line return file on disk
    let path = std::env::temp_dir().join(format!("brpay-bench-{}.ret", std::process::id()));
    let layout = Layout::find(
        Some(Bank::BancoDoBrasil),
        Format::Cnab240,
        Direction::Retorno,
    )
    .ok_or("layout")?;
    let rec = |c: &str| layout.record(c).ok_or("record");
    let total = 1_000_000u64;
    let details = total - 4;
    {
        let mut w = BufWriter::new(std::fs::File::create(&path)?);
        let mut h = RecordBuilder::new(rec("0")?);
        h.set("banco", Value::Text("001".into()))?
            .set("arquivo_codigo", Value::Text("2".into()))?
            .set("data_geracao", Value::Date(Some(date(2025, 3, 10))))?;
        writeln!(w, "{}", h.finish())?;
        let mut hl = RecordBuilder::new(rec("1")?);
        hl.set("banco", Value::Text("001".into()))?
            .set("lote", Value::Text("1".into()))?;
        writeln!(w, "{}", hl.finish())?;
        let mut tseg = RecordBuilder::new(rec("3T")?);
        tseg.set("banco", Value::Text("001".into()))?
            .set("lote", Value::Text("1".into()))?
            .set("movimento", Value::Text("06".into()))?
            .set("nosso_numero", Value::Text("32948600000000196".into()))?
            .set("vencimento", Value::Date(Some(date(2025, 3, 20))))?
            .set("valor", Value::Money(9990))?
            .set("tarifa", Value::Money(250))?;
        let mut useg = RecordBuilder::new(rec("3U")?);
        useg.set("banco", Value::Text("001".into()))?
            .set("lote", Value::Text("1".into()))?
            .set("movimento", Value::Text("06".into()))?
            .set("valor_pago", Value::Money(9990))?
            .set("valor_liquido", Value::Money(9740))?
            .set("data_ocorrencia", Value::Date(Some(date(2025, 3, 19))))?
            .set("data_credito", Value::Date(Some(date(2025, 3, 20))))?;
        let (t_line, u_line) = (tseg.finish(), useg.finish());
        for i in 0..details {
            let l = if i % 2 == 0 { &t_line } else { &u_line };
            // keep the record sequence number honest
            writeln!(w, "{}{:05}{}", &l[..8], (i % 99_999) + 1, &l[13..])?;
        }
        let mut tl = RecordBuilder::new(rec("5")?);
        tl.set("banco", Value::Text("001".into()))?
            .set("lote", Value::Text("1".into()))?
            .set("quantidade_registros", Value::Text("0".into()))?;
        writeln!(w, "{}", tl.finish())?;
        let mut ta = RecordBuilder::new(rec("9")?);
        ta.set("banco", Value::Text("001".into()))?
            .set("lote", Value::Text("9999".into()))?
            .set("quantidade_registros", Value::Text("0".into()))?;
        writeln!(w, "{}", ta.finish())?;
        w.flush()?;
    }
    let size = std::fs::metadata(&path)?.len();
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    let mut paid = 0i64;
    let mut lines = 0u64;
    for r in cnab::parse_return(BufReader::with_capacity(
        64 * 1024,
        std::fs::File::open(&path)?,
    ))? {
        let r = r?;
        lines += 1;
        if r.kind() == "segmento_u" {
            paid += r.money("valor_pago").unwrap_or(0);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let rss_after = peak_rss_kib();
    std::fs::remove_file(&path)?;
    rate("CNAB 240 return lines parsed (from disk)", lines, secs);
    println!(
        "  file: {lines} lines, {:.1} MiB, parsed in {secs:.3} s; sum of valor_pago = {paid} centavos",
        size as f64 / 1_048_576.0
    );
    println!(
        "  peak RSS (VmHWM): {} KiB before parsing, {} KiB after (file is {} KiB)",
        rss_before.map_or("?".into(), |v| v.to_string()),
        rss_after.map_or("?".into(), |v| v.to_string()),
        size / 1024
    );
    Ok(())
}
