//! `=~ /pattern/flags`: Java regular expressions (what Jayway compiles with
//! `java.util.regex.Pattern` and applies with `Matcher.matches()`, the whole string) run by the
//! `regex` crate, whose matching time is linear in the text.
//!
//! The pattern is parsed as Java's `Pattern` parses it and rewritten in the crate's syntax with
//! Java's meanings made explicit: `.` excludes Java's line terminators, `\d` `\w` `\s` are
//! ASCII, `i` folds ASCII letters only (Unicode letters too with `u`), `^`/`$` follow `m`, a
//! class is a set built from ranges, nested classes and `&&`. What the crate cannot run in
//! linear time or pipehook does not carry tables for is refused with the reason: back-references,
//! look-around, atomic groups, possessive quantifiers, scripts and blocks (`\p{IsLatin}`).
//!
//! Known differences (Java 17 ↔ here), all outside what filters on webhook payloads meet:
//! `$` without `m` matches only at the very end (Java also before a final line break, which
//! a whole-string match can only use when the pattern goes on to match that break); `\b` is
//! ASCII (Java 17 counts Unicode letters and digits as word characters); `m` mode's `^`/`$`
//! see `\n` and `\r` as line breaks (Java also U+0085, U+2028, U+2029); with `iu`, letters fold
//! by their simple upper and lower case only.

use regex::{Regex, RegexBuilder};

/// A compiled `=~` pattern.
#[derive(Clone, Debug)]
pub struct JavaRegex {
    /// The pattern as written between the slashes, and its flags.
    pub source: String,
    pub flags: String,
    pub regex: Regex,
    /// The most NFA threads a search steps per byte of text (an estimate from the pattern's
    /// shape), for charging a match's work.
    pub threads: u64,
}

impl JavaRegex {
    /// `Matcher.matches()`: the whole of `s`.
    pub fn matches(&self, s: &str) -> bool {
        self.regex.is_match(s)
    }
}

/// Why a pattern is refused, and where in it (a character index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    pub at: usize,
    pub reason: String,
}

/// The most memory the `regex` crate may spend on one compiled pattern.
const SIZE_LIMIT: usize = 1 << 20;

const CASE_INSENSITIVE: u8 = 1;
const MULTILINE: u8 = 2;
const DOTALL: u8 = 4;
const UNIX_LINES: u8 = 8;
const UNICODE_CASE: u8 = 16;
const COMMENTS: u8 = 32;
const UNICODE_CLASS: u8 = 64;

/// Compiles `pattern` with Jayway's flag letters (`d i x m s u U`; others are ignored, as
/// `PatternFlag.parseFlags` ignores them).
pub fn compile_java_regex(pattern: &str, flags: &str) -> Result<JavaRegex, RegexError> {
    let mut f = 0u8;
    for c in flags.chars() {
        f |= match c {
            'd' => UNIX_LINES,
            'i' => CASE_INSENSITIVE,
            'x' => COMMENTS,
            'm' => MULTILINE,
            's' => DOTALL,
            'u' => UNICODE_CASE,
            'U' => UNICODE_CLASS | UNICODE_CASE,
            _ => 0,
        };
    }
    let chars = remove_qe_quoting(&pattern.chars().collect::<Vec<_>>());
    let mut t = Translator { s: chars, pos: 0, flags: f, out: String::with_capacity(pattern.len() * 2), groups: Vec::new() };
    let threads = t.expr(0)?;
    if t.pos < t.s.len() {
        // Only an unmatched ')' stops the top-level expression early.
        return Err(t.error("')' without its '('"));
    }
    let translated = format!(r"\A(?:{})\z", t.out);
    let regex = RegexBuilder::new(&translated)
        .size_limit(SIZE_LIMIT)
        .nest_limit(250)
        .build()
        .map_err(|e| RegexError {
            at: 0,
            reason: match e {
                regex::Error::CompiledTooBig(_) => "the regex is too large for pipehook's bounded matcher (repetition counts multiply)".to_string(),
                other => format!("the regex cannot be compiled: {}", other.to_string().lines().last().unwrap_or("").trim()),
            },
        })?;
    Ok(JavaRegex { source: pattern.to_string(), flags: flags.to_string(), regex, threads: threads.max(1) })
}

/// Java's `RemoveQEQuoting`: the text between `\Q` and `\E` becomes escaped literals.
fn remove_qe_quoting(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == '\\' && s.get(i + 1) == Some(&'Q') {
            i += 2;
            while i < s.len() {
                if s[i] == '\\' && s.get(i + 1) == Some(&'E') {
                    i += 2;
                    break;
                }
                let c = s[i];
                if !c.is_ascii() || c.is_ascii_alphanumeric() {
                    out.push(c);
                } else {
                    out.push('\\');
                    out.push(c);
                }
                i += 1;
            }
            continue;
        }
        if s[i] == '\\' && i + 1 < s.len() {
            out.push(s[i]);
            out.push(s[i + 1]);
            i += 2;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// One item of a character class, before it is written out.
enum ClassItem {
    Char(char),
    /// A set already in the crate's syntax: `[...]` or `\p{..}`.
    Set(String),
}

struct Translator {
    s: Vec<char>,
    pos: usize,
    flags: u8,
    out: String,
    /// Named groups seen (Java refuses duplicates).
    groups: Vec<String>,
}

type R<T> = Result<T, RegexError>;

impl Translator {
    fn error(&self, reason: impl Into<String>) -> RegexError {
        RegexError { at: self.pos.min(self.s.len()), reason: reason.into() }
    }

    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// The next character, past whitespace and `#` comments in comments mode.
    fn peek(&mut self) -> Option<char> {
        if self.has(COMMENTS) {
            loop {
                match self.s.get(self.pos) {
                    Some(c) if c.is_whitespace() => self.pos += 1,
                    Some('#') => {
                        while let Some(&c) = self.s.get(self.pos) {
                            self.pos += 1;
                            if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
                                break;
                            }
                        }
                    }
                    _ => break,
                }
            }
        }
        self.s.get(self.pos).copied()
    }

    /// `expr`: alternatives separated by `|`. Returns the estimated thread count.
    fn expr(&mut self, depth: usize) -> R<u64> {
        if depth > 100 {
            return Err(self.error("the regex nests groups too deeply"));
        }
        let mut threads = self.sequence(depth)?;
        while self.peek() == Some('|') {
            self.pos += 1;
            self.out.push('|');
            threads = threads.saturating_add(self.sequence(depth)?);
        }
        Ok(threads)
    }

    fn sequence(&mut self, depth: usize) -> R<u64> {
        let mut threads = 0u64;
        while let Some(c) = self.peek() {
            let start = self.out.len();
            let atom_threads = match c {
                '|' | ')' => break,
                '(' => match self.group(depth)? {
                    Some(t) => t,
                    None => continue, // inline flags only
                },
                '[' => {
                    self.pos += 1;
                    let class = self.class(true, depth)?;
                    self.out.push_str(&class);
                    2
                }
                '\\' => self.escape_atom()?,
                '^' => {
                    self.pos += 1;
                    self.out.push_str(if self.has(MULTILINE) { if self.has(UNIX_LINES) { "(?m:^)" } else { "(?mR:^)" } } else { r"\A" });
                    1
                }
                '$' => {
                    self.pos += 1;
                    self.out.push_str(if self.has(MULTILINE) { if self.has(UNIX_LINES) { "(?m:$)" } else { "(?mR:$)" } } else { r"\z" });
                    1
                }
                '.' => {
                    self.pos += 1;
                    self.out.push_str(if self.has(DOTALL) {
                        "(?s:.)"
                    } else if self.has(UNIX_LINES) {
                        r"[^\n]"
                    } else {
                        r"[^\n\r\x{85}\x{2028}\x{2029}]"
                    });
                    2
                }
                '?' | '*' | '+' => {
                    return Err(self.error(format!("'{c}' has nothing before it to repeat")));
                }
                _ => {
                    self.pos += 1;
                    self.literal(c);
                    1
                }
            };
            threads = threads.saturating_add(self.closure(start, atom_threads)?);
        }
        Ok(threads)
    }

    /// A quantifier after the atom written from `start`, if there is one.
    fn closure(&mut self, start: usize, threads: u64) -> R<u64> {
        let (min, max): (u64, Option<u64>) = match self.peek() {
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('{') => {
                self.pos += 1;
                let read = |t: &mut Translator| -> R<Option<u64>> {
                    let mut n: Option<u64> = None;
                    while let Some(d) = t.s.get(t.pos).and_then(|c| c.to_digit(10)) {
                        t.pos += 1;
                        let v = n.unwrap_or(0).checked_mul(10).and_then(|v| v.checked_add(u64::from(d)));
                        n = Some(v.filter(|&v| v <= i32::MAX as u64).ok_or_else(|| t.error("repetition count too large"))?);
                    }
                    Ok(n)
                };
                let Some(min) = read(self)? else { return Err(self.error("'{' must start a repetition such as {2} or {1,3}: escape it as \\{")) };
                let max = if self.s.get(self.pos) == Some(&',') {
                    self.pos += 1;
                    read(self)?
                } else {
                    Some(min)
                };
                if self.s.get(self.pos) != Some(&'}') {
                    return Err(self.error("repetition without its closing '}'"));
                }
                self.pos += 1;
                if max.is_some_and(|m| m < min) {
                    return Err(self.error("repetition {n,m} with m smaller than n"));
                }
                (min, max)
            }
            _ => return Ok(threads),
        };
        let atom = self.out.split_off(start);
        if atom.is_empty() {
            return Err(self.error("a repetition needs something before it to repeat"));
        }
        self.out.push_str("(?:");
        self.out.push_str(&atom);
        self.out.push(')');
        match max {
            Some(m) if m == min => self.out.push_str(&format!("{{{min}}}")),
            Some(m) => self.out.push_str(&format!("{{{min},{m}}}")),
            None => self.out.push_str(&format!("{{{min},}}")),
        }
        match self.s.get(self.pos) {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some('+') => {
                return Err(self.error("possessive quantifiers (*+, ++, ?+, {n}+) are not supported: pipehook matches regexes in linear time, without backtracking"));
            }
            _ => {}
        }
        let times = max.unwrap_or(min.max(1).saturating_add(1)).max(1);
        Ok(threads.saturating_mul(times))
    }

    /// `(...)` and its kinds. None for an inline flag group `(?i)`.
    fn group(&mut self, depth: usize) -> R<Option<u64>> {
        let open = self.pos;
        self.pos += 1;
        let saved = self.flags;
        if self.s.get(self.pos) == Some(&'?') {
            self.pos += 1;
            match self.s.get(self.pos).copied() {
                Some(':') => self.pos += 1,
                Some('=' | '!') => return Err(RegexError { at: open, reason: "look-ahead (?= and (?! is not supported: pipehook matches regexes in linear time".into() }),
                Some('>') => return Err(RegexError { at: open, reason: "atomic groups (?> are not supported: pipehook matches regexes in linear time".into() }),
                Some('<') => {
                    self.pos += 1;
                    match self.s.get(self.pos).copied() {
                        Some('=' | '!') => {
                            return Err(RegexError { at: open, reason: "look-behind (?<= and (?<! is not supported: pipehook matches regexes in linear time".into() })
                        }
                        _ => {
                            let name: String = self.s[self.pos..].iter().take_while(|c| c.is_ascii_alphanumeric()).collect();
                            if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                                return Err(self.error("a group name must start with a Latin letter"));
                            }
                            self.pos += name.chars().count();
                            if self.s.get(self.pos) != Some(&'>') {
                                return Err(self.error("a group name must end with '>'"));
                            }
                            self.pos += 1;
                            if self.groups.contains(&name) {
                                return Err(self.error(format!("the group name <{name}> is used twice")));
                            }
                            self.groups.push(name);
                        }
                    }
                }
                Some('$' | '@') => return Err(self.error("unknown group type")),
                _ => {
                    self.inline_flags()?;
                    match self.s.get(self.pos) {
                        Some(')') => {
                            // The flags hold to the end of the enclosing group.
                            self.pos += 1;
                            return Ok(None);
                        }
                        Some(':') => self.pos += 1,
                        _ => return Err(self.error("unknown inline flag: the flags are d, i, m, s, u, x, U")),
                    }
                }
            }
        }
        self.out.push_str("(?:");
        let threads = self.expr(depth + 1)?;
        if self.peek() != Some(')') {
            return Err(RegexError { at: open, reason: "'(' without its ')'".into() });
        }
        self.pos += 1;
        self.out.push(')');
        self.flags = saved;
        Ok(Some(threads.saturating_add(1)))
    }

    fn inline_flags(&mut self) -> R<()> {
        let mut on = true;
        while let Some(&c) = self.s.get(self.pos) {
            let f = match c {
                'i' => CASE_INSENSITIVE,
                'm' => MULTILINE,
                's' => DOTALL,
                'd' => UNIX_LINES,
                'u' => UNICODE_CASE,
                'x' => COMMENTS,
                'U' => UNICODE_CLASS | UNICODE_CASE,
                'c' => return Err(self.error("canonical equivalence (?c) is not supported")),
                '-' if on => {
                    on = false;
                    self.pos += 1;
                    continue;
                }
                _ => return Ok(()),
            };
            if on {
                self.flags |= f;
            } else {
                self.flags &= !f;
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A literal character, folded as the flags say.
    fn literal(&mut self, c: char) {
        let folded = self.fold(c);
        if folded.len() > 1 {
            self.out.push('[');
            for f in folded {
                push_char(&mut self.out, f);
            }
            self.out.push(']');
        } else {
            push_char(&mut self.out, c);
        }
    }

    /// The characters `c` matches under the case flags (itself first).
    fn fold(&self, c: char) -> Vec<char> {
        let mut out = vec![c];
        if !self.has(CASE_INSENSITIVE) {
            return out;
        }
        if self.has(UNICODE_CASE) {
            let single = |it: &mut dyn Iterator<Item = char>| -> Option<char> {
                let a = it.next()?;
                it.next().is_none().then_some(a)
            };
            let upper = single(&mut c.to_uppercase()).unwrap_or(c);
            let lower = single(&mut upper.to_lowercase()).unwrap_or(upper);
            for x in [upper, lower, single(&mut c.to_lowercase()).unwrap_or(c)] {
                if !out.contains(&x) {
                    out.push(x);
                }
            }
        } else if c.is_ascii_alphabetic() {
            let other = if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            out.push(other);
        }
        out
    }

    /// A `\` outside a class.
    fn escape_atom(&mut self) -> R<u64> {
        let at = self.pos;
        self.pos += 1;
        let Some(c) = self.s.get(self.pos).copied() else { return Err(self.error("the regex ends with a lone '\\'")) };
        match c {
            'p' | 'P' => {
                self.pos += 1;
                let set = self.family(c == 'P')?;
                self.out.push_str(&set);
                return Ok(2);
            }
            '1'..='9' => return Err(RegexError { at, reason: "back-references (\\1) are not supported: pipehook matches regexes in linear time, without backtracking".into() }),
            'k' => return Err(RegexError { at, reason: "named back-references (\\k<name>) are not supported: pipehook matches regexes in linear time".into() }),
            'A' | 'G' => {
                self.pos += 1;
                self.out.push_str(r"\A");
                return Ok(1);
            }
            'z' | 'Z' => {
                self.pos += 1;
                self.out.push_str(r"\z");
                return Ok(1);
            }
            'b' => {
                self.pos += 1;
                if self.s.get(self.pos) == Some(&'{') {
                    return Err(RegexError { at, reason: "grapheme boundaries (\\b{g}) are not supported".into() });
                }
                self.out.push_str(r"(?-u:\b)");
                return Ok(1);
            }
            'B' => {
                self.pos += 1;
                self.out.push_str(r"(?-u:\B)");
                return Ok(1);
            }
            'R' => {
                self.pos += 1;
                self.out.push_str(r"(?:\r\n|[\n\x0B\x0C\r\x{85}\x{2028}\x{2029}])");
                return Ok(3);
            }
            'X' => return Err(RegexError { at, reason: "grapheme clusters (\\X) are not supported".into() }),
            'N' => return Err(RegexError { at, reason: "named characters (\\N{...}) are not supported: write the character or \\x{...}".into() }),
            _ => {}
        }
        match self.escape_char(false)? {
            Escaped::Char(ch) => {
                self.literal(ch);
                Ok(1)
            }
            Escaped::Set(set) => {
                self.out.push_str(&set);
                Ok(2)
            }
        }
    }

    /// An escape that is a character or a predefined class; `self.pos` is at the letter after
    /// the backslash. `in_range`: `\v` is then the character U+000B, as in Java.
    fn escape_char(&mut self, in_range: bool) -> R<Escaped> {
        let at = self.pos - 1;
        let c = self.s[self.pos];
        self.pos += 1;
        let unicode = self.has(UNICODE_CLASS);
        let set = |s: &str| Ok(Escaped::Set(s.to_string()));
        match c {
            '0' => self.octal().map(Escaped::Char),
            'a' => Ok(Escaped::Char('\u{7}')),
            'e' => Ok(Escaped::Char('\u{1b}')),
            'f' => Ok(Escaped::Char('\u{c}')),
            'n' => Ok(Escaped::Char('\n')),
            'r' => Ok(Escaped::Char('\r')),
            't' => Ok(Escaped::Char('\t')),
            'c' => {
                let Some(&x) = self.s.get(self.pos) else { return Err(self.error("\\c must be followed by a character")) };
                self.pos += 1;
                char::from_u32(x as u32 ^ 64).map(Escaped::Char).ok_or_else(|| self.error("bad \\c escape"))
            }
            'x' => self.hex().map(Escaped::Char),
            'u' => self.unicode_escape().map(Escaped::Char),
            'd' => set(if unicode { r"\p{Nd}" } else { "[0-9]" }),
            'D' => set(if unicode { r"\P{Nd}" } else { "[^0-9]" }),
            's' => set(if unicode { WHITE_SPACE } else { r"[\t\n\x0B\x0C\r ]" }),
            'S' => set(if unicode { NOT_WHITE_SPACE } else { r"[^\t\n\x0B\x0C\r ]" }),
            'w' => set(if unicode { WORD } else { "[a-zA-Z_0-9]" }),
            'W' => set(if unicode { NOT_WORD } else { "[^a-zA-Z_0-9]" }),
            'h' => set(HORIZONTAL),
            'H' => set(NOT_HORIZONTAL),
            'v' if in_range => Ok(Escaped::Char('\u{b}')),
            'v' => set(VERTICAL),
            'V' => set(NOT_VERTICAL),
            c if c.is_ascii_alphabetic() => Err(RegexError { at, reason: format!("\\{c} is not an escape Java knows (a backslash before a letter must start one)") }),
            c => Ok(Escaped::Char(c)),
        }
    }

    /// `\0n`, `\0nn`, `\0mnn` (m at most 3).
    fn octal(&mut self) -> R<char> {
        let digit = |t: &Translator, i: usize| t.s.get(i).and_then(|c| c.to_digit(8));
        let Some(n) = digit(self, self.pos) else { return Err(self.error("\\0 must be followed by octal digits")) };
        self.pos += 1;
        let mut v = n;
        if let Some(m) = digit(self, self.pos) {
            self.pos += 1;
            v = n * 8 + m;
            if let Some(o) = digit(self, self.pos) {
                if n <= 3 {
                    self.pos += 1;
                    v = v * 8 + o;
                }
            }
        }
        char::from_u32(v).ok_or_else(|| self.error("bad octal escape"))
    }

    /// `\xhh` and `\x{h...}`
    fn hex(&mut self) -> R<char> {
        let h = |t: &Translator, i: usize| t.s.get(i).and_then(|c| c.to_digit(16));
        if let (Some(a), Some(b)) = (h(self, self.pos), h(self, self.pos + 1)) {
            self.pos += 2;
            return char::from_u32(a * 16 + b).ok_or_else(|| self.error("bad \\x escape"));
        }
        if self.s.get(self.pos) == Some(&'{') && h(self, self.pos + 1).is_some() {
            self.pos += 1;
            let mut v: u32 = 0;
            while let Some(d) = h(self, self.pos) {
                self.pos += 1;
                v = v.saturating_mul(16).saturating_add(d);
                if v > 0x10_FFFF {
                    return Err(self.error("\\x{...} beyond U+10FFFF"));
                }
            }
            if self.s.get(self.pos) != Some(&'}') {
                return Err(self.error("\\x{ without its '}'"));
            }
            self.pos += 1;
            return char::from_u32(v).ok_or_else(|| self.error("a surrogate code point cannot be matched in a string"));
        }
        Err(self.error("\\x must be followed by two hex digits or {hex}"))
    }

    /// `\uhhhh`, a surrogate pair of them joined.
    fn unicode_escape(&mut self) -> R<char> {
        let read4 = |t: &mut Translator| -> Option<u32> {
            let v = (0..4).try_fold(0u32, |v, i| t.s.get(t.pos + i).and_then(|c| c.to_digit(16)).map(|d| v * 16 + d))?;
            t.pos += 4;
            Some(v)
        };
        let Some(v) = read4(self) else { return Err(self.error("\\u must be followed by four hex digits")) };
        if (0xD800..0xDC00).contains(&v) && self.s.get(self.pos) == Some(&'\\') && self.s.get(self.pos + 1) == Some(&'u') {
            let save = self.pos;
            self.pos += 2;
            if let Some(low) = read4(self).filter(|l| (0xDC00..0xE000).contains(l)) {
                return char::from_u32(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)).ok_or_else(|| self.error("bad surrogate pair"));
            }
            self.pos = save;
        }
        char::from_u32(v).ok_or_else(|| self.error("a lone surrogate cannot be matched in a string"))
    }

    /// `\p{Name}`, `\pL`, `\P{...}`: `self.pos` is after the `p`.
    fn family(&mut self, negated: bool) -> R<String> {
        let at = self.pos;
        let name: String = if self.s.get(self.pos) == Some(&'{') {
            let end = self.s[self.pos..].iter().position(|&c| c == '}').map(|i| self.pos + i);
            let Some(end) = end else { return Err(self.error("\\p{ without its '}'")) };
            let name = self.s[self.pos + 1..end].iter().collect();
            self.pos = end + 1;
            name
        } else {
            let Some(&c) = self.s.get(self.pos) else { return Err(self.error("\\p must name a property")) };
            self.pos += 1;
            c.to_string()
        };
        if name.is_empty() {
            return Err(RegexError { at, reason: "empty \\p{}".into() });
        }
        let set = self.property(&name).ok_or_else(|| RegexError {
            at,
            reason: format!(
                "\\p{{{name}}} is not supported: pipehook knows the Unicode general categories (\\p{{L}}, \\p{{Lu}}, \\p{{Nd}}, …) and the POSIX classes (\\p{{Alpha}}, \\p{{Digit}}, …), not scripts or blocks"
            ),
        })?;
        Ok(if negated { format!("[^{set}]") } else { set })
    }

    fn property(&self, name: &str) -> Option<String> {
        let ci = self.has(CASE_INSENSITIVE);
        let (key, value) = match name.split_once('=') {
            Some((k, v)) => (Some(k.to_ascii_lowercase()), v),
            None => (None, name),
        };
        let category = |v: &str| -> Option<String> {
            let v = v.strip_prefix("Is").unwrap_or(v);
            const CATEGORIES: &[&str] = &[
                "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S",
                "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cn",
            ];
            if !CATEGORIES.contains(&v) {
                return None;
            }
            // Java matches any cased letter for Lu, Ll and Lt under CASE_INSENSITIVE.
            if ci && matches!(v, "Lu" | "Ll" | "Lt") {
                return Some(r"[\p{Lu}\p{Ll}\p{Lt}]".into());
            }
            Some(format!(r"[\p{{{v}}}]"))
        };
        match key.as_deref() {
            Some("gc" | "general_category") => return category(value),
            Some(_) => return None,
            None => {}
        }
        if let Some(c) = category(value) {
            return Some(c);
        }
        if self.has(UNICODE_CLASS) {
            return None;
        }
        Some(
            match value {
                "Lower" if ci => "[a-zA-Z]",
                "Upper" if ci => "[a-zA-Z]",
                "Lower" => "[a-z]",
                "Upper" => "[A-Z]",
                "ASCII" => r"[\x00-\x7F]",
                "Alpha" => "[a-zA-Z]",
                "Digit" => "[0-9]",
                "Alnum" => "[a-zA-Z0-9]",
                "Punct" => r"[\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]",
                "Graph" => r"[\x21-\x7E]",
                "Print" => r"[\x20-\x7E]",
                "Blank" => r"[ \t]",
                "Cntrl" => r"[\x00-\x1F\x7F]",
                "XDigit" => "[0-9a-fA-F]",
                "Space" => r"[\t\n\x0B\x0C\r ]",
                "all" => r"(?s:.)",
                _ => return None,
            }
            .to_string(),
        )
    }

    /// `clazz`: the class whose `[` was consumed. `consume`: read its `]` too (false for the
    /// right side of `&&`, which ends at the enclosing class's `]`).
    fn class(&mut self, consume: bool, depth: usize) -> R<String> {
        if depth > 100 {
            return Err(self.error("the regex nests classes too deeply"));
        }
        let open = self.pos.saturating_sub(1);
        let mut negated = false;
        if consume && self.peek() == Some('^') && self.s.get(self.pos.wrapping_sub(1)) == Some(&'[') {
            self.pos += 1;
            negated = true;
        }
        // `prev` in Java: the union so far, as crate syntax pieces; `items` the plain members.
        let mut pieces: Vec<String> = Vec::new();
        let mut items: Vec<ClassItem> = Vec::new();
        let mut intersected: Option<String> = None;
        loop {
            let Some(c) = self.peek() else { return Err(RegexError { at: open, reason: "'[' without its ']'".into() }) };
            match c {
                '[' => {
                    self.pos += 1;
                    let nested = self.class(true, depth + 1)?;
                    pieces.push(nested);
                    continue;
                }
                '&' if self.s.get(self.pos + 1) == Some(&'&') => {
                    self.pos += 2;
                    let mut right: Vec<String> = Vec::new();
                    loop {
                        match self.peek() {
                            Some(']') | Some('&') => break,
                            Some('[') => {
                                self.pos += 1;
                                right.push(self.class(true, depth + 1)?);
                            }
                            Some(_) => right.push(self.class(false, depth + 1)?),
                            None => return Err(RegexError { at: open, reason: "'[' without its ']'".into() }),
                        }
                    }
                    let left = union(&pieces, &items);
                    pieces.clear();
                    items.clear();
                    let left = match (intersected.take(), left) {
                        (Some(i), Some(l)) => Some(format!("[{i}&&{l}]")),
                        (Some(i), None) => Some(i),
                        (None, l) => l,
                    };
                    let right = if right.is_empty() { None } else { Some(format!("[{}]", right.concat())) };
                    intersected = match (left, right) {
                        (Some(l), Some(r)) => Some(format!("[{l}&&{r}]")),
                        (None, Some(r)) => Some(r),
                        // Java intersects with the last member again: `[a&&]` is `[a]`.
                        (Some(l), None) => Some(l),
                        (None, None) => return Err(self.error("bad class syntax around '&&'")),
                    };
                    continue;
                }
                ']' if !pieces.is_empty() || !items.is_empty() || intersected.is_some() => {
                    if consume {
                        self.pos += 1;
                    }
                    let body = match (intersected, union(&pieces, &items)) {
                        (Some(i), Some(u)) => format!("[{i}{u}]"),
                        (Some(i), None) => i,
                        (None, Some(u)) => u,
                        (None, None) => unreachable!("a non-empty class"),
                    };
                    return Ok(if negated { format!("[^{body}]") } else { body });
                }
                _ => {}
            }
            self.range(&mut items)?;
        }
    }

    /// `range`: a character, a range `a-z`, or an escape, into `items`.
    fn range(&mut self, items: &mut Vec<ClassItem>) -> R<()> {
        let at = self.pos;
        let first = match self.peek() {
            Some('\\') => {
                self.pos += 1;
                match self.s.get(self.pos).copied() {
                    None => return Err(self.error("the regex ends with a lone '\\'")),
                    Some(p @ ('p' | 'P')) => {
                        self.pos += 1;
                        items.push(ClassItem::Set(self.family(p == 'P')?));
                        return Ok(());
                    }
                    Some(c @ ('1'..='9' | 'A' | 'B' | 'G' | 'R' | 'X' | 'Z' | 'b' | 'k' | 'z' | 'N')) if c != 'N' => {
                        return Err(RegexError { at, reason: format!("\\{c} cannot be used inside a class") });
                    }
                    Some('N') => return Err(RegexError { at, reason: "named characters (\\N{...}) are not supported".into() }),
                    Some(_) => {
                        let in_range = self.s.get(self.pos + 1) == Some(&'-');
                        match self.escape_char(in_range)? {
                            Escaped::Set(s) => {
                                items.push(ClassItem::Set(s));
                                return Ok(());
                            }
                            Escaped::Char(c) => c,
                        }
                    }
                }
            }
            Some(c) => {
                self.pos += 1;
                c
            }
            None => return Err(self.error("'[' without its ']'")),
        };
        if self.peek() == Some('-') {
            let end = self.s.get(self.pos + 1).copied();
            if end != Some('[') && end != Some(']') && end.is_some() {
                self.pos += 1;
                let last = match self.peek() {
                    Some('\\') => {
                        self.pos += 1;
                        match self.escape_char(true)? {
                            Escaped::Char(c) => c,
                            Escaped::Set(_) => return Err(RegexError { at, reason: "a class range cannot end with a predefined class".into() }),
                        }
                    }
                    Some(c) => {
                        self.pos += 1;
                        c
                    }
                    None => return Err(self.error("'[' without its ']'")),
                };
                if last < first {
                    return Err(RegexError { at, reason: format!("the range {first}-{last} goes backwards") });
                }
                items.push(ClassItem::Set(self.fold_range(first, last)));
                return Ok(());
            }
        }
        for c in self.fold(first) {
            items.push(ClassItem::Char(c));
        }
        Ok(())
    }

    /// `[first-last]` with the case variants the flags add.
    fn fold_range(&self, first: char, last: char) -> String {
        let mut s = String::from("[");
        push_char(&mut s, first);
        s.push('-');
        push_char(&mut s, last);
        if self.has(CASE_INSENSITIVE) {
            let span = last as u32 - first as u32;
            if self.has(UNICODE_CASE) && span <= 4096 {
                for c in (first as u32..=last as u32).filter_map(char::from_u32) {
                    for f in self.fold(c).into_iter().skip(1) {
                        push_char(&mut s, f);
                    }
                }
            } else {
                // ASCII: the letters whose other case falls in the range.
                for c in ('A'..='Z').chain('a'..='z') {
                    let other = if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
                    if (first..=last).contains(&other) {
                        push_char(&mut s, c);
                    }
                }
            }
        }
        s.push(']');
        s
    }
}

enum Escaped {
    Char(char),
    Set(String),
}

/// A class in the crate's syntax from its pieces and plain items; None when both are empty.
fn union(pieces: &[String], items: &[ClassItem]) -> Option<String> {
    if pieces.is_empty() && items.is_empty() {
        return None;
    }
    let mut s = String::from("[");
    for p in pieces {
        s.push_str(p);
    }
    for i in items {
        match i {
            ClassItem::Char(c) => push_char(&mut s, *c),
            ClassItem::Set(set) => s.push_str(set),
        }
    }
    s.push(']');
    Some(s)
}

/// A literal character in the crate's syntax, inside or outside a class.
fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace()) {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

const WHITE_SPACE: &str = r"[\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]";
const NOT_WHITE_SPACE: &str = r"[^\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]";
const WORD: &str = r"[\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]";
const NOT_WORD: &str = r"[^\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]";
const HORIZONTAL: &str = r"[ \t\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]";
const NOT_HORIZONTAL: &str = r"[^ \t\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]";
const VERTICAL: &str = r"[\n\x0B\x0C\r\x{85}\x{2028}\x{2029}]";
const NOT_VERTICAL: &str = r"[^\n\x0B\x0C\r\x{85}\x{2028}\x{2029}]";

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, flags: &str, s: &str) -> bool {
        compile_java_regex(p, flags).unwrap_or_else(|e| panic!("/{p}/{flags}: {e:?}")).matches(s)
    }

    fn refused(p: &str) -> String {
        compile_java_regex(p, "").expect_err(p).reason
    }

    #[test]
    fn whole_string_match() {
        assert!(m("src/.*", "", "src/a.rs"));
        assert!(!m("src", "", "src/a.rs"));
        assert!(m("a|b", "", "b"));
        assert!(!m("a|b", "", "ab"));
        assert!(m("", "", ""));
    }

    #[test]
    fn flags() {
        assert!(m(".*REES", "i", "Nigel Rees"));
        assert!(!m(".*REES", "", "Nigel Rees"));
        assert!(!m("é", "i", "É"), "i alone folds ASCII only");
        assert!(m("é", "iu", "É"));
        assert!(!m("a.b", "", "a\nb"));
        assert!(!m("a.b", "", "a\u{2028}b"));
        assert!(m("a.b", "s", "a\nb"));
        assert!(m("a.b", "d", "a\rb"));
        assert!(m("a$\\nb", "m", "a\nb"));
        assert!(m("^a$\\n^b$", "m", "a\nb"));
        assert!(m("a b # comment\n c", "x", "abc"));
        assert!(m("(?i)abc", "", "ABC"));
        assert!(m("a(?i:b)c", "", "aBc"));
        assert!(!m("a(?i:b)c", "", "aBC"));
        assert!(m("(?i)a(?-i)b", "", "Ab"));
        assert!(!m("(?i)a(?-i)b", "", "AB"));
        assert!(m("[a-c]+", "i", "AbC"));
    }

    #[test]
    fn escapes_and_predefined_classes() {
        assert!(m(r"\d+", "", "123"));
        assert!(!m(r"\d", "", "٣"), "\\d is ASCII in Java");
        assert!(m(r"\d", "U", "٣"));
        assert!(m(r"\w+\s\W", "", "a_1 !"));
        assert!(m(r"\x41\u0042\x{43}\0104\t", "", "ABCD\t"));
        assert!(m(r"\Qa.b\E", "", "a.b"));
        assert!(!m(r"\Qa.b\E", "", "axb"));
        assert!(m(r"a\/b\.c", "", "a/b.c"));
        assert!(m(r"\p{Lu}\p{L}+", "", "Ábc"));
        assert!(m(r"\p{Alpha}\P{Alpha}", "", "a1"));
        assert!(m(r"\bfoo\b.*", "", "foo bar"));
        assert!(m(r"a\Rb", "", "a\r\nb"));
        assert!(m(r"\uD83D\uDE00", "", "😀"));
        assert!(m(r"\cA", "", "\u{1}"));
    }

    #[test]
    fn classes() {
        assert!(m("[a-z&&[^aeiou]]+", "", "bcd"));
        assert!(!m("[a-z&&[^aeiou]]", "", "a"));
        assert!(m("[a-z&&def]", "", "e"));
        assert!(!m("[a-z&&def]", "", "a"));
        assert!(m("[]a]+", "", "]a"));
        assert!(m("[^]a]", "", "b"));
        assert!(m("[a-]+", "", "a-"));
        assert!(m("[-a]+", "", "-a"));
        assert!(m("[a[b-c]]+", "", "abc"));
        assert!(m("[\\w.-]+", "", "a.b-c"));
        assert!(m("[&~^]+", "", "&~^"));
        assert!(m("[a&b]+", "", "a&b"));
        assert!(m("[^a]", "", "\n"));
    }

    #[test]
    fn quantifiers() {
        assert!(m("a{2}", "", "aa"));
        assert!(m("a{2,}", "", "aaaa"));
        assert!(m("a{1,2}?b", "", "ab"));
        assert!(m("(ab)+", "", "abab"));
        assert!(m("x*?y", "", "xxy"));
        assert!(m("}]", "", "}]"));
    }

    #[test]
    fn refusals_say_why() {
        assert!(refused(r"(a)\1").contains("back-references"));
        assert!(refused("(?=a)a").contains("look-ahead"));
        assert!(refused("(?<=a)b").contains("look-behind"));
        assert!(refused("(?>a)").contains("atomic"));
        assert!(refused("a*+").contains("possessive"));
        assert!(refused(r"\p{IsLatin}").contains("not supported"));
        assert!(refused("(a").contains("')'"));
        assert!(refused("a)").contains("'('"));
        assert!(refused("[a").contains("']'"));
        assert!(refused("*a").contains("nothing before"));
        assert!(refused("a{x}").contains("repetition"));
        assert!(refused("a{3,1}").contains("smaller"));
        assert!(refused(r"\y").contains("not an escape"));
        assert!(refused("[z-a]").contains("backwards"));
        assert!(refused("(((a{99}){99}){99}){99}").contains("too large"));
    }

    #[test]
    fn threads_estimate_grows_with_repetition() {
        let t = |p: &str| compile_java_regex(p, "").unwrap().threads;
        assert!(t("a") < t("a{50}"));
        assert!(t("a{50}") < t("(a{50}){20}"));
        assert!(t(".*") >= 2);
    }
}
