#![no_main]
use libfuzzer_sys::fuzz_target;

// Template text is typed by providers: parsing, placeholder checks, filling
// and rendering must never panic, whatever the text.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = pdfdoc::markup::placeholders(&text);
    let _ = pdfdoc::markup::check(&text, &["a", "b.c"]);
    let mut blocks = pdfdoc::markup::parse(&text);
    let mut failed = false;
    for b in &mut blocks {
        // Values may themselves look like markup; they must stay text.
        if b
            .map_text(&mut |t: &str| pdfdoc::markup::fill(t, &|n: &str| Some(format!("**{n}**"))))
            .is_err()
        {
            failed = true;
        }
    }
    // Rendering is the slow part; keep inputs that reach it small.
    if !failed && data.len() <= 4096 {
        let doc = pdfdoc::Document {
            title: text.lines().next().unwrap_or_default().to_owned(),
            blocks,
            logo: None,
            footer: "{page}/{pages}".into(),
        };
        if let Ok(pdf) = pdfdoc::render(&doc) {
            assert!(pdf.starts_with(b"%PDF-"));
        }
    }
});
