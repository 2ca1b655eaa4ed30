//! The template text: a tiny Markdown-like language.
//!
//! - `# Heading` (any number of `#`)
//! - paragraphs: consecutive non-empty lines, joined with spaces
//! - `- item` or `* item`: bullet list items
//! - `| key | value |`: a row of a key/value table
//! - `**bold**` inside paragraphs and items
//! - a line of only `_` (a signature line) is a paragraph of its own
//! - `{{ name }}`: a placeholder (letters, digits, `_` and `.`)
//!
//! Parsing never fails: anything unrecognised is paragraph text. Only
//! placeholders are checked, by [`placeholders`].

use crate::{Block, Span};

/// A malformed or unknown placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceholderError {
    #[error("`{{{{` at line {line} is not closed by `}}}}`")]
    Unclosed { line: usize },
    #[error("`{{{{{name}}}}}` at line {line} is not a valid placeholder name")]
    BadName { name: String, line: usize },
    #[error("unknown placeholder `{{{{{name}}}}}` at line {line}")]
    Unknown { name: String, line: usize },
}

fn name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Every placeholder in `src`, in order, with its 1-based line; an error
/// for an unclosed `{{` or a malformed name.
pub fn placeholders(src: &str) -> Result<Vec<(String, usize)>, PlaceholderError> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(PlaceholderError::Unclosed { line: i + 1 });
            };
            let name = after[..end].trim();
            if !name_ok(name) {
                return Err(PlaceholderError::BadName {
                    name: name.to_owned(),
                    line: i + 1,
                });
            }
            out.push((name.to_owned(), i + 1));
            rest = &after[end + 2..];
        }
    }
    Ok(out)
}

/// Checks that every placeholder is well formed and in `known`.
pub fn check(src: &str, known: &[&str]) -> Result<(), PlaceholderError> {
    for (name, line) in placeholders(src)? {
        if !known.contains(&name.as_str()) {
            return Err(PlaceholderError::Unknown { name, line });
        }
    }
    Ok(())
}

/// Replaces `{{name}}` in `text` with `value(name)`; unknown names (None)
/// are an error. Text without placeholders is returned as it is.
pub fn fill(
    text: &str,
    value: &impl Fn(&str) -> Option<String>,
) -> Result<String, PlaceholderError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(PlaceholderError::Unclosed { line: 1 });
        };
        let name = after[..end].trim();
        match value(name) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(PlaceholderError::Unknown {
                    name: name.to_owned(),
                    line: 1,
                });
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits `**bold**` runs. An unpaired `**` is kept as text.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut bold = false;
    loop {
        match rest.find("**") {
            Some(i) if bold || rest[i + 2..].contains("**") => {
                if i > 0 {
                    out.push(Span {
                        text: rest[..i].to_owned(),
                        bold,
                    });
                }
                bold = !bold;
                rest = &rest[i + 2..];
            }
            _ => {
                if !rest.is_empty() {
                    out.push(Span {
                        text: rest.to_owned(),
                        bold,
                    });
                }
                return out;
            }
        }
    }
}

fn table_row(line: &str) -> Option<(String, String)> {
    let inner = line.strip_prefix('|')?.trim_end();
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let (k, v) = inner.split_once('|')?;
    Some((k.trim().to_owned(), v.trim().to_owned()))
}

/// Parses template text into blocks.
pub fn parse(src: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    fn flush(para: &mut Vec<&str>, blocks: &mut Vec<Block>) {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(spans(&para.join(" "))));
            para.clear();
        }
    }
    for raw in src.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut para, &mut blocks);
            continue;
        }
        if line.starts_with('#') {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Heading(
                line.trim_start_matches('#').trim().to_owned(),
            ));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            flush(&mut para, &mut blocks);
            let item = spans(item.trim());
            match blocks.last_mut() {
                Some(Block::Bullets(items)) => items.push(item),
                _ => blocks.push(Block::Bullets(vec![item])),
            }
        } else if let Some(row) = table_row(line) {
            flush(&mut para, &mut blocks);
            match blocks.last_mut() {
                Some(Block::Table(rows)) => rows.push(row),
                _ => blocks.push(Block::Table(vec![row])),
            }
        } else if line.chars().all(|c| c == '_') {
            // A signature line stands alone, so the name under it starts a
            // line of its own.
            flush(&mut para, &mut blocks);
            blocks.push(Block::Paragraph(vec![Span::plain(line)]));
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut blocks);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_construct() {
        let src = "# Contrato\n\nO **cliente** contrata\no serviço.\n- um\n* dois **três**\n| Plano | Fibra |\n| Preço | R$ 99,90 |\n\n## Fim";
        let b = parse(src);
        assert_eq!(b[0], Block::Heading("Contrato".into()));
        assert_eq!(
            b[1],
            Block::Paragraph(vec![
                Span::plain("O "),
                Span::bold("cliente"),
                Span::plain(" contrata o serviço.")
            ])
        );
        assert_eq!(
            b[2],
            Block::Bullets(vec![
                vec![Span::plain("um")],
                vec![Span::plain("dois "), Span::bold("três")]
            ])
        );
        assert_eq!(
            b[3],
            Block::Table(vec![
                ("Plano".into(), "Fibra".into()),
                ("Preço".into(), "R$ 99,90".into())
            ])
        );
        assert_eq!(b[4], Block::Heading("Fim".into()));
        assert_eq!(spans("a ** b"), vec![Span::plain("a ** b")]);
    }

    #[test]
    fn placeholders_are_found_checked_and_filled() {
        let src = "Olá {{customer.name}},\nplano {{ plan.name }}.";
        assert_eq!(
            placeholders(src).unwrap(),
            vec![("customer.name".into(), 1), ("plan.name".into(), 2)]
        );
        assert!(check(src, &["customer.name", "plan.name"]).is_ok());
        assert_eq!(
            check(src, &["customer.name"]),
            Err(PlaceholderError::Unknown {
                name: "plan.name".into(),
                line: 2
            })
        );
        assert_eq!(
            placeholders("a\n{{x"),
            Err(PlaceholderError::Unclosed { line: 2 })
        );
        assert!(matches!(
            placeholders("{{a b}}"),
            Err(PlaceholderError::BadName { .. })
        ));
        let v = |n: &str| (n == "customer.name").then(|| "**João**".to_string());
        assert_eq!(fill("Sr. {{customer.name}}!", &v).unwrap(), "Sr. **João**!");
        assert!(fill("{{nope}}", &v).is_err());
    }
}
