//! Numbers as Jayway's filters see them: `java.math.BigDecimal` made from the Java text of a
//! number (`Integer.toString`, `Double.toString`), compared exactly and printed as
//! `BigDecimal.toString` prints (which is what a number looks like to `=~` and to a string
//! compared with it: `1.0E10` is `"1.0E+10"`).

use std::cmp::Ordering;

use serde_json::Number;

/// An exact decimal: `(-1)^neg × digits × 10^-scale`, as `java.math.BigDecimal` keeps it
/// (`1.50` has digits 150 and scale 2, so it prints with its trailing zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    neg: bool,
    /// The unscaled value's digits, most significant first, without leading zeros ("0" for zero).
    digits: Vec<u8>,
    scale: i64,
}

/// The most digits a decimal literal may have: far beyond any number a path or a payload
/// holds (a double prints with at most 17), and it keeps every operation on decimals cheap.
const MAX_DIGITS: usize = 400;

impl Decimal {
    /// `new BigDecimal(text)`: an optional sign, digits with at most one `.`, an optional
    /// exponent. None where Java throws NumberFormatException.
    pub fn parse(text: &str) -> Option<Decimal> {
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut digits = Vec::new();
        let mut fraction = 0i64;
        let mut seen_point = false;
        let mut any = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    any = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        fraction += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return None,
            }
            i += 1;
        }
        if !any || digits.len() > MAX_DIGITS || fraction > MAX_DIGITS as i64 {
            return None;
        }
        let mut exponent = 0i64;
        if i < b.len() {
            i += 1; // e
            let exp = &text[i..];
            let (sign, body) = match exp.as_bytes().first() {
                Some(b'-') => (-1, &exp[1..]),
                Some(b'+') => (1, &exp[1..]),
                _ => (1, exp),
            };
            if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) || body.len() > 10 {
                return None;
            }
            exponent = sign * body.parse::<i64>().ok()?;
            if exponent.abs() > i64::from(i32::MAX) {
                return None;
            }
        }
        if digits.is_empty() {
            digits.push(0);
        }
        let scale = fraction - exponent;
        let neg = neg && digits != [0];
        Some(Decimal { neg, digits, scale })
    }

    /// The BigDecimal Jayway makes of a payload's number (`new BigDecimal(n.toString())`).
    pub fn of_number(n: &Number) -> Decimal {
        if let Some(i) = n.as_i64() {
            return Decimal::of_i128(i128::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Decimal::of_i128(i128::from(u));
        }
        Decimal::of_f64(n.as_f64().unwrap_or(0.0)).unwrap_or_else(|| Decimal::of_i128(0))
    }

    pub fn of_i128(i: i128) -> Decimal {
        let digits = i.unsigned_abs().to_string().bytes().map(|c| c - b'0').collect();
        Decimal { neg: i < 0, digits, scale: 0 }
    }

    /// The decimal of `Double.toString(f)`; None for NaN and the infinities, which BigDecimal
    /// refuses.
    pub fn of_f64(f: f64) -> Option<Decimal> {
        Decimal::parse(&java_double_string(f))
    }

    pub fn is_zero(&self) -> bool {
        self.digits == [0]
    }

    /// `BigDecimal.compareTo`: by value, so `1.0` equals `1` and `1E+1` equals `10`.
    pub fn cmp_value(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| if d.is_zero() { 0 } else if d.neg { -1 } else { 1 };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self.cmp_magnitude(other);
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        // The position of the leading digit decides, then the digits themselves.
        let adjusted = |d: &Decimal| d.digits.len() as i64 - 1 - d.scale;
        match adjusted(self).cmp(&adjusted(other)) {
            Ordering::Equal => {}
            o => return o,
        }
        let len = self.digits.len().max(other.digits.len());
        (0..len)
            .map(|i| (self.digits.get(i).copied().unwrap_or(0), other.digits.get(i).copied().unwrap_or(0)))
            .map(|(x, y)| x.cmp(&y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    /// `BigDecimal.intValue()`: the integer part, truncated toward zero, in 32-bit two's
    /// complement (so it wraps as Java's does).
    pub fn int_value(&self) -> i32 {
        let int_digits = self.digits.len() as i64 - self.scale;
        let mut v: u32 = 0;
        for i in 0..int_digits.max(0) {
            let d = self.digits.get(i as usize).copied().unwrap_or(0);
            v = v.wrapping_mul(10).wrapping_add(u32::from(d));
        }
        let v = v as i32;
        if self.neg {
            v.wrapping_neg()
        } else {
            v
        }
    }

    /// `BigDecimal.toString()`: plain notation when the scale is not negative and the number is
    /// not tiny; scientific (`1.0E+10`, `1E-7`) otherwise.
    pub fn java_string(&self) -> String {
        let coeff: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let mut out = String::with_capacity(coeff.len() + 8);
        if self.neg {
            out.push('-');
        }
        let adjusted = coeff.len() as i64 - 1 - self.scale;
        if self.scale >= 0 && adjusted >= -6 {
            let scale = self.scale as usize;
            if scale == 0 {
                out.push_str(&coeff);
            } else if coeff.len() > scale {
                let (int, frac) = coeff.split_at(coeff.len() - scale);
                out.push_str(int);
                out.push('.');
                out.push_str(frac);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', scale - coeff.len()));
                out.push_str(&coeff);
            }
        } else {
            out.push_str(&coeff[..1]);
            if coeff.len() > 1 {
                out.push('.');
                out.push_str(&coeff[1..]);
            }
            if adjusted != 0 {
                out.push('E');
                if adjusted > 0 {
                    out.push('+');
                }
                out.push_str(&adjusted.to_string());
            }
        }
        out
    }
}

/// `Double.toString(f)`: the shortest digits that read back as `f`, in plain notation
/// (`123.0`, `0.001`) from 10^-3 up to 10^7 and in Java's scientific notation (`1.0E10`,
/// `1.5E-5`) beyond.
pub fn java_double_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // JDK 17's FloatingDecimal prints the smallest subnormal with two digits (Jayway's max()
    // starts from it, so it shows up in results); elsewhere it agrees with the shortest digits.
    if f.abs() == 5e-324 {
        return if f < 0.0 { "-4.9E-324".into() } else { "4.9E-324".into() };
    }
    // ryu prints the shortest round-trip digits ("123.456", "1e-7", "1.5e20"); read them as
    // digits and the exponent of the first one.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int.chars().chain(frac.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all[leading..].trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let exponent = int.len() as i32 + exp.parse::<i32>().unwrap_or(0) - leading as i32 - 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    let abs = f.abs();
    if (1e-3..1e7).contains(&abs) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            let int: String = digits.chars().chain(std::iter::repeat('0')).take(int_len).collect();
            let frac = if digits.len() > int_len { &digits[int_len..] } else { "0" };
            out.push_str(&int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exponent.to_string());
    }
    out
}

/// What Java's `toString()` gives for a payload's number: `Integer`/`Long` digits for a JSON
/// integer, `Double.toString` for anything with a fraction or an exponent.
pub fn java_number_string(n: &Number) -> String {
    if n.is_f64() {
        java_double_string(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// `Number.intValue()` of a payload's number: the low 32 bits of an integer; a double
/// truncated toward zero and saturated (Java's `(int)` cast).
pub fn java_int_value(n: &Number) -> i32 {
    if let Some(i) = n.as_i64() {
        i as i32
    } else if let Some(u) = n.as_u64() {
        u as i32
    } else {
        // `as` saturates and maps NaN to 0, as Java's d2i does.
        n.as_f64().unwrap_or(0.0) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn parse_follows_bigdecimal() {
        for bad in ["", "-", "+", ".", "1e", "1e+", "1.2.3", "1-2", "e5", "NaN", "1e99999999999", "0x10", " 1"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
        for (text, printed) in [
            ("1", "1"),
            ("-1", "-1"),
            ("1.50", "1.50"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("1e3", "1E+3"),
            ("1.0E10", "1.0E+10"),
            ("1.5e-5", "0.000015"),
            ("1e-7", "1E-7"),
            ("123.456e1", "1234.56"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("+7", "7"),
            ("00012", "12"),
        ] {
            assert_eq!(d(text).java_string(), printed, "{text}");
        }
    }

    #[test]
    fn compare_by_value() {
        assert_eq!(d("1").cmp_value(&d("1.0")), Ordering::Equal);
        assert_eq!(d("10").cmp_value(&d("1E+1")), Ordering::Equal);
        assert_eq!(d("-0").cmp_value(&d("0.00")), Ordering::Equal);
        assert_eq!(d("8.95").cmp_value(&d("10")), Ordering::Less);
        assert_eq!(d("-8.95").cmp_value(&d("-10")), Ordering::Greater);
        assert_eq!(d("0.1").cmp_value(&d("0.10000000000000001")), Ordering::Less);
        assert_eq!(d("2").cmp_value(&d("-3")), Ordering::Greater);
        assert_eq!(d("1e-400").cmp_value(&d("0")), Ordering::Greater);
    }

    #[test]
    fn int_value_truncates_and_wraps() {
        assert_eq!(d("3.9").int_value(), 3);
        assert_eq!(d("-3.9").int_value(), -3);
        assert_eq!(d("1E+3").int_value(), 1000);
        assert_eq!(d("4294967297").int_value(), 1);
        assert_eq!(d("2147483648").int_value(), i32::MIN);
        assert_eq!(d("0.5").int_value(), 0);
    }

    #[test]
    fn double_strings_are_javas() {
        for (f, s) in [
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (1.5e10, "1.5E10"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (12.99, "12.99"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::MAX, "1.7976931348623157E308"),
        ] {
            assert_eq!(java_double_string(f), s, "{f}");
        }
        assert_eq!(java_double_string(f64::NAN), "NaN");
        assert_eq!(java_double_string(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn payload_numbers() {
        let n = |t: &str| serde_json::from_str::<Number>(t).unwrap();
        assert_eq!(java_number_string(&n("12")), "12");
        assert_eq!(java_number_string(&n("12.0")), "12.0");
        assert_eq!(java_number_string(&n("1e2")), "100.0");
        assert_eq!(Decimal::of_number(&n("1e10")).java_string(), "1.0E+10");
        assert_eq!(Decimal::of_number(&n("18446744073709551615")).java_string(), "18446744073709551615");
        assert_eq!(java_int_value(&n("3.7")), 3);
        assert_eq!(java_int_value(&n("-1e300")), i32::MIN);
        assert_eq!(java_int_value(&n("4294967296")), 0);
    }
}
