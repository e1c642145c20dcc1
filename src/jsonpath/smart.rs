//! The JSON a Jayway path may hold as text (`@.size in ['S', 'M']`, `$.sum(1, 2)`), read as
//! Jayway reads it: with json-smart 2.6's permissive parser (`JSONParser.MODE_PERMISSIVE`),
//! which takes single-quoted strings, unquoted words (`[a, b]` is two strings), useless commas
//! and leading zeros, and ignores what follows the first value.
//!
//! A port of `JSONParserBase`/`JSONParserMemory`/`JSONParserString` (json-smart-v2 `v2.6.0`),
//! state machine and all, so the corner cases come out as Jayway's do. Where a value cannot be
//! a `serde_json::Value` (NaN, an infinity, a number past 64 bits or 18 characters of
//! fraction, which json-smart keeps as `Float`/`BigInteger`/`BigDecimal`), reading fails:
//! pipehook cannot hold it, and a filter that needs it then selects nothing.

use serde_json::{Map, Number, Value};

/// json-smart's end-of-input marker, which the text itself may also contain (it ends input there).
const EOI: char = '\u{1a}';
/// Characters at or above this one are never stop characters (json-smart's `MAX_STOP`).
const MAX_STOP: char = '\u{7e}';
/// json-smart refuses deeper nesting (`MAX_DEPTH`); it also bounds this parser's recursion.
const MAX_DEPTH: usize = 400;

/// Why text is not JSON to json-smart (or not JSON pipehook can hold), in a few words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmartError(pub &'static str);

#[derive(Clone, Copy)]
enum Stop {
    /// Top level: only the end of input stops an unquoted word.
    X,
    Array,
    Key,
    Value,
}

impl Stop {
    fn stops(self, c: char) -> bool {
        match self {
            Stop::X => c == EOI,
            Stop::Array => matches!(c, ',' | ']' | EOI),
            Stop::Key => matches!(c, ':' | EOI),
            Stop::Value => matches!(c, ',' | '}' | EOI),
        }
    }
}

/// What json-smart's parser returns, before it becomes a `serde_json::Value`.
enum Read {
    Value(Value),
    /// A bare word: a string in permissive mode.
    Text(String),
}

impl Read {
    fn into_value(self) -> Value {
        match self {
            Read::Value(v) => v,
            Read::Text(s) => Value::String(s),
        }
    }
}

struct Parser {
    s: Vec<char>,
    pos: isize,
    c: char,
    depth: usize,
    /// The last string read (json-smart's `xs`).
    xs: String,
}

/// Parses `text` as json-smart does in permissive mode (the first value; the rest is ignored).
pub fn parse_permissive(text: &str) -> Result<Value, SmartError> {
    let mut p = Parser { s: text.chars().collect(), pos: -1, c: EOI, depth: 0, xs: String::new() };
    p.read();
    p.read_first()
}

/// `Character.isWhitespace`: Unicode space separators other than the no-break ones, and the
/// ASCII controls tab to carriage return and the four information separators.
pub fn java_is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{1c}'..='\u{1f}')
        || (c.is_whitespace() && !matches!(c, '\u{85}' | '\u{a0}' | '\u{2007}' | '\u{202f}') && c as u32 > 0x7f)
        || c == ' '
}

impl Parser {
    fn read(&mut self) {
        self.pos += 1;
        self.c = self.at(self.pos);
    }

    fn at(&self, i: isize) -> char {
        usize::try_from(i).ok().and_then(|i| self.s.get(i)).copied().unwrap_or(EOI)
    }

    fn skip_space(&mut self) {
        while !(self.c > ' ' || self.c == EOI) {
            self.read();
        }
    }

    fn skip_digits(&mut self) {
        while self.c.is_ascii_digit() {
            self.read();
        }
    }

    fn skip_nq(&mut self, stop: Stop) {
        while !(self.c == EOI || (self.c < MAX_STOP && stop.stops(self.c))) {
            self.read();
        }
    }

    /// `extractStringTrim`: the text from `start` to `stop`, trimmed of Java whitespace but never
    /// to nothing.
    fn extract_trim(&mut self, start: isize, stop: isize) {
        let (mut a, mut b) = (start.max(0) as usize, stop.max(0) as usize);
        b = b.min(self.s.len());
        while a + 1 < b && java_is_whitespace(self.s[a]) {
            a += 1;
        }
        while b > a + 1 && java_is_whitespace(self.s[b - 1]) {
            b -= 1;
        }
        self.xs = self.s.get(a..b).map(|c| c.iter().collect()).unwrap_or_default();
    }

    fn read_nq(&mut self, stop: Stop) {
        let start = self.pos;
        self.skip_nq(stop);
        self.extract_trim(start, self.pos);
    }

    fn read_first(&mut self) -> Result<Value, SmartError> {
        self.read_value(Stop::X).map(Read::into_value)
    }

    /// `readFirst`/`readMain`: one value, `stop` ending an unquoted word.
    fn read_value(&mut self, stop: Stop) -> Result<Read, SmartError> {
        loop {
            match self.c {
                ' ' | '\r' | '\n' | '\t' => self.read(),
                ':' | '}' | ']' => return Err(SmartError("unexpected character")),
                '{' => return self.read_object().map(Read::Value),
                '[' => return self.read_array().map(Read::Value),
                '"' | '\'' => {
                    self.read_string()?;
                    return Ok(Read::Value(Value::String(std::mem::take(&mut self.xs))));
                }
                EOI if !matches!(stop, Stop::X) => return Err(SmartError("unexpected end")),
                '0'..='9' | '-' => return self.read_number(stop),
                c => {
                    self.read_nq(stop);
                    let word = std::mem::take(&mut self.xs);
                    return Ok(match (c, word.as_str()) {
                        ('n', "null") => Read::Value(Value::Null),
                        ('t', "true") => Read::Value(Value::Bool(true)),
                        ('f', "false") => Read::Value(Value::Bool(false)),
                        ('N', "NaN") => return Err(SmartError("NaN cannot be held")),
                        _ => Read::Text(word),
                    });
                }
            }
        }
    }

    fn read_array(&mut self) -> Result<Value, SmartError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SmartError("nested too deeply"));
        }
        let mut out = Vec::new();
        self.read();
        loop {
            match self.c {
                ' ' | '\r' | '\n' | '\t' => self.read(),
                ']' => {
                    self.depth -= 1;
                    self.read();
                    return Ok(Value::Array(out));
                }
                ':' | '}' => return Err(SmartError("unexpected character")),
                ',' => self.read(),
                EOI => return Err(SmartError("unexpected end")),
                _ => out.push(self.read_value(Stop::Array)?.into_value()),
            }
        }
    }

    fn read_object(&mut self) -> Result<Value, SmartError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SmartError("nested too deeply"));
        }
        let mut out = Map::new();
        let mut accept_data = true;
        loop {
            self.read();
            match self.c {
                ' ' | '\r' | '\t' | '\n' => continue,
                ':' | ']' | '[' | '{' => return Err(SmartError("unexpected character")),
                '}' => {
                    self.depth -= 1;
                    self.read();
                    return Ok(Value::Object(out));
                }
                ',' => accept_data = true,
                c => {
                    if c == '"' || c == '\'' {
                        self.read_string()?;
                    } else {
                        self.read_nq(Stop::Key);
                    }
                    let key = std::mem::take(&mut self.xs);
                    if !accept_data {
                        return Err(SmartError("unexpected token"));
                    }
                    self.skip_space();
                    if self.c != ':' {
                        return Err(SmartError("expected ':'"));
                    }
                    self.read();
                    let value = self.read_value(Stop::Value)?.into_value();
                    out.insert(key, value);
                    self.skip_space();
                    match self.c {
                        '}' => {
                            self.depth -= 1;
                            self.read();
                            return Ok(Value::Object(out));
                        }
                        EOI => return Err(SmartError("unexpected end")),
                        ',' => accept_data = true,
                        _ => return Err(SmartError("unexpected token")),
                    }
                }
            }
        }
    }

    /// `readString`: a quoted string (either quote), the current character being its quote.
    fn read_string(&mut self) -> Result<(), SmartError> {
        let quote = self.c;
        let from = (self.pos + 1) as usize;
        let end = self.s.get(from..).and_then(|rest| rest.iter().position(|&c| c == quote)).map(|i| from + i);
        let Some(end) = end else { return Err(SmartError("string without its closing quote")) };
        let fast: String = self.s[from..end].iter().collect();
        if !fast.contains('\\') {
            self.xs = fast;
            self.pos = end as isize;
            self.read();
            return Ok(());
        }
        // `readString2`: character by character, escapes resolved, control characters dropped.
        let mut sb = String::new();
        loop {
            self.read();
            match self.c {
                EOI => return Err(SmartError("string without its closing quote")),
                '"' | '\'' if self.c == quote => {
                    self.read();
                    self.xs = sb;
                    return Ok(());
                }
                '\\' => {
                    self.read();
                    match self.c {
                        't' => sb.push('\t'),
                        'n' => sb.push('\n'),
                        'r' => sb.push('\r'),
                        'f' => sb.push('\u{c}'),
                        'b' => sb.push('\u{8}'),
                        '\\' => sb.push('\\'),
                        '/' => sb.push('/'),
                        '\'' => sb.push('\''),
                        '"' => sb.push('"'),
                        'u' => sb.push(self.read_unicode(4)?),
                        'x' => sb.push(self.read_unicode(2)?),
                        _ => {}
                    }
                }
                '\0'..='\u{19}' | '\u{1b}'..='\u{1f}' | '\u{7f}' => {}
                c => sb.push(c),
            }
        }
    }

    fn read_unicode(&mut self, n: usize) -> Result<char, SmartError> {
        let mut value = 0u32;
        for _ in 0..n {
            self.read();
            value = value * 16 + self.c.to_digit(16).filter(|_| self.c != EOI).ok_or(SmartError("bad escape"))?;
        }
        // A lone surrogate is a Java char but not a Rust one.
        char::from_u32(value).ok_or(SmartError("unpaired surrogate"))
    }

    /// `readNumber`: a number, or a word that starts like one (`12abc` is a string).
    fn read_number(&mut self, stop: Stop) -> Result<Read, SmartError> {
        let start = self.pos;
        self.read();
        self.skip_digits();
        if self.c != '.' && self.c != 'E' && self.c != 'e' {
            self.skip_space();
            return self.number_or_word(start, stop, integer);
        }
        if self.c == '.' {
            self.read();
            self.skip_digits();
        }
        if self.c != 'E' && self.c != 'e' {
            self.skip_space();
            return self.number_or_word(start, stop, float);
        }
        self.read();
        if self.c == '+' || self.c == '-' || self.c.is_ascii_digit() {
            self.read();
            self.skip_digits();
            self.skip_space();
            self.number_or_word(start, stop, float)
        } else {
            self.skip_nq(stop);
            self.extract_trim(start, self.pos);
            Ok(Read::Text(std::mem::take(&mut self.xs)))
        }
    }

    /// After a number's characters: a word if more follows before a stop character (json-smart
    /// then reads the whole as a string), else the number the text makes.
    fn number_or_word(&mut self, start: isize, stop: Stop, number: fn(&str) -> Result<Value, SmartError>) -> Result<Read, SmartError> {
        if self.c < MAX_STOP && !stop.stops(self.c) && self.c != EOI {
            self.skip_nq(stop);
            self.extract_trim(start, self.pos);
            return Ok(Read::Text(std::mem::take(&mut self.xs)));
        }
        self.extract_trim(start, self.pos);
        number(&self.xs).map(Read::Value)
    }
}

/// `parseNumber`: digits (and a sign) as an `Integer`, `Long` or `BigInteger`. A lone `-`
/// reads as 0, as json-smart's loop leaves it.
fn integer(s: &str) -> Result<Value, SmartError> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() {
        return Ok(Value::from(0));
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Ok(Value::from(u));
    }
    Err(SmartError("integer beyond 64 bits cannot be held"))
}

/// `extractFloat`: a `Double` (a `BigDecimal` past 18 characters, which pipehook cannot hold).
fn float(s: &str) -> Result<Value, SmartError> {
    if s.chars().count() > 18 {
        return Err(SmartError("number with more than 18 characters cannot be held"));
    }
    let f: f64 = java_parse_double(s).ok_or(SmartError("not a number"))?;
    Number::from_f64(f).map(Value::Number).ok_or(SmartError("infinite number cannot be held"))
}

/// `Double.parseDouble` for the texts json-smart hands it: digits with an optional sign,
/// fraction and exponent (`1.`, `1.e5` and `-.5` included).
fn java_parse_double(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let unsigned = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let neg = mantissa.starts_with('-');
    let int = int.trim_start_matches('0');
    // As JSON, which serde_json reads to the nearest double (as Java does).
    let normal = format!("{}{}.{}e{}", if neg { "-" } else { "" }, if int.is_empty() { "0" } else { int }, if frac.is_empty() { "0" } else { frac }, exponent.unwrap_or("0"));
    serde_json::from_str::<f64>(&normal).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Value {
        parse_permissive(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn reads_strict_json() {
        assert_eq!(p(r#"{"a": [1, -2, 3.5, true, false, null, "x"]}"#), json!({"a": [1, -2, 3.5, true, false, null, "x"]}));
        assert_eq!(p("[]"), json!([]));
        assert_eq!(p("{}"), json!({}));
        assert_eq!(p(r#""a\"b\u0041\n""#), json!("a\"bA\n"));
    }

    #[test]
    fn reads_permissive_forms() {
        assert_eq!(p("['S', 'M']"), json!(["S", "M"]));
        assert_eq!(p("[a, b c ]"), json!(["a", "b c"]));
        assert_eq!(p("{a: 1, 'b': x}"), json!({"a": 1, "b": "x"}));
        assert_eq!(p("[1,,2,]"), json!([1, 2]));
        assert_eq!(p("[007, 12abc, 1e5, 1.5e-2, -]"), json!([7, "12abc", 100000.0, 0.015, 0]));
        assert_eq!(p("[nullx, truey, null]"), json!(["nullx", "truey", null]));
        assert_eq!(p("[1] trailing"), json!([1]));
        assert_eq!(p("{\"a\": 1, \"a\": 2}"), json!({"a": 2}));
        assert_eq!(p(r"['it\'s', 'a\qb']"), json!(["it's", "ab"]));
        assert_eq!(p("[1.]"), json!([1.0]));
    }

    #[test]
    fn refuses_what_json_smart_refuses_or_pipehook_cannot_hold() {
        for bad in ["[", "[1", "{a}", "{a:", "]", "[:]", "[}", "'abc", "[NaN]", "[1e400]", "[12345678901234567890123]", "[0.1234567890123456789]", "{[:1}", r#"["\u00zz"]"#] {
            assert!(parse_permissive(bad).is_err(), "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(401), "]".repeat(401));
        assert!(parse_permissive(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(400), "]".repeat(400));
        assert!(parse_permissive(&ok).is_ok());
    }

    #[test]
    fn java_whitespace() {
        for c in [' ', '\t', '\n', '\u{b}', '\u{1f}', '\u{2003}', '\u{3000}'] {
            assert!(java_is_whitespace(c), "{c:?}");
        }
        for c in ['a', '\u{a0}', '\u{202f}', '\u{0}'] {
            assert!(!java_is_whitespace(c), "{c:?}");
        }
    }
}
