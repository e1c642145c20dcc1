//! Jayway's `PathCompiler` (json-path 2.10.0), ported step for step so that it accepts and
//! refuses what Jayway does, leniencies included: a path without `$` is read as `$.` + path
//! (so `.ref` is `$..ref`), names run to the next `.` or `[` (so `$.a-b` and `$.a]` are names),
//! spaces around the path are trimmed, anything after a last one-character token is ignored.
//!
//! Where Jayway throws, this returns a [`PathError`] with a reason a person understands and the
//! column where reading stopped, counted in characters of the path as written.
//!
//! Recursion: the token chain is read in a loop; `[?(...)]` filters, function arguments and
//! JSON literals recurse, each level consuming at least one character and counted against
//! [`MAX_NESTING`], so no input exhausts the stack.

use super::filter_parser::compile_filter;
use super::model::*;
use super::smart::parse_permissive;

/// The deepest nesting of filters, function arguments, parentheses and paths within paths.
/// A path of 150 characters (AWS's limit) cannot nest deeper than 75; wasm's stack is 1 MiB.
pub const MAX_NESTING: usize = 100;

/// Why a path does not compile, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// What is wrong, in a sentence (no position).
    pub reason: String,
    /// 1-based column, in characters of the path as written.
    pub column: usize,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at column {})", self.reason, self.column)
    }
}

impl std::error::Error for PathError {}

/// A failure while reading, at an index of the text being read.
pub(crate) struct Fault {
    pub at: isize,
    pub reason: String,
}

pub(crate) type Res<T> = Result<T, Fault>;

pub(crate) fn fault<T>(at: isize, reason: impl Into<String>) -> Res<T> {
    Err(Fault { at, reason: reason.into() })
}

/// Shared by the compilers of one path: token slots handed out, nesting depth.
pub(crate) struct Session {
    pub slots: u32,
    pub depth: usize,
}

impl Session {
    pub fn enter(&mut self, at: isize) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return fault(at, format!("the path nests filters, arguments and parentheses deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }
    pub fn leave(&mut self) {
        self.depth -= 1;
    }
    fn slot(&mut self) -> u32 {
        self.slots += 1;
        self.slots - 1
    }
}

/// Jayway's `CharacterIndex`: a window (`pos`..=`end`) on some text. Reading past the window
/// is allowed up to the text's end (Java's `charAt` on the underlying string); past that, it is
/// a fault, as Java's `StringIndexOutOfBoundsException` makes the compile fail.
pub(crate) struct CharIndex<'s> {
    pub s: &'s [char],
    pub pos: isize,
    pub end: isize,
}

impl<'s> CharIndex<'s> {
    pub fn new(s: &'s [char]) -> Self {
        CharIndex { s, pos: 0, end: s.len() as isize - 1 }
    }
    pub fn len(&self) -> isize {
        self.end + 1
    }
    pub fn char_at(&self, i: isize) -> Res<char> {
        match usize::try_from(i).ok().and_then(|i| self.s.get(i)) {
            Some(&c) => Ok(c),
            None => fault(i.min(self.s.len() as isize), "the path ends too early"),
        }
    }
    pub fn current(&self) -> Res<char> {
        self.char_at(self.pos)
    }
    pub fn current_is(&self, c: char) -> Res<bool> {
        Ok(self.current()? == c)
    }
    pub fn last_char_is(&self, c: char) -> Res<bool> {
        Ok(self.char_at(self.end)? == c)
    }
    pub fn next_char_is(&self, c: char) -> bool {
        self.in_bounds(self.pos + 1) && self.s[(self.pos + 1) as usize] == c
    }
    pub fn in_bounds(&self, i: isize) -> bool {
        i >= 0 && i <= self.end
    }
    pub fn in_bounds_here(&self) -> bool {
        self.in_bounds(self.pos)
    }
    pub fn out_of_bounds(&self, i: isize) -> bool {
        !self.in_bounds(i)
    }
    pub fn current_is_tail(&self) -> bool {
        self.pos >= self.end
    }
    pub fn has_more_characters(&self) -> bool {
        self.in_bounds(self.pos + 1)
    }
    pub fn text(&self, from: isize, to: isize) -> String {
        let (a, b) = (from.max(0) as usize, (to.max(0) as usize).min(self.s.len()));
        self.s.get(a..b).map(|c| c.iter().collect()).unwrap_or_default()
    }
    /// `indexOfNextSignificantChar`: past spaces after `start`, the index of `c`, or -1.
    pub fn index_of_next_significant(&self, start: isize, c: char) -> Res<isize> {
        let mut r = start + 1;
        while !self.out_of_bounds(r) && self.s[r as usize] == ' ' {
            r += 1;
        }
        Ok(if self.char_at(r)? == c { r } else { -1 })
    }
    pub fn next_significant_is(&self, start: isize, c: char) -> bool {
        let mut r = start + 1;
        while !self.out_of_bounds(r) && self.s[r as usize] == ' ' {
            r += 1;
        }
        !self.out_of_bounds(r) && self.s[r as usize] == c
    }
    /// `nextSignificantChar`: the first non-space after `start`, or a space at the end.
    pub fn next_significant(&self, start: isize) -> char {
        let mut r = start + 1;
        while !self.out_of_bounds(r) && self.s[r as usize] == ' ' {
            r += 1;
        }
        if self.out_of_bounds(r) {
            ' '
        } else {
            self.s[r as usize]
        }
    }
    pub fn next_index_of(&self, start: isize, c: char) -> isize {
        let mut r = start;
        while !self.out_of_bounds(r) {
            if self.s[r as usize] == c {
                return r;
            }
            r += 1;
        }
        -1
    }
    /// `nextIndexOfUnescaped`: the next `c` after `start` not preceded by a backslash, or -1.
    pub fn next_index_of_unescaped(&self, start: isize, c: char) -> isize {
        let mut r = start + 1;
        let mut escaped = false;
        while !self.out_of_bounds(r) {
            let x = self.s[r as usize];
            if escaped {
                escaped = false;
            } else if x == '\\' {
                escaped = true;
            } else if x == c {
                return r;
            }
            r += 1;
        }
        -1
    }
    /// `indexOfMatchingCloseChar`, optionally skipping quoted strings and `/regex/`s.
    pub fn index_of_matching_close(&self, start: isize, open: char, close: char, strings: bool, regex: bool) -> Res<isize> {
        if self.char_at(start)? != open {
            return fault(start, format!("expected '{open}'"));
        }
        let mut opened = 1;
        let mut r = start + 1;
        while self.in_bounds(r) {
            if strings {
                let q = self.char_at(r)?;
                if q == '\'' || q == '"' {
                    let from = r;
                    r = self.next_index_of_unescaped(r, q);
                    if r == -1 {
                        return fault(from, format!("a string opened with {q} is not closed"));
                    }
                    r += 1;
                }
            }
            if regex && self.char_at(r)? == '/' {
                let from = r;
                r = self.next_index_of_unescaped(r, '/');
                if r == -1 {
                    return fault(from, "a regex opened with '/' is not closed by another '/'");
                }
                r += 1;
            }
            let c = self.char_at(r)?;
            if c == open {
                opened += 1;
            }
            if c == close {
                opened -= 1;
                if opened == 0 {
                    return Ok(r);
                }
            }
            r += 1;
        }
        Ok(-1)
    }
    pub fn skip_blanks(&mut self) -> &mut Self {
        while self.in_bounds_here() && self.pos < self.end && self.s[self.pos as usize] == ' ' {
            self.pos += 1;
        }
        self
    }
    pub fn trim(&mut self) {
        self.skip_blanks();
        while self.in_bounds_here() && self.pos < self.end && self.s[self.end as usize] == ' ' {
            self.end -= 1;
        }
    }
    pub fn previous_significant(&self) -> char {
        let i = self.index_of_previous_significant(self.pos);
        if i == -1 {
            ' '
        } else {
            self.s[i as usize]
        }
    }
    pub fn index_of_previous_significant(&self, start: isize) -> isize {
        let mut r = start - 1;
        while !self.out_of_bounds(r) && self.s[r as usize] == ' ' {
            r -= 1;
        }
        if self.out_of_bounds(r) {
            -1
        } else {
            r
        }
    }
}

/// `PathCompiler.compile(path)`: trims, reads a path without `$` or `@` as `$.` + path.
/// Indexes in faults are of `chars` as given.
pub(crate) fn compile_chars(chars: &[char], session: &mut Session) -> Res<PathExpr> {
    if chars.is_empty() {
        return fault(0, "the path is empty");
    }
    if chars[0] != '$' && chars[0] != '@' {
        let mut prefixed = vec!['$', '.'];
        prefixed.extend_from_slice(chars);
        return compile_prefixed(&prefixed, session).map_err(|f| Fault { at: (f.at - 2).max(0), ..f });
    }
    compile_prefixed(chars, session)
}

fn compile_prefixed(chars: &[char], session: &mut Session) -> Res<PathExpr> {
    let mut ci = CharIndex::new(chars);
    ci.trim();
    if ci.last_char_is('.')? {
        let what = if ci.end >= 1 && ci.s[ci.end as usize - 1] == '.' { "'..'" } else { "'.'" };
        return fault(ci.end, format!("the path ends with {what}: a name, '*' or '[' must follow it"));
    }
    PathParser { ci, session }.compile()
}

pub(crate) struct PathParser<'s, 'x> {
    pub ci: CharIndex<'s>,
    pub session: &'x mut Session,
}

impl PathParser<'_, '_> {
    /// `compile()`: the root, its tokens, and the path made of them.
    pub fn compile(&mut self) -> Res<PathExpr> {
        let (root, tokens) = self.read_context_token()?;
        Ok(PathExpr::new(tokens, root == '$'))
    }

    fn read_context_token(&mut self) -> Res<(char, Vec<Token>)> {
        while self.ci.in_bounds_here() && matches!(self.ci.s[self.ci.pos as usize], ' ' | '\t' | '\n' | '\r') {
            self.ci.pos += 1;
        }
        let root = self.ci.current()?;
        if root != '$' && root != '@' {
            return fault(self.ci.pos, "a path starts with '$' (the document) or '@' (the current item)");
        }
        let mut tokens = Vec::new();
        if self.ci.current_is_tail() {
            return Ok((root, tokens));
        }
        self.ci.pos += 1;
        let c = self.ci.current()?;
        if c != '.' && c != '[' {
            let rest = self.ci.text(self.ci.pos, self.ci.len());
            return fault(self.ci.pos, format!("'{c}' cannot follow '{root}': a name after '{root}' needs a dot, as in '{root}.{rest}'"));
        }
        self.read_tokens(&mut tokens)?;
        Ok((root, tokens))
    }

    /// `readNextToken` and the readers it dispatches to, as a loop: each reader ends with
    /// `currentIsTail() || readNextToken()`, and a dot goes on to the next token unconditionally.
    fn read_tokens(&mut self, tokens: &mut Vec<Token>) -> Res<()> {
        loop {
            let at = self.ci.pos;
            match self.ci.current()? {
                '[' => {
                    let read = self.read_bracket_property(tokens)?
                        || self.read_array(tokens)?
                        || self.read_wildcard(tokens)?
                        || self.read_filter(tokens)?
                        || self.read_placeholder()?;
                    if !read {
                        return Err(self.explain_bracket(at));
                    }
                }
                '.' => {
                    self.read_dot(tokens)?;
                    continue;
                }
                '*' => {
                    self.read_wildcard(tokens)?;
                }
                _ => {
                    if !self.read_property_or_function(tokens)? {
                        let c = self.ci.current()?;
                        let why = if c == ' ' {
                            "a space cannot start a name: write the name right after '.', or ['with space'] in brackets".to_string()
                        } else {
                            format!("unexpected '{c}'")
                        };
                        return fault(at, why);
                    }
                }
            }
            if self.ci.current_is_tail() {
                return Ok(());
            }
        }
    }

    fn push(&mut self, tokens: &mut Vec<Token>, kind: TokenKind) {
        let slot = self.session.slot();
        tokens.push(Token { kind, slot });
    }

    /// `.` and `..`
    fn read_dot(&mut self, tokens: &mut Vec<Token>) -> Res<()> {
        if self.ci.current_is('.')? && self.ci.next_char_is('.') {
            self.push(tokens, TokenKind::Scan);
            self.ci.pos += 2;
        } else if !self.ci.has_more_characters() {
            return fault(self.ci.pos, "the path ends with '.': a name, '*' or '[' must follow it");
        } else {
            self.ci.pos += 1;
        }
        if self.ci.current_is('.')? {
            return fault(self.ci.pos, "three dots in a row: '..' (deep scan) takes a name, '*' or '[' after it");
        }
        Ok(())
    }

    /// `fooBar` or `fooBar()` or `fooBar(args)`: a name runs to the next `.`, `[` or `(`.
    fn read_property_or_function(&mut self, tokens: &mut Vec<Token>) -> Res<bool> {
        let c = self.ci.current()?;
        if c == '[' || c == '*' || c == '.' || c == ' ' {
            return Ok(false);
        }
        let start = self.ci.pos;
        let mut read = start;
        let mut end = 0;
        let mut is_function = false;
        while self.ci.in_bounds(read) {
            let c = self.ci.char_at(read)?;
            if c == ' ' {
                let name = self.ci.text(start, read);
                return fault(
                    read,
                    format!("a name cannot contain a space after a '.': write it in brackets, ['{name} …']"),
                );
            } else if c == '.' || c == '[' {
                end = read;
                break;
            } else if c == '(' {
                is_function = true;
                end = read;
                break;
            }
            read += 1;
        }
        if end == 0 {
            end = self.ci.len();
        }
        let name = self.ci.text(start, end);
        let mut params = None;
        if is_function {
            let mut depth = 1;
            let mut i = read + 1;
            while i < self.ci.len() {
                match self.ci.char_at(i)? {
                    ')' => depth -= 1,
                    '(' => depth += 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                i += 1;
            }
            if depth != 0 {
                return fault(read, format!("the arguments of function {name}() have no closing ')'"));
            }
            if self.ci.in_bounds(read + 1) {
                if self.ci.char_at(read + 1)? != ')' {
                    self.ci.pos = end + 1;
                    params = Some(self.read_function_parameters(&name, read)?);
                } else {
                    self.ci.pos = read + 1;
                }
            } else {
                self.ci.pos = read;
            }
        } else {
            self.ci.pos = end;
        }
        if is_function {
            self.push(tokens, TokenKind::Function(Box::new(Function { name, params })));
        } else {
            self.push(tokens, TokenKind::Property(vec![name]));
        }
        Ok(true)
    }

    /// `parseFunctionParameters`: splits the arguments at top-level commas, counting
    /// parentheses, brackets, braces and double quotes as Jayway does; an argument that starts
    /// with `$` or `@` is a path, one that starts with `{`, `"`, `-` or a digit is JSON, any
    /// other is dropped.
    fn read_function_parameters(&mut self, name: &str, open: isize) -> Res<Vec<Param>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Json,
            Path,
        }
        self.session.enter(open)?;
        let mut kind: Option<Kind> = None;
        let (mut paren, mut bracket, mut brace, mut quote) = (1i32, 0i32, 0i32, 0i32);
        let mut end_of_stream = false;
        let mut prior = '\0';
        let mut params = Vec::new();
        let mut param: Vec<char> = Vec::new();
        let mut param_start = 0isize;
        while self.ci.in_bounds_here() && !end_of_stream {
            let c = self.ci.current()?;
            self.ci.pos += 1;
            if kind.is_none() {
                if matches!(c, ' ' | '\t' | '\n' | '\r') {
                    continue;
                }
                if c == '{' || c.is_ascii_digit() || c == '"' || c == '-' {
                    kind = Some(Kind::Json);
                    param_start = self.ci.pos - 1;
                } else if c == '$' || c == '@' {
                    kind = Some(Kind::Path);
                    param_start = self.ci.pos - 1;
                }
            }
            match c {
                '"' => {
                    if prior != '\\' && quote > 0 {
                        quote -= 1;
                    } else {
                        quote += 1;
                    }
                }
                '(' => paren += 1,
                '{' => brace += 1,
                '[' => bracket += 1,
                '}' => {
                    if brace == 0 {
                        return fault(self.ci.pos - 1, format!("'}}' without its '{{' in the arguments of {name}()"));
                    }
                    brace -= 1;
                }
                ']' => {
                    if bracket == 0 {
                        return fault(self.ci.pos - 1, format!("']' without its '[' in the arguments of {name}()"));
                    }
                    bracket -= 1;
                }
                ')' | ',' => {
                    if c == ')' {
                        paren -= 1;
                        if paren < 0 || prior == '(' {
                            param.push(c);
                        }
                    }
                    if quote == 0 && brace == 0 && bracket == 0 && ((paren == 0 && c == ')') || paren == 1) {
                        end_of_stream = paren == 0;
                        if let Some(k) = kind.take() {
                            let text = std::mem::take(&mut param);
                            params.push(match k {
                                Kind::Json => {
                                    let text: String = text.iter().collect();
                                    let parsed = parse_permissive(&text);
                                    Param::Json(JsonLiteral { text, parsed })
                                }
                                Kind::Path => {
                                    let mut sub = PathParser { ci: CharIndex::new(&text), session: self.session };
                                    let path = sub.compile().map_err(|f| Fault { at: param_start + f.at, ..f })?;
                                    Param::Path(path)
                                }
                            });
                        }
                    }
                }
                _ => {}
            }
            if kind.is_some() && !(c == ',' && brace == 0 && bracket == 0 && paren == 1) {
                param.push(c);
            }
            prior = c;
        }
        if brace != 0 || paren != 0 || bracket != 0 {
            return fault(open, format!("the arguments of function {name}() are not closed properly"));
        }
        self.session.leave();
        Ok(params)
    }

    /// `[?]` and `[?, ?]`: placeholders for `Filter` objects passed from Java, which a path
    /// string cannot pass, so Jayway always refuses them here.
    fn read_placeholder(&mut self) -> Res<bool> {
        if !self.ci.current_is('[')? {
            return Ok(false);
        }
        let q = self.ci.index_of_next_significant(self.ci.pos, '?')?;
        if q == -1 {
            return Ok(false);
        }
        let next = self.ci.next_significant(q);
        if next != ']' && next != ',' {
            return Ok(false);
        }
        if self.ci.next_index_of(self.ci.pos + 1, ']') == -1 {
            return Ok(false);
        }
        fault(
            self.ci.pos,
            "'[?]' stands for a filter passed from Java code, which a path cannot pass: write the filter in the path, e.g. [?(@.name == 'x')]",
        )
    }

    /// `[?(...)]`
    fn read_filter(&mut self, tokens: &mut Vec<Token>) -> Res<bool> {
        let ci = &self.ci;
        if !ci.current_is('[')? && !ci.next_significant_is(ci.pos, '?') {
            return Ok(false);
        }
        let open_statement = ci.pos;
        let q = ci.index_of_next_significant(ci.pos, '?')?;
        if q == -1 {
            return Ok(false);
        }
        let open = ci.index_of_next_significant(q, '(')?;
        if open == -1 {
            return Ok(false);
        }
        let close = ci.index_of_matching_close(open, '(', ')', true, true)?;
        if close == -1 {
            return Ok(false);
        }
        if !ci.next_significant_is(close, ']') {
            return Ok(false);
        }
        let close_statement = ci.index_of_next_significant(close, ']')?;
        let criteria = &ci.s[open_statement as usize..=close_statement as usize];
        self.session.enter(open_statement)?;
        let expr = compile_filter(criteria, self.session).map_err(|f| Fault { at: open_statement + f.at, ..f })?;
        self.session.leave();
        self.ci.pos = close_statement + 1;
        self.push(tokens, TokenKind::Filter(Box::new(expr)));
        Ok(true)
    }

    /// `[*]` and `*`
    fn read_wildcard(&mut self, tokens: &mut Vec<Token>) -> Res<bool> {
        let in_bracket = self.ci.current_is('[')?;
        if in_bracket && !self.ci.next_significant_is(self.ci.pos, '*') {
            return Ok(false);
        }
        if !self.ci.current_is('*')? && self.ci.out_of_bounds(self.ci.pos + 1) {
            return Ok(false);
        }
        if in_bracket {
            let star = self.ci.index_of_next_significant(self.ci.pos, '*')?;
            if !self.ci.next_significant_is(star, ']') {
                return fault(star + 1, "'[*' must be closed by ']'");
            }
            let close = self.ci.index_of_next_significant(star, ']')?;
            self.ci.pos = close + 1;
        } else {
            self.ci.pos += 1;
        }
        self.push(tokens, TokenKind::Wildcard);
        Ok(true)
    }

    /// `[1]`, `[1,2]`, `[1:]`, `[1:2]`, `[:2]`
    fn read_array(&mut self, tokens: &mut Vec<Token>) -> Res<bool> {
        if !self.ci.current_is('[')? {
            return Ok(false);
        }
        let next = self.ci.next_significant(self.ci.pos);
        if !next.is_ascii_digit() && next != '-' && next != ':' {
            return Ok(false);
        }
        let begin = self.ci.pos + 1;
        let end = self.ci.next_index_of(begin, ']');
        if end == -1 {
            return Ok(false);
        }
        let expression = java_trim(&self.ci.text(begin, end));
        if expression == "*" {
            return Ok(false);
        }
        if !expression.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' ')) {
            return Ok(false);
        }
        let at = begin;
        let kind = if expression.contains(':') {
            TokenKind::Slice(parse_slice(&expression).map_err(|reason| Fault { at, reason })?)
        } else {
            TokenKind::Index(parse_indexes(&expression).map_err(|reason| Fault { at, reason })?)
        };
        self.ci.pos = end + 1;
        self.push(tokens, kind);
        Ok(true)
    }

    /// `['foo']`, `["foo"]`, `['a','b']`
    fn read_bracket_property(&mut self, tokens: &mut Vec<Token>) -> Res<bool> {
        if !self.ci.current_is('[')? {
            return Ok(false);
        }
        let quote = self.ci.next_significant(self.ci.pos);
        if quote != '\'' && quote != '"' {
            return Ok(false);
        }
        let mut names = Vec::new();
        let mut start = self.ci.pos + 1;
        let mut read = start;
        let mut end = 0;
        let mut in_name = false;
        let mut escaped = false;
        let mut after_comma = false;
        while self.ci.in_bounds(read) {
            let c = self.ci.char_at(read)?;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ']' && !in_name {
                if after_comma {
                    return fault(read, "a name is missing after ','");
                }
                break;
            } else if c == quote {
                if in_name {
                    let next = self.ci.next_significant(read);
                    if next != ']' && next != ',' {
                        return fault(read + 1, format!("a quoted name must be followed by ',' or ']', not '{next}'"));
                    }
                    end = read;
                    let raw = self.ci.text(start, end);
                    names.push(unescape(&raw).map_err(|reason| Fault { at: start, reason })?);
                    in_name = false;
                } else {
                    start = read + 1;
                    in_name = true;
                    after_comma = false;
                }
            } else if c == ',' && !in_name {
                if after_comma {
                    return fault(read, "a name is missing between two commas");
                }
                after_comma = true;
            }
            read += 1;
        }
        if in_name {
            return fault(start - 1, format!("the name opened with {quote} has no closing {quote}"));
        }
        let close = self.ci.index_of_next_significant(end, ']')?;
        if close == -1 {
            return fault(end + 1, "']' expected after the quoted name");
        }
        self.ci.pos = close + 1;
        if names.is_empty() {
            return fault(close, "no name between the brackets");
        }
        self.push(tokens, TokenKind::Property(names));
        Ok(true)
    }

    /// A reason for a `[` no reader took, better than Jayway's "Could not parse token".
    fn explain_bracket(&self, at: isize) -> Fault {
        let ci = &self.ci;
        let close = ci.next_index_of(at + 1, ']');
        let inside = if close == -1 { ci.text(at + 1, ci.len()) } else { ci.text(at + 1, close) };
        let inside = inside.trim();
        let reason = if close == -1 && !inside.starts_with('?') {
            "'[' is not closed by ']'".to_string()
        } else if inside.is_empty() {
            "empty brackets: write a quoted name ['name'], an index [0], a slice [0:2], [*] or a filter [?(...)]".to_string()
        } else if let Some(rest) = inside.strip_prefix('?') {
            if !rest.trim_start().starts_with('(') {
                "a filter is written [?(...)], with parentheses: Jayway does not read [?...] without them".to_string()
            } else {
                let open = ci.index_of_next_significant(at, '?').and_then(|q| ci.index_of_next_significant(q, '('));
                match open.and_then(|o| ci.index_of_matching_close(o, '(', ')', true, true)) {
                    Ok(close) if close != -1 => {
                        "the filter's closing ')' must be followed by ']': write [?(...)] with the whole condition inside the parentheses".to_string()
                    }
                    Err(f) => return f,
                    _ => "the filter's '(' has no matching ')'".to_string(),
                }
            }
        } else if inside.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' ')) {
            format!("'[{inside}]' is not an index or slice")
        } else if inside.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            format!("a name in brackets must be quoted: ['{inside}']")
        } else {
            format!("cannot read '[{inside}]': expected a quoted name ['name'], an index [0], a slice [0:2], [*] or a filter [?(...)]")
        };
        Fault { at, reason }
    }
}

/// Java's `String.trim()`: strips characters up to U+0020 at both ends.
pub(crate) fn java_trim(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ').to_string()
}

/// `Integer.parseInt` for the texts a path can hold.
fn parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok()
}

/// `ArraySliceOperation.parse`: `from:to` (a third part is ignored), no spaces.
fn parse_slice(expression: &str) -> Result<Slice, String> {
    if !expression.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ':') {
        return Err(format!("a slice cannot contain spaces: '[{expression}]'"));
    }
    // Java's split(":") drops trailing empty parts.
    let mut parts: Vec<&str> = expression.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    let read = |i: usize| -> Result<Option<i32>, String> {
        match parts.get(i) {
            None | Some(&"") => Ok(None),
            Some(p) => parse_int(p).map(Some).ok_or_else(|| format!("'{p}' in the slice [{expression}] is not a whole number")),
        }
    };
    match (read(0)?, read(1)?) {
        (Some(f), None) => Ok(Slice::From(f)),
        (Some(f), Some(t)) => Ok(Slice::Between(f, t)),
        (None, Some(t)) => Ok(Slice::To(t)),
        (None, None) => Err(format!("the slice [{expression}] has neither a start nor an end")),
    }
}

/// `ArrayIndexOperation.parse`: whole numbers separated by commas.
fn parse_indexes(expression: &str) -> Result<Vec<i32>, String> {
    expression
        .split(',')
        .map(|p| {
            let p = p.trim_matches(|c: char| c.is_whitespace());
            parse_int(p).ok_or_else(|| {
                if p.is_empty() {
                    format!("an index is missing in [{expression}]")
                } else {
                    format!("'{p}' in [{expression}] is not a whole number (indexes are 32-bit integers)")
                }
            })
        })
        .collect()
}

/// Jayway's `Utils.unescape`: `\n`, `\t`, `\uXXXX`, …; any other escaped character stands for
/// itself; an unfinished `\u` is dropped.
pub(crate) fn unescape(s: &str) -> Result<String, String> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len());
    let mut slash = false;
    let mut unicode: Option<String> = None;
    for c in s.chars() {
        if let Some(hex) = &mut unicode {
            hex.push(c);
            if hex.chars().count() == 4 {
                let v = u16::from_str_radix(hex, 16).map_err(|_| format!("\\u{hex} is not a \\u escape of four hex digits"))?;
                out.push(v);
                unicode = None;
                slash = false;
            }
            continue;
        }
        if slash {
            slash = false;
            let unescaped = match c {
                '\\' => '\\',
                '\'' => '\'',
                '"' => '"',
                'r' => '\r',
                'f' => '\u{c}',
                't' => '\t',
                'n' => '\n',
                'b' => '\u{8}',
                'u' => {
                    unicode = Some(String::new());
                    continue;
                }
                other => other,
            };
            let mut buf = [0u16; 2];
            out.extend_from_slice(unescaped.encode_utf16(&mut buf));
            continue;
        }
        if c == '\\' {
            slash = true;
            continue;
        }
        let mut buf = [0u16; 2];
        out.extend_from_slice(c.encode_utf16(&mut buf));
    }
    if slash {
        out.push(u16::from(b'\\'));
    }
    Ok(String::from_utf16_lossy(&out))
}
