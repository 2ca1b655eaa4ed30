//! `lastmile tools`: Brazilian payment formats from the command line, for
//! support staff and scripts. A thin shell over the `brpay` crate: parse the
//! arguments, call the crate, print JSON. No configuration, no database.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// The `tools` subcommands.
#[derive(Subcommand)]
pub enum ToolsCommand {
    /// Pix BR Code (QR code payloads).
    #[command(subcommand)]
    Pix(PixCommand),
    /// Bank boletos and arrecadação slips.
    #[command(subcommand)]
    Boleto(BoletoCommand),
    /// CNAB 240 / 400 remittance and return files.
    #[command(subcommand)]
    Cnab(CnabCommand),
}

#[derive(Subcommand)]
pub enum PixCommand {
    /// Parse and verify a payload (CRC, tags, limits); prints it as JSON.
    Decode {
        /// The "Pix copia e cola" text.
        payload: String,
    },
    /// Build a static payload from a Pix key; prints the payload.
    Encode {
        /// Pix key: CPF, CNPJ, e-mail, +55 phone or random (EVP) key.
        #[arg(long)]
        key: String,
        /// Merchant name (accents are folded, at most 25 characters).
        #[arg(long)]
        name: String,
        /// Merchant city (accents are folded, at most 15 characters).
        #[arg(long)]
        city: String,
        /// Amount in reais, e.g. 12.34 (omit to let the payer type it).
        #[arg(long)]
        amount: Option<String>,
        /// Transaction id (up to 25 letters and digits).
        #[arg(long)]
        txid: Option<String>,
        /// Text shown to the payer.
        #[arg(long)]
        description: Option<String>,
        /// Also write the QR code as SVG to this file.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Also write the QR code as PNG to this file.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Pixels (SVG units) per QR module.
        #[arg(long, default_value_t = 8)]
        scale: u32,
        /// Print {"payload": …, "decoded": …} instead of the bare payload.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum BoletoCommand {
    /// Decode a barcode (44 digits) or typed line (47/48 digits), punctuation
    /// allowed, verifying every check digit; prints JSON.
    Decode {
        /// The barcode or linha digitável.
        line: String,
    },
}

#[derive(Subcommand)]
pub enum CnabCommand {
    /// Parse a CNAB file (format, bank and direction detected from the
    /// header); prints one JSON object per record line as it reads.
    Parse {
        /// The file (`-` for standard input).
        file: PathBuf,
    },
}

/// Runs a tools command; errors go to standard error with exit status 1.
pub fn run(cmd: ToolsCommand) -> ExitCode {
    let result = match cmd {
        ToolsCommand::Pix(PixCommand::Decode { payload }) => pix_decode(&payload),
        ToolsCommand::Pix(PixCommand::Encode {
            key,
            name,
            city,
            amount,
            txid,
            description,
            svg,
            png,
            scale,
            json,
        }) => pix_encode(&PixEncode {
            key,
            name,
            city,
            amount,
            txid,
            description,
            svg,
            png,
            scale,
            json,
        }),
        ToolsCommand::Boleto(BoletoCommand::Decode { line }) => boleto_decode(&line),
        ToolsCommand::Cnab(CnabCommand::Parse { file }) => return cnab_parse(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn print_json(v: &impl serde::Serialize) -> Result {
    let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}

fn pix_decode(payload: &str) -> Result {
    let p = brpay::pix::parse(payload.trim()).map_err(|e| e.to_string())?;
    print_json(&decoded_json(&p)?)
}

/// The decoded payload as JSON, with the amount as the decimal text the code
/// carries ("10.50"): people compare it with what their bank app shows.
fn decoded_json(p: &brpay::pix::PixPayload) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(p).map_err(|e| e.to_string())?;
    if let Some(o) = v.as_object_mut() {
        let text = o.remove("amount_text").unwrap_or(serde_json::Value::Null);
        o.insert("amount".into(), text);
    }
    Ok(v)
}

struct PixEncode {
    key: String,
    name: String,
    city: String,
    amount: Option<String>,
    txid: Option<String>,
    description: Option<String>,
    svg: Option<PathBuf>,
    png: Option<PathBuf>,
    scale: u32,
    json: bool,
}

fn pix_encode(a: &PixEncode) -> Result {
    let mut b = brpay::pix::PixBuilder::with_key(&a.key).merchant(&a.name, &a.city);
    if let Some(amount) = &a.amount {
        b = b.amount(parse_reais(amount).map_err(|e| format!("--amount: {e}"))?);
    }
    if let Some(t) = &a.txid {
        b = b.txid(t);
    }
    if let Some(d) = &a.description {
        b = b.description(d);
    }
    let payload = b.build().map_err(|e| e.to_string())?;
    if let Some(path) = &a.svg {
        let svg = brpay::pix::render_svg(&payload, a.scale).map_err(|e| e.to_string())?;
        std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &a.png {
        let png = brpay::pix::render_png(&payload, a.scale).map_err(|e| e.to_string())?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if a.json {
        let decoded = brpay::pix::parse(&payload).map_err(|e| e.to_string())?;
        let decoded = decoded_json(&decoded)?;
        print_json(&serde_json::json!({ "payload": payload, "decoded": decoded }))
    } else {
        println!("{payload}");
        Ok(())
    }
}

/// `12`, `12.3`, `12.34` or `12,34` reais → centavos.
fn parse_reais(s: &str) -> Result<i64> {
    let bad = || format!("expected an amount in reais such as 12.34, found {s:?}");
    let s = s.trim();
    let (int, frac) = match s.split_once(['.', ',']) {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty()
        || int.len() > 11
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let reais: i64 = int.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(reais * 100 + cents)
}

fn boleto_decode(line: &str) -> Result {
    let d = brpay::boleto::decode(line).map_err(|e| e.to_string())?;
    let formatted = match &d {
        brpay::boleto::Decoded::Bank(b) => b.formatted_line(),
        brpay::boleto::Decoded::Collection(a) => a.formatted_line(),
    };
    let mut v = serde_json::to_value(&d).map_err(|e| e.to_string())?;
    if let Some(o) = v.as_object_mut() {
        o.insert("formatted_line".into(), formatted.into());
    }
    print_json(&v)
}

/// Streams the file: one compact JSON object per record on standard output,
/// each bad line reported on standard error; exit status 1 if any was bad.
fn cnab_parse(path: &std::path::Path) -> ExitCode {
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    };
    let parser = match brpay::cnab::parse(input) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for record in parser {
        match record {
            Ok(r) => {
                let written = serde_json::to_writer(&mut out, &r)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                if written.is_err() {
                    // the reader went away (`| head`): stop quietly
                    return if failed {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    };
                }
            }
            Err(e) => {
                // keep stdout and stderr in order for a person at a terminal
                let _ = out.flush();
                eprintln!("error: {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if out.flush().is_err() || failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::parse_reais;

    #[test]
    fn reais() {
        assert_eq!(parse_reais("12.34"), Ok(1234));
        assert_eq!(parse_reais("12,3"), Ok(1230));
        assert_eq!(parse_reais("7"), Ok(700));
        assert_eq!(parse_reais("0.05"), Ok(5));
        for bad in ["", "-1", "1.234", "a", ".5", "1.2.3", "1e3"] {
            assert!(parse_reais(bad).is_err(), "{bad}");
        }
    }
}
