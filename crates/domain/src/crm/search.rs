//! Search keys: what stored text and typed queries are both reduced to, so
//! `joão` finds `JOAO`, and `123.456.789-09` finds `12345678909`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-case, accents folded (`ã` → `a`, `ç` → `c`), every run of
/// characters that are not letters or digits turned into one space, trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// The digits of `s` only (documents, phones, CEPs typed with punctuation).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// ASCII letters and digits only, upper-cased (the alphanumeric CNPJ).
pub fn alnum_upper(s: &str) -> String {
    crate::crm::document::normalize(s)
}

/// The words of a folded query, for "every word appears" matching.
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The exclusive upper bound of the keys starting with `prefix` (for index
/// range scans `key >= prefix AND key < bound`), or `None` if unbounded.
pub fn prefix_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        let cases = [
            ("João da Silva", "joao da silva"),
            ("  JOSÉ   CONCEIÇÃO ", "jose conceicao"),
            ("Ótica São-Paulo Ltda.", "otica sao paulo ltda"),
            ("Müller & Söhne", "muller sohne"),
            ("", ""),
            ("--", ""),
            ("R. Frei Caneca, 1.380", "r frei caneca 1 380"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "{input}");
        }
        assert_eq!(digits("529.982.247-25"), "52998224725");
        assert_eq!(digits("+55 (11) 98765-4321"), "5511987654321");
        assert_eq!(alnum_upper("12.abc.345/01de-35"), "12ABC34501DE35");
        assert_eq!(words("Maria  SILVA"), ["maria", "silva"]);
        assert_eq!(prefix_bound("5511").as_deref(), Some("5512"));
        assert_eq!(prefix_bound("ab9").as_deref(), Some("ab:"));
    }
}
