//! `lastmile bench-pdf` (hidden): how many invoice PDFs one core renders
//! per second, through the same code the invoice page, the API and the
//! e-mail on issue use (`services::billing::pdf::render`, the built-in
//! template, a sample invoice with three lines and three taxes; no
//! database). Prints figures against the target (300 per second per
//! core); asserts nothing.

use std::time::{Duration, Instant};

use services::billing::pdf;

/// The target: PDFs per second per core.
const TARGET: f64 = 300.0;

#[derive(Debug, clap::Args)]
pub struct BenchPdfArgs {
    /// Seconds to render for, per locale.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Threads rendering at once (each on its own core when there are enough).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

fn render_for(locale: &'static str, limit: Duration) -> anyhow::Result<(u64, usize)> {
    let invoice = pdf::sample(locale);
    let body = pdf::default_template(locale);
    // With the payment block real invoices carry (Pix QR code, boleto bars).
    let payment = pdf::sample_payment(locale);
    let start = Instant::now();
    let mut n = 0u64;
    let mut size = 0;
    while start.elapsed() < limit {
        let bytes = pdf::render(&invoice, body, locale, None, Some(&payment))?;
        size = bytes.len();
        n += 1;
    }
    Ok((n, size))
}

pub fn run(args: &BenchPdfArgs) -> anyhow::Result<()> {
    let limit = Duration::from_secs(args.seconds.max(1));
    let threads = args.threads.max(1);
    println!(
        "invoice PDFs, {threads} thread(s), {} s per locale, {} core(s) available",
        limit.as_secs(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for locale in pdf::LOCALES {
        // A warm-up render so the first one's page faults are not counted.
        pdf::render(
            &pdf::sample(locale),
            pdf::default_template(locale),
            locale,
            None,
            Some(&pdf::sample_payment(locale)),
        )?;
        let started = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| std::thread::spawn(move || render_for(locale, limit)))
            .collect();
        let mut total = 0;
        let mut size = 0;
        for h in handles {
            let (n, s) = h
                .join()
                .map_err(|_| anyhow::anyhow!("a render thread panicked"))??;
            total += n;
            size = s;
        }
        let secs = started.elapsed().as_secs_f64();
        let per_second = total as f64 / secs;
        let per_core = per_second / threads as f64;
        println!(
            "  {locale:<6} {total:>7} PDFs in {secs:.2} s: {per_second:>8.0} /s, {per_core:>7.0} /s per thread, {:.2} ms each, {} bytes (target {TARGET} /s per core{})",
            1000.0 / per_core,
            size,
            if per_core >= TARGET {
                ", ok"
            } else {
                ", MISSED"
            }
        );
    }
    Ok(())
}
