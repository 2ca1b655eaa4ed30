//! Check-digit algorithms used by Brazilian payment formats.
//!
//! Every function takes ASCII digits (`b'0'..=b'9'`) and returns `None` when
//! the input holds anything else, so callers never panic on bad input.

/// Módulo 10 as FEBRABAN defines it for the linha digitável and arrecadação:
/// weights 2, 1, 2, 1… from the right, products above 9 reduced to the sum of
/// their digits, check digit `(10 - sum % 10) % 10`.
///
/// ```
/// // Banco do Brasil, "Especificações Técnicas para Confecção de Boleto",
/// // annex V: field 1 of the example line is 001905009, DV 5.
/// assert_eq!(brpay::check::mod10(b"001905009"), Some(5));
/// ```
pub fn mod10(digits: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in digits.iter().rev().enumerate() {
        let d = digit(c)?;
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += if p > 9 { p - 9 } else { p };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Weighted sum with weights `2, 3, …, max_weight, 2, 3, …` applied from the
/// rightmost digit; the base of every módulo 11 variant. Banks differ only in
/// how they map the remainder to a digit, which their modules do.
///
/// ```
/// // Bradesco: carteira 19 + nosso número 00000000002, base 7, sum 69.
/// assert_eq!(brpay::check::weighted_sum(b"1900000000002", 7), Some(69));
/// ```
pub fn weighted_sum(digits: &[u8], max_weight: u32) -> Option<u32> {
    let mut sum = 0u32;
    let mut w = 2u32;
    for &c in digits.iter().rev() {
        sum += digit(c)? * w;
        w = if w >= max_weight { 2 } else { w + 1 };
    }
    Some(sum)
}

/// Weighted sum with an explicit weight sequence applied from the LEFT,
/// repeating (Sicoob's `3197`).
pub fn weighted_sum_left(digits: &[u8], weights: &[u32]) -> Option<u32> {
    if weights.is_empty() {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in digits.iter().enumerate() {
        sum += digit(c)? * weights[i % weights.len()];
    }
    Some(sum)
}

/// The general check digit of a 44-digit bank boleto barcode, computed over
/// the 43 other digits: weights 2–9 from the right, `11 - sum % 11`, and 1
/// where that gives 0, 10 or 11 (a barcode never carries 0 in position 5).
///
/// ```
/// // Banco Inter, "Manual CNAB400", 6.1.1: sum 692, remainder 10, DV 1.
/// let without_dv = b"9999101200000350007772130530150081897500000";
/// assert_eq!(brpay::check::boleto_general_dv(without_dv), Some(1));
/// ```
pub fn boleto_general_dv(digits43: &[u8]) -> Option<u8> {
    let r = weighted_sum(digits43, 9)? % 11;
    let dv = 11 - r;
    Some(if dv == 0 || dv >= 10 { 1 } else { dv as u8 })
}

/// Módulo 11 as FEBRABAN defines it for arrecadação (and Caixa, Santander…):
/// weights 2–9 from the right, `11 - sum % 11`, and 0 where that gives 10 or 11.
///
/// ```
/// // Santander, "Layout de Código de Barras", nosso número 566612457800 → 2.
/// assert_eq!(brpay::check::mod11_zero(b"566612457800"), Some(2));
/// ```
pub fn mod11_zero(digits: &[u8]) -> Option<u8> {
    let r = weighted_sum(digits, 9)? % 11;
    let dv = 11 - r;
    Some(if dv >= 10 { 0 } else { dv as u8 })
}

/// Validates a CPF (11 digits, punctuation allowed).
///
/// ```
/// assert!(brpay::check::cpf_is_valid("529.982.247-25"));
/// assert!(!brpay::check::cpf_is_valid("111.111.111-11"));
/// ```
pub fn cpf_is_valid(cpf: &str) -> bool {
    let d: Vec<u8> = cpf.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() != 11
        || cpf
            .bytes()
            .any(|b| !b.is_ascii_digit() && b != b'.' && b != b'-')
    {
        return false;
    }
    if d.iter().all(|&c| c == d[0]) {
        return false;
    }
    let dv = |n: usize| -> u8 {
        let sum: u32 = (0..n)
            .map(|i| u32::from(d[i] - b'0') * (n as u32 + 1 - i as u32))
            .sum();
        let r = (sum * 10) % 11;
        if r == 10 { 0 } else { r as u8 }
    };
    dv(9) == d[9] - b'0' && dv(10) == d[10] - b'0'
}

/// Validates a CNPJ (14 digits, punctuation allowed).
///
/// ```
/// assert!(brpay::check::cnpj_is_valid("11.222.333/0001-81"));
/// assert!(!brpay::check::cnpj_is_valid("11.222.333/0001-82"));
/// ```
pub fn cnpj_is_valid(cnpj: &str) -> bool {
    let d: Vec<u8> = cnpj.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() != 14
        || cnpj
            .bytes()
            .any(|b| !b.is_ascii_digit() && b != b'.' && b != b'-' && b != b'/')
    {
        return false;
    }
    if d.iter().all(|&c| c == d[0]) {
        return false;
    }
    let dv = |n: usize| -> u8 {
        // weights 2..9 from the right, cyclic
        let r = weighted_sum(&d[..n], 9).unwrap_or(0) % 11;
        if r < 2 { 0 } else { (11 - r) as u8 }
    };
    dv(12) == d[12] - b'0' && dv(13) == d[13] - b'0'
}

pub(crate) fn digit(c: u8) -> Option<u32> {
    c.is_ascii_digit().then(|| u32::from(c - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod10_bb_annex_v_fields() {
        // Banco do Brasil, Especificação Boleto Jan/2016, annex V: barcode
        // 00193373700000001000500940144816060680935031 → DVs 5, 9, 4.
        assert_eq!(mod10(b"001905009"), Some(5));
        assert_eq!(mod10(b"4014481606"), Some(9));
        assert_eq!(mod10(b"0680935031"), Some(4));
    }

    #[test]
    fn general_dv_bb_annex_vi() {
        // Same document, annex VI: sum 712, remainder 8, DV 3.
        let bc = b"00193373700000001000500940144816060680935031";
        let mut without = bc[..4].to_vec();
        without.extend_from_slice(&bc[5..]);
        assert_eq!(boleto_general_dv(&without), Some(3));
    }

    #[test]
    fn non_digits_are_refused() {
        assert_eq!(mod10(b"12a"), None);
        assert_eq!(weighted_sum(b"1 2", 9), None);
        assert_eq!(weighted_sum_left(b"12", &[]), None);
    }

    #[test]
    fn cpf_cnpj() {
        assert!(cpf_is_valid("52998224725"));
        assert!(!cpf_is_valid("52998224724"));
        assert!(!cpf_is_valid("5299822472"));
        assert!(cnpj_is_valid("11222333000181"));
        assert!(!cnpj_is_valid("00000000000000"));
    }
}
