//! A recursive-descent parser for RFC 9535 JSONPath (§2, its ABNF in Appendix A), with the
//! RFC's well-typedness rules for function calls (§2.4.3) checked as it goes.
//!
//! Every recursion enters a `[` or a `(` first, and [`MAX_NESTING`] bounds how many may be open,
//! so no input can exhaust the stack; the parser reads each character once (no backtracking
//! beyond a few characters of lookahead), so time is linear in the path's length.

use std::fmt;

use super::model::*;

/// The deepest nesting of `[` and `(` a path may have. Each level costs a few stack frames and
/// wasm's stack is small (1 MiB). A path of at most 150 characters (AWS's limit) nests at most
/// 75 levels, so every path AWS accepts by length gets through.
pub const MAX_NESTING: usize = 80;

/// The largest magnitude of an index, slice bound or integer literal: I-JSON's exact integers
/// (RFC 9535 §2.1).
const MAX_INT: u64 = (1 << 53) - 1;

/// Why a path does not parse, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    /// 1-based line of the path (a filter may span lines).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something else is here; the text names what would fit.
    Expected(&'static str),
    /// Whitespace after the last segment, which RFC 9535 does not allow.
    TrailingWhitespace,
    TooDeep,
    LeadingZero,
    /// `-0` where an index or slice bound is expected.
    NegativeZero,
    IntegerOutOfRange,
    /// A number literal too large for a double (`1e400`).
    NumberOutOfRange,
    UnterminatedString,
    InvalidEscape,
    /// An unescaped control character (U+0000 to U+001F) in a string literal.
    ControlCharacter(char),
    UnknownFunction(String),
    /// A function name followed by whitespace before its `(`.
    SpaceBeforeParenthesis,
    WrongArity { function: &'static str, expected: usize, found: usize },
    WrongArgument { function: &'static str, expected: ParamType, found: ArgType },
    LiteralAsTest,
    /// A value-returning function used as a test.
    ValueAsTest(&'static str),
    /// A logical function used as an operand of a comparison.
    LogicalCompared(&'static str),
    NonSingularCompared,
}

/// The declared type of a function parameter (RFC 9535 §2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Value,
    Nodes,
}

/// What was passed where a parameter's type does not admit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Literal,
    NonSingularQuery,
    FunctionResult,
    LogicalResult,
    LogicalExpression,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Expected(what) => write!(f, "expected {what}"),
            ErrorKind::TrailingWhitespace => f.write_str("whitespace after the end of the path"),
            ErrorKind::TooDeep => write!(f, "brackets and parentheses nest deeper than {MAX_NESTING} levels"),
            ErrorKind::LeadingZero => f.write_str("a number may not start with 0"),
            ErrorKind::NegativeZero => f.write_str("-0 is not an integer index"),
            ErrorKind::IntegerOutOfRange => {
                write!(f, "integer out of range (-{MAX_INT} to {MAX_INT})")
            }
            ErrorKind::NumberOutOfRange => f.write_str("number out of range"),
            ErrorKind::UnterminatedString => f.write_str("string literal without its closing quote"),
            ErrorKind::InvalidEscape => f.write_str("invalid escape in a string literal"),
            ErrorKind::ControlCharacter(c) => {
                write!(f, "control character U+{:04X} must be escaped in a string literal", u32::from(*c))
            }
            ErrorKind::UnknownFunction(name) => write!(f, "unknown function {name}"),
            ErrorKind::SpaceBeforeParenthesis => f.write_str("whitespace between a function name and '('"),
            ErrorKind::WrongArity { function, expected, found } => {
                let s = if *expected == 1 { "" } else { "s" };
                write!(f, "function {function} takes {expected} argument{s}, not {found}")
            }
            ErrorKind::WrongArgument { function, expected, found } => {
                let expected = match expected {
                    ParamType::Value => "a value",
                    ParamType::Nodes => "a query",
                };
                let found = match found {
                    ArgType::Literal => "a literal",
                    ArgType::NonSingularQuery => "a query that may select several nodes",
                    ArgType::FunctionResult => "a function result",
                    ArgType::LogicalResult => "a logical result",
                    ArgType::LogicalExpression => "a logical expression",
                };
                write!(f, "function {function} takes {expected}, not {found}")
            }
            ErrorKind::LiteralAsTest => f.write_str("a literal cannot be a test on its own"),
            ErrorKind::ValueAsTest(name) => {
                write!(f, "function {name} returns a value, which cannot be a test on its own")
            }
            ErrorKind::LogicalCompared(name) => {
                write!(f, "function {name} returns a logical result, which cannot be compared")
            }
            ErrorKind::NonSingularCompared => f.write_str("a query that may select several nodes cannot be compared"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 1 {
            write!(f, "{} at column {}", self.kind, self.column)
        } else {
            write!(f, "{} at line {}, column {}", self.kind, self.line, self.column)
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses `path` as an RFC 9535 JSONPath query.
///
/// ```
/// use pipehook::jsonpath::{parse, Segment, Selector};
/// let q = parse("$.commits[0]").unwrap();
/// let commits = Segment::Selector(Selector::Name("commits".into()));
/// assert_eq!(q.segments, vec![commits, Segment::Selector(Selector::Index(0))]);
/// assert_eq!(parse("$.").unwrap_err().to_string(), "expected a member name or '*' at column 3");
/// ```
pub fn parse(path: &str) -> Result<JpQuery, ParseError> {
    let mut p = Parser { src: path, pos: 0, depth: 0 };
    if !p.eat(b'$') {
        return Err(p.error(ErrorKind::Expected("'$' at the start of the path")));
    }
    let (segments, _) = p.segments()?;
    if p.pos < path.len() {
        let rest = &path[p.pos..];
        let kind = if rest.bytes().all(is_blank) {
            ErrorKind::TrailingWhitespace
        } else {
            p.skip_blank();
            ErrorKind::Expected("'.', '..', '[' or the end of the path")
        };
        return Err(p.error(kind));
    }
    Ok(JpQuery { segments })
}

/// RFC 9535's `B`: the whitespace allowed between tokens.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_name_first(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_name_char(c: char) -> bool {
    is_name_first(c) || c.is_ascii_digit()
}

/// The five functions RFC 9535 defines: name, parameter types, result.
const FUNCTIONS: &[(&str, &[ParamType], Returns)] = &[
    ("length", &[ParamType::Value], Returns::Value),
    ("count", &[ParamType::Nodes], Returns::Value),
    ("value", &[ParamType::Nodes], Returns::Value),
    ("match", &[ParamType::Value, ParamType::Value], Returns::Logical),
    ("search", &[ParamType::Value, ParamType::Value], Returns::Logical),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Returns {
    Value,
    Logical,
}

/// A filter operand before it is known whether it is compared or tested.
enum Operand {
    Literal(Literal),
    Query { test: Test, singular: Option<SingularQuery> },
    Call { function: TestFunction, name: &'static str, returns: Returns },
}

/// A function argument as written, before its parameter's type is checked.
enum Argument {
    Operand(Operand),
    Logical,
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    /// How many `[` and `(` are open.
    depth: usize,
}

type Parsed<T> = Result<T, ParseError>;

/// Builds a comparison from its two operands.
type Operator = fn(Comparable, Comparable) -> Comparison;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        if found {
            self.pos += 1;
        }
        found
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let found = self.src[self.pos..].starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    fn error(&self, kind: ErrorKind) -> ParseError {
        self.error_at(self.pos, kind)
    }

    fn error_at(&self, at: usize, kind: ErrorKind) -> ParseError {
        let before = &self.src[..at];
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let line = 1 + before.matches('\n').count() + before.matches('\r').count() - before.matches("\r\n").count();
        ParseError { kind, line, column: before[line_start..].chars().count() + 1 }
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Parsed<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.error(ErrorKind::Expected(what)))
        }
    }

    /// Consumes the `[` or `(` at the cursor, counting it against [`MAX_NESTING`].
    fn open(&mut self) -> Parsed<()> {
        if self.depth == MAX_NESTING {
            return Err(self.error(ErrorKind::TooDeep));
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    fn close(&mut self, b: u8, what: &'static str) -> Parsed<()> {
        self.expect(b, what)?;
        self.depth -= 1;
        Ok(())
    }

    // Queries

    /// `*(S segment)`, and whether every segment is a single name or index (a singular query).
    ///
    /// RFC 9535's grammar for singular queries allows no whitespace inside their brackets
    /// (`@[ 'a' ]`); this parser allows it, as jsonpath-rust did, since the meaning is the same.
    fn segments(&mut self) -> Parsed<(Vec<Segment>, bool)> {
        let mut segments = Vec::new();
        let mut singular = true;
        loop {
            let before = self.pos;
            self.skip_blank();
            if !matches!(self.peek(), Some(b'.' | b'[')) {
                // The whitespace belongs to whatever follows the query.
                self.pos = before;
                return Ok((segments, singular));
            }
            let (segment, s) = self.segment()?;
            singular &= s;
            segments.push(segment);
        }
    }

    fn segment(&mut self) -> Parsed<(Segment, bool)> {
        if self.eat_str("..") {
            let inner = match self.peek_char() {
                Some('[') => self.bracketed()?.0,
                Some('*') => {
                    self.pos += 1;
                    Segment::Selector(Selector::Wildcard)
                }
                Some(c) if is_name_first(c) => Segment::Selector(Selector::Name(self.member_name())),
                _ => return Err(self.error(ErrorKind::Expected("a member name, '*' or '[' after '..'"))),
            };
            return Ok((Segment::Descendant(Box::new(inner)), false));
        }
        if self.eat(b'.') {
            return match self.peek_char() {
                Some('*') => {
                    self.pos += 1;
                    Ok((Segment::Selector(Selector::Wildcard), false))
                }
                Some(c) if is_name_first(c) => Ok((Segment::Selector(Selector::Name(self.member_name())), true)),
                _ => Err(self.error(ErrorKind::Expected("a member name or '*'"))),
            };
        }
        self.bracketed()
    }

    fn member_name(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek_char().filter(|&c| is_name_char(c)) {
            self.pos += c.len_utf8();
        }
        self.src[start..self.pos].to_string()
    }

    /// `[ selector *(, selector) ]`: one selector gives `Segment::Selector`, several `Selectors`.
    fn bracketed(&mut self) -> Parsed<(Segment, bool)> {
        self.open()?;
        self.skip_blank();
        let mut selectors = vec![self.selector()?];
        loop {
            self.skip_blank();
            if self.eat(b',') {
                self.skip_blank();
                selectors.push(self.selector()?);
            } else {
                self.close(b']', "',' or ']'")?;
                break;
            }
        }
        if selectors.len() == 1 {
            let selector = selectors.pop().expect("one selector");
            let singular = matches!(selector, Selector::Name(_) | Selector::Index(_));
            Ok((Segment::Selector(selector), singular))
        } else {
            Ok((Segment::Selectors(selectors), false))
        }
    }

    fn selector(&mut self) -> Parsed<Selector> {
        match self.peek() {
            Some(b'\'' | b'"') => Ok(Selector::Name(self.string()?)),
            Some(b'*') => {
                self.pos += 1;
                Ok(Selector::Wildcard)
            }
            Some(b'?') => {
                self.pos += 1;
                self.skip_blank();
                Ok(Selector::Filter(self.logical_or(None)?))
            }
            Some(b'-' | b'0'..=b'9' | b':') => self.index_or_slice(),
            _ => Err(self.error(ErrorKind::Expected(
                "a selector (a quoted name, '*', an index, a slice or a '?' filter)",
            ))),
        }
    }

    fn index_or_slice(&mut self) -> Parsed<Selector> {
        let start = if self.peek() == Some(b':') { None } else { Some(self.int()?) };
        let before = self.pos;
        self.skip_blank();
        if !self.eat(b':') {
            self.pos = before;
            return Ok(Selector::Index(start.expect("an index or a ':'")));
        }
        self.skip_blank();
        let end = self.optional_int()?;
        self.skip_blank();
        let step = if self.eat(b':') {
            self.skip_blank();
            self.optional_int()?
        } else {
            None
        };
        Ok(Selector::Slice(start, end, step))
    }

    fn optional_int(&mut self) -> Parsed<Option<i64>> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.int().map(Some),
            _ => Ok(None),
        }
    }

    /// RFC 9535's `int`: `0`, or an optional `-` and digits without a leading zero, within
    /// I-JSON's exact range.
    fn int(&mut self) -> Parsed<i64> {
        let start = self.pos;
        let (negative, digits) = self.digits()?;
        if negative && digits == "0" {
            return Err(self.error_at(start, ErrorKind::NegativeZero));
        }
        to_int(negative, digits).ok_or_else(|| self.error_at(start, ErrorKind::IntegerOutOfRange))
    }

    /// An optional `-` and at least one digit, no leading zero.
    fn digits(&mut self) -> Parsed<(bool, &'a str)> {
        let negative = self.eat(b'-');
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let src = self.src;
        let digits = &src[start..self.pos];
        if digits.is_empty() {
            return Err(self.error(ErrorKind::Expected("a digit")));
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(self.error_at(start, ErrorKind::LeadingZero));
        }
        Ok((negative, digits))
    }

    /// A quoted string literal, its escapes (RFC 9535 §2.3.1.2) resolved.
    fn string(&mut self) -> Parsed<String> {
        let start = self.pos;
        let quote = self.src.as_bytes()[start] as char;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let at = self.pos;
            let Some(c) = self.peek_char() else {
                return Err(self.error_at(start, ErrorKind::UnterminatedString));
            };
            self.pos += c.len_utf8();
            match c {
                _ if c == quote => return Ok(out),
                '\\' => {
                    let escaped = match self.peek_char() {
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some(c @ ('/' | '\\')) => c,
                        Some(c @ ('\'' | '"')) if c == quote => c,
                        Some('u') => {
                            self.pos += 1;
                            let c = self.unicode_escape().ok_or_else(|| self.error_at(at, ErrorKind::InvalidEscape))?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error_at(at, ErrorKind::InvalidEscape)),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                c if c < ' ' => return Err(self.error_at(at, ErrorKind::ControlCharacter(c))),
                c => out.push(c),
            }
        }
    }

    /// The `XXXX` after `\u`, or a surrogate pair `XXXX\uXXXX`, as one character.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        match high {
            0xD800..=0xDBFF => {
                if !self.eat_str("\\u") {
                    return None;
                }
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            // A lone low surrogate; char::from_u32 refuses it too.
            _ => char::from_u32(high),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = self.src.get(self.pos..self.pos + 4)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(hex, 16).ok()
    }

    /// RFC 9535's `number`: `int` or `-0`, an optional fraction and exponent.
    fn number(&mut self) -> Parsed<Literal> {
        let start = self.pos;
        let (negative, digits) = self.digits()?;
        let mut float = false;
        if self.eat(b'.') {
            float = true;
            self.digits_after("a digit after '.'")?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits_after("a digit in the exponent")?;
        }
        let text = &self.src[start..self.pos];
        if float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Literal::Float(f)),
                _ => Err(self.error_at(start, ErrorKind::NumberOutOfRange)),
            }
        } else {
            to_int(negative, digits)
                .map(Literal::Int)
                .ok_or_else(|| self.error_at(start, ErrorKind::IntegerOutOfRange))
        }
    }

    fn digits_after(&mut self, what: &'static str) -> Parsed<()> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(ErrorKind::Expected(what)));
        }
        Ok(())
    }

    // Filters

    /// `logical-or-expr`, continuing from `first` when the caller has parsed its first atom.
    fn logical_or(&mut self, first: Option<FilterAtom>) -> Parsed<Filter> {
        let mut alternatives = vec![self.logical_and(first)?];
        while self.eat_after_blank("||") {
            self.skip_blank();
            alternatives.push(self.logical_and(None)?);
        }
        Ok(if alternatives.len() == 1 { alternatives.pop().expect("one") } else { Filter::Or(alternatives) })
    }

    fn logical_and(&mut self, first: Option<FilterAtom>) -> Parsed<Filter> {
        let first = match first {
            Some(atom) => atom,
            None => self.basic()?,
        };
        let mut conjuncts = vec![Filter::Atom(first)];
        while self.eat_after_blank("&&") {
            self.skip_blank();
            conjuncts.push(Filter::Atom(self.basic()?));
        }
        Ok(if conjuncts.len() == 1 { conjuncts.pop().expect("one") } else { Filter::And(conjuncts) })
    }

    /// Skips whitespace and `token` if `token` follows it; otherwise leaves the cursor alone.
    fn eat_after_blank(&mut self, token: &str) -> bool {
        let before = self.pos;
        self.skip_blank();
        let found = self.eat_str(token);
        if !found {
            self.pos = before;
        }
        found
    }

    /// `basic-expr`: a parenthesized expression, a comparison, or a test; each maybe negated.
    fn basic(&mut self) -> Parsed<FilterAtom> {
        if self.eat(b'!') {
            self.skip_blank();
            if self.peek() == Some(b'(') {
                return Ok(FilterAtom::Filter { expr: Box::new(self.parenthesized()?), not: true });
            }
            let at = self.pos;
            let operand = self.operand()?;
            return self.test(operand, true, at);
        }
        if self.peek() == Some(b'(') {
            return Ok(FilterAtom::Filter { expr: Box::new(self.parenthesized()?), not: false });
        }
        let at = self.pos;
        let operand = self.operand()?;
        self.comparison_or_test(operand, at)
    }

    fn parenthesized(&mut self) -> Parsed<Filter> {
        self.open()?;
        self.skip_blank();
        let expr = self.logical_or(None)?;
        self.skip_blank();
        self.close(b')', "')'")?;
        Ok(expr)
    }

    /// A comparison if an operator follows `left` (which started at `at`), else a test.
    fn comparison_or_test(&mut self, left: Operand, at: usize) -> Parsed<FilterAtom> {
        let before = self.pos;
        self.skip_blank();
        let Some(op) = self.comparison_op() else {
            self.pos = before;
            return self.test(left, false, at);
        };
        let left = self.comparable(left, at)?;
        self.skip_blank();
        let right_at = self.pos;
        let right = self.operand()?;
        let right = self.comparable(right, right_at)?;
        Ok(FilterAtom::Comparison(Box::new(op(left, right))))
    }

    fn comparison_op(&mut self) -> Option<Operator> {
        const OPS: &[(&str, Operator)] = &[
            ("==", Comparison::Eq),
            ("!=", Comparison::Ne),
            ("<=", Comparison::Lte),
            (">=", Comparison::Gte),
            ("<", Comparison::Lt),
            (">", Comparison::Gt),
        ];
        OPS.iter().find(|(token, _)| self.eat_str(token)).map(|&(_, op)| op)
    }

    fn test(&self, operand: Operand, not: bool, at: usize) -> Parsed<FilterAtom> {
        let expr = match operand {
            Operand::Query { test, .. } => test,
            Operand::Call { function, returns: Returns::Logical, .. } => Test::Function(Box::new(function)),
            Operand::Call { name, returns: Returns::Value, .. } => {
                return Err(self.error_at(at, ErrorKind::ValueAsTest(name)))
            }
            Operand::Literal(_) => return Err(self.error_at(at, ErrorKind::LiteralAsTest)),
        };
        Ok(FilterAtom::Test { expr: Box::new(expr), not })
    }

    fn comparable(&self, operand: Operand, at: usize) -> Parsed<Comparable> {
        match operand {
            Operand::Literal(l) => Ok(Comparable::Literal(l)),
            Operand::Query { singular: Some(q), .. } => Ok(Comparable::SingularQuery(q)),
            Operand::Query { singular: None, .. } => Err(self.error_at(at, ErrorKind::NonSingularCompared)),
            Operand::Call { function, returns: Returns::Value, .. } => Ok(Comparable::Function(function)),
            Operand::Call { name, returns: Returns::Logical, .. } => {
                Err(self.error_at(at, ErrorKind::LogicalCompared(name)))
            }
        }
    }

    /// A literal, a query (`@…` or `$…`) or a function call.
    fn operand(&mut self) -> Parsed<Operand> {
        match self.peek() {
            Some(b'@' | b'$') => {
                let root = self.peek() == Some(b'$');
                self.pos += 1;
                let (segments, singular) = self.segments()?;
                let singular = singular.then(|| {
                    let segments = segments.iter().filter_map(singular_segment).collect();
                    if root {
                        SingularQuery::Root(segments)
                    } else {
                        SingularQuery::Current(segments)
                    }
                });
                let test = if root { Test::AbsQuery(JpQuery { segments }) } else { Test::RelQuery(segments) };
                Ok(Operand::Query { test, singular })
            }
            Some(b'\'' | b'"') => Ok(Operand::Literal(Literal::String(self.string()?))),
            Some(b'-' | b'0'..=b'9') => Ok(Operand::Literal(self.number()?)),
            Some(b'a'..=b'z') => {
                let at = self.pos;
                while matches!(self.peek(), Some(b'a'..=b'z' | b'0'..=b'9' | b'_')) {
                    self.pos += 1;
                }
                let src = self.src;
                let word = &src[at..self.pos];
                if self.peek() == Some(b'(') {
                    return self.call(word, at);
                }
                match word {
                    "true" => Ok(Operand::Literal(Literal::Bool(true))),
                    "false" => Ok(Operand::Literal(Literal::Bool(false))),
                    "null" => Ok(Operand::Literal(Literal::Null)),
                    _ => {
                        let after_word = self.pos;
                        self.skip_blank();
                        if self.peek() == Some(b'(') {
                            Err(self.error_at(after_word, ErrorKind::SpaceBeforeParenthesis))
                        } else {
                            Err(self.error_at(at, ErrorKind::Expected("a query, a function call or a literal")))
                        }
                    }
                }
            }
            _ => Err(self.error(ErrorKind::Expected("a query, a function call or a literal"))),
        }
    }

    /// A function call from its `(`: arguments parsed, counted and type-checked.
    fn call(&mut self, word: &str, at: usize) -> Parsed<Operand> {
        let Some(&(name, params, returns)) = FUNCTIONS.iter().find(|(name, ..)| *name == word) else {
            return Err(self.error_at(at, ErrorKind::UnknownFunction(word.to_string())));
        };
        self.open()?;
        self.skip_blank();
        let mut args = Vec::new();
        if self.peek() != Some(b')') {
            loop {
                let arg_at = self.pos;
                args.push((self.argument()?, arg_at));
                self.skip_blank();
                if !self.eat(b',') {
                    break;
                }
                self.skip_blank();
            }
        }
        self.close(b')', "',' or ')'")?;
        if args.len() != params.len() {
            let kind = ErrorKind::WrongArity { function: name, expected: params.len(), found: args.len() };
            return Err(self.error_at(at, kind));
        }
        let mut checked = Vec::with_capacity(args.len());
        for ((arg, arg_at), &param) in args.into_iter().zip(params) {
            let found = match param {
                ParamType::Value => value_arg(arg),
                ParamType::Nodes => nodes_arg(arg),
            };
            let kind = |found| ErrorKind::WrongArgument { function: name, expected: param, found };
            checked.push(found.map_err(|found| self.error_at(arg_at, kind(found)))?);
        }
        let mut args = checked.into_iter();
        let mut next = || args.next().expect("arity checked");
        let function = match name {
            "length" => TestFunction::Length(Box::new(next())),
            "count" => TestFunction::Count(next()),
            "value" => TestFunction::Value(next()),
            "match" => TestFunction::Match(next(), next()),
            _ => TestFunction::Search(next(), next()),
        };
        Ok(Operand::Call { function, name, returns })
    }

    /// `function-argument`: a literal, a query, a function call, or a logical expression.
    fn argument(&mut self) -> Parsed<Argument> {
        if matches!(self.peek(), Some(b'!' | b'(')) {
            self.logical_or(None)?;
            return Ok(Argument::Logical);
        }
        let at = self.pos;
        let operand = self.operand()?;
        let before = self.pos;
        self.skip_blank();
        let rest = &self.src[self.pos..];
        self.pos = before;
        let continues = ["==", "!=", "<", ">", "&&", "||"].iter().any(|op| rest.starts_with(op));
        if !continues {
            return Ok(Argument::Operand(operand));
        }
        let first = self.comparison_or_test(operand, at)?;
        self.logical_or(Some(first))?;
        Ok(Argument::Logical)
    }
}

/// A ValueType parameter takes a literal, a singular query or a value-returning call.
fn value_arg(arg: Argument) -> Result<FnArg, ArgType> {
    match arg {
        Argument::Operand(Operand::Literal(l)) => Ok(FnArg::Literal(l)),
        Argument::Operand(Operand::Query { test, singular: Some(_) }) => Ok(FnArg::Test(Box::new(test))),
        Argument::Operand(Operand::Query { singular: None, .. }) => Err(ArgType::NonSingularQuery),
        Argument::Operand(Operand::Call { function, returns: Returns::Value, .. }) => {
            Ok(FnArg::Test(Box::new(Test::Function(Box::new(function)))))
        }
        Argument::Operand(Operand::Call { returns: Returns::Logical, .. }) => Err(ArgType::LogicalResult),
        Argument::Logical => Err(ArgType::LogicalExpression),
    }
}

/// A NodesType parameter takes a query.
fn nodes_arg(arg: Argument) -> Result<FnArg, ArgType> {
    match arg {
        Argument::Operand(Operand::Query { test, .. }) => Ok(FnArg::Test(Box::new(test))),
        Argument::Operand(Operand::Literal(_)) => Err(ArgType::Literal),
        Argument::Operand(Operand::Call { .. }) => Err(ArgType::FunctionResult),
        Argument::Logical => Err(ArgType::LogicalExpression),
    }
}

fn singular_segment(segment: &Segment) -> Option<SingularQuerySegment> {
    match segment {
        Segment::Selector(Selector::Name(n)) => Some(SingularQuerySegment::Name(n.clone())),
        Segment::Selector(Selector::Index(i)) => Some(SingularQuerySegment::Index(*i)),
        _ => None,
    }
}

/// Digits (no sign, no leading zero) as an integer within ±[`MAX_INT`].
fn to_int(negative: bool, digits: &str) -> Option<i64> {
    let n: u64 = if digits.len() > 16 { return None } else { digits.parse().ok()? };
    if n > MAX_INT {
        return None;
    }
    Some(if negative { -(n as i64) } else { n as i64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(path: &str) -> String {
        parse(path).expect_err(path).to_string()
    }

    fn name(n: &str) -> Segment {
        Segment::Selector(Selector::Name(n.into()))
    }

    #[test]
    fn parse_builds_segments_and_selectors() {
        let q = parse("$.a['b', 0][1:2:-1][*]..c.*[:]").unwrap();
        assert_eq!(
            q.segments,
            vec![
                name("a"),
                Segment::Selectors(vec![Selector::Name("b".into()), Selector::Index(0)]),
                Segment::Selector(Selector::Slice(Some(1), Some(2), Some(-1))),
                Segment::Selector(Selector::Wildcard),
                Segment::Descendant(Box::new(name("c"))),
                Segment::Selector(Selector::Wildcard),
                Segment::Selector(Selector::Slice(None, None, None)),
            ]
        );
        assert_eq!(parse("$").unwrap().segments, vec![]);
        assert_eq!(parse("$ .a\n[ 'é' ]").unwrap().segments, vec![name("a"), name("é")]);
        assert_eq!(parse("$.日本_1").unwrap().segments, vec![name("日本_1")]);
    }

    #[test]
    fn parse_builds_filters_with_precedence() {
        let q = parse("$[?@.a == 1 || !(@.b) && match(@.c, 'x')]").unwrap();
        let one = SingularQuery::Current(vec![SingularQuerySegment::Name("a".into())]);
        let b = Test::RelQuery(vec![name("b")]);
        let c = Test::RelQuery(vec![name("c")]);
        let b_test = Filter::Atom(FilterAtom::Test { expr: Box::new(b), not: false });
        let expected = Filter::Or(vec![
            Filter::Atom(FilterAtom::Comparison(Box::new(Comparison::Eq(
                Comparable::SingularQuery(one),
                Comparable::Literal(Literal::Int(1)),
            )))),
            Filter::And(vec![
                Filter::Atom(FilterAtom::Filter { expr: Box::new(b_test), not: true }),
                Filter::Atom(FilterAtom::Test {
                    expr: Box::new(Test::Function(Box::new(TestFunction::Match(
                        FnArg::Test(Box::new(c)),
                        FnArg::Literal(Literal::String("x".into())),
                    )))),
                    not: false,
                }),
            ]),
        ]);
        assert_eq!(q.segments, vec![Segment::Selector(Selector::Filter(expected))]);
    }

    #[test]
    fn parse_allows_whitespace_inside_a_singular_querys_brackets() {
        assert!(parse("$[?@[ 'a' ] == 1 && length(@ [ 0 ]) > 1]").is_ok());
    }

    #[test]
    fn parse_reads_literals() {
        let literal = |text: &str| match parse(&format!("$[?@ == {text}]")).unwrap().segments.pop() {
            Some(Segment::Selector(Selector::Filter(Filter::Atom(FilterAtom::Comparison(c))))) => match *c {
                Comparison::Eq(_, Comparable::Literal(l)) => l,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        assert_eq!(literal("-0"), Literal::Int(0));
        assert_eq!(literal("-9007199254740991"), Literal::Int(-9_007_199_254_740_991));
        assert_eq!(literal("1.5E+2"), Literal::Float(150.0));
        assert_eq!(literal("-0.25e-1"), Literal::Float(-0.025));
        assert_eq!(literal("true"), Literal::Bool(true));
        assert_eq!(literal("null"), Literal::Null);
        assert_eq!(literal(r#""a'\"\\\/\b\f\n\r\t""#), Literal::String("a'\"\\/\u{8}\u{c}\n\r\t".into()));
        assert_eq!(literal(r"'\u00E9\ud83D\uDE00\''"), Literal::String("é😀'".into()));
        assert_eq!(literal("'\u{7f}'"), Literal::String("\u{7f}".into()));
    }

    #[test]
    fn parse_errors_say_what_and_where() {
        for (path, expected) in [
            ("", "expected '$' at the start of the path at column 1"),
            ("$.", "expected a member name or '*' at column 3"),
            ("$. a", "expected a member name or '*' at column 3"),
            ("$..", "expected a member name, '*' or '[' after '..' at column 4"),
            ("$ ", "whitespace after the end of the path at column 2"),
            ("$.a b", "expected '.', '..', '[' or the end of the path at column 5"),
            ("$[", "expected a selector (a quoted name, '*', an index, a slice or a '?' filter) at column 3"),
            ("$['a'", "expected ',' or ']' at column 6"),
            ("$[01]", "a number may not start with 0 at column 3"),
            ("$[-0]", "-0 is not an integer index at column 3"),
            ("$[9007199254740992]", "integer out of range (-9007199254740991 to 9007199254740991) at column 3"),
            ("$['a\u{1}']", "control character U+0001 must be escaped in a string literal at column 5"),
            ("$['\\x']", "invalid escape in a string literal at column 4"),
            ("$[\"\\'\"]", "invalid escape in a string literal at column 4"),
            ("$['\\uD800']", "invalid escape in a string literal at column 4"),
            ("$['a", "string literal without its closing quote at column 3"),
            ("$[?@.a == 1e400]", "number out of range at column 11"),
            ("$[?@.a == 1.]", "expected a digit after '.' at column 13"),
            ("$[?@.* == 1]", "a query that may select several nodes cannot be compared at column 4"),
            ("$[?@['a', 'b'] == 1]", "a query that may select several nodes cannot be compared at column 4"),
            ("$[?1]", "a literal cannot be a test on its own at column 4"),
            ("$[?length(@.a, 1) == 1]", "function length takes 1 argument, not 2 at column 4"),
            ("$[?match(@.a)]", "function match takes 2 arguments, not 1 at column 4"),
            ("$[?count(1) == 1]", "function count takes a query, not a literal at column 10"),
            ("$[?count(@.a) == ]", "expected a query, a function call or a literal at column 18"),
            ("$[?(@.a]", "expected ')' at column 8"),
            ("$[?foo == 1]", "expected a query, a function call or a literal at column 4"),
            ("$[?@.a ==\n  ]", "expected a query, a function call or a literal at line 2, column 3"),
            ("$[?@.a ==\r\n\r\n 1 x]", "expected ',' or ']' at line 3, column 4"),
        ] {
            assert_eq!(reason(path), expected, "{path:?}");
        }
    }

    #[test]
    fn parse_nesting_is_bounded_without_exhausting_the_stack() {
        // Each kind of nesting at the limit (the selection's own `[` is the first level)...
        let filters = format!("${}@{}", "[?@".repeat(MAX_NESTING - 1) + "[?", "]".repeat(MAX_NESTING));
        let parens = format!("$[?{}@.a{}]", "(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
        let calls = format!("$[?{}@.a{} == 1]", "length(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
        let nots = format!("$[?{}@.a{}]", "!(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
        for p in [&filters, &parens, &calls, &nots] {
            assert!(parse(p).is_ok(), "{p}");
        }
        // ...and one deeper.
        let deeper = format!("$[?{}@.a{}]", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        let column = MAX_NESTING + 3;
        assert_eq!(reason(&deeper), format!("brackets and parentheses nest deeper than 80 levels at column {column}"));
        for open in ["(", "!(", "length(", "@[?", "count(@[?"] {
            let e = reason(&format!("$[?{}", open.repeat(100_000)));
            assert!(e.starts_with("brackets and parentheses nest deeper"), "{open}: {e}");
        }
    }

    /// A deterministic shower of characters and tokens: every input parses or fails, none panics.
    #[test]
    fn parse_never_panics() {
        const PIECES: &[&str] = &[
            "$", "@", ".", "..", "*", "[", "]", "(", ")", "?", "!", "=", "<", ">", "&", "|", ",", ":", "-", "0", "1",
            "9", "e", "E", "+", "'", "\"", "\\", "u", "D8", "00", "a", "é", "😀", " ", "\n", "\r", "\t", "\u{0}",
            "length(", "count(", "match(", "value(", "search(", "true", "null", "_",
        ];
        let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1d);
        let mut parsed = 0;
        for _ in 0..20_000 {
            let mut p = String::new();
            for _ in 0..(next() % 30) {
                p.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            if let Ok(q) = parse(&p) {
                parsed += 1;
                assert!(p.starts_with('$'), "{p:?} gave {q:?}");
            } else if let Err(e) = parse(&p) {
                assert!(e.column >= 1 && e.line >= 1, "{p:?}");
            }
        }
        assert!(parsed > 0);
    }
}
