//! Single-pass selection for definite paths: the values a webhook's filters (and the source
//! revision) need, taken from the body's bytes without building the whole JSON document.
//!
//! A [`ScanPlan`] is a small trie of the definite paths (`$.ref`, `$.repository.full_name`,
//! `$.commits[0].id`) compiled once per definition. [`ScanPlan::scan`] walks the body once and
//! returns a *pruned* document: the members and elements on the plan's paths, with each path's
//! final value copied whole. Every definite path of the plan selects the same value from the
//! pruned document as from the full one, so the filters and [`crate::source_revision`] run on it
//! unchanged.
//!
//! The scan still **validates the whole body** with exactly the rules of
//! `serde_json::from_slice::<Value>` (UTF-8, string escapes and surrogate pairs, control
//! characters, number grammar and range, nesting at most 127 levels, nothing but whitespace after
//! the value): a body that is not JSON is refused (400), as SPEC §2 step 3 says, even when the
//! selected values come before the fault. Stopping at the last selected value would save at most
//! the rest of one pass; validation is kept because accepting a truncated or corrupted body is a
//! behaviour change the spec does not allow. On any fault the caller re-parses with serde_json,
//! which gives the error message (and, should the scanner ever refuse valid JSON, the right
//! answer anyway).
//!
//! ```
//! use pipehook::scan::{ScanPlan, Step};
//! let mut plan = ScanPlan::new();
//! assert!(plan.add(&[Step::Name("repository"), Step::Name("full_name")]));
//! let doc = plan.scan(br#"{"repository": {"id": 1, "full_name": "a/b"}, "commits": [1, 2]}"#).unwrap();
//! assert_eq!(doc, serde_json::json!({"repository": {"full_name": "a/b"}}));
//! assert!(plan.scan(br#"{"repository": {"full_name": "a/b"}} trailing"#).is_err());
//! ```

use serde_json::{Map, Value};

pub use crate::filter::Step;

/// The deepest nesting serde_json accepts (its recursion limit is 128 and it refuses at 128).
const MAX_DEPTH: usize = 127;

/// The body is not JSON (or not JSON serde_json accepts); re-parse with serde_json for the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotJson;

type Res<T> = Result<T, NotJson>;

#[derive(Clone, Debug, Default)]
struct Node {
    /// Member names to follow, and the node each leads to.
    names: Vec<(Box<str>, usize)>,
    /// Array indexes to follow, and the node each leads to.
    indexes: Vec<(usize, usize)>,
    /// A path ends here: the value is copied whole.
    leaf: bool,
}

/// The definite paths one definition needs, as a trie. Built once per definition.
#[derive(Clone, Debug)]
pub struct ScanPlan {
    nodes: Vec<Node>,
}

impl Default for ScanPlan {
    fn default() -> Self {
        Self::new()
    }
}

/// The members [`crate::source_revision`] reads, in its order of preference, as name steps.
pub(crate) const REVISION_PATHS: [&[&str]; 6] = [
    &["after"],
    &["pull_request", "head", "sha"],
    &["workflow_run", "head_sha"],
    &["release", "tag_name"],
    &["head_commit", "id"],
    &["ref"],
];

impl ScanPlan {
    pub fn new() -> Self {
        ScanPlan { nodes: vec![Node::default()] }
    }

    /// Adds a definite path. False (and the plan unchanged) when the scan cannot serve it: the
    /// root itself (`$`) or a negative index, which needs the array's length.
    pub fn add(&mut self, steps: &[Step<'_>]) -> bool {
        if steps.is_empty() || steps.iter().any(|s| matches!(s, Step::Index(i) if *i < 0)) {
            return false;
        }
        let mut at = 0;
        for step in steps {
            let next = match step {
                Step::Name(name) => self.nodes[at].names.iter().find(|(n, _)| &**n == *name).map(|(_, i)| *i),
                Step::Index(i) => self.nodes[at].indexes.iter().find(|(n, _)| *n as i64 == *i).map(|(_, i)| *i),
            };
            at = match next {
                Some(i) => i,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(Node::default());
                    match step {
                        Step::Name(name) => self.nodes[at].names.push(((*name).into(), id)),
                        Step::Index(i) => self.nodes[at].indexes.push((*i as usize, id)),
                    }
                    id
                }
            };
        }
        self.nodes[at].leaf = true;
        true
    }

    /// The plan for a validated definition: every filter's path and the revision pointers.
    /// None when a filter's path is indefinite (wildcards, `..`, filters, slices, unions) or not
    /// scannable: those deliveries are decided on the full document.
    pub fn for_filters(filters: &[crate::filter::CompiledFilter]) -> Option<ScanPlan> {
        let mut plan = ScanPlan::new();
        for filter in filters {
            let steps = filter.path.definite_steps()?;
            if !plan.add(&steps) {
                return None;
            }
        }
        for path in REVISION_PATHS {
            let steps: Vec<Step<'_>> = path.iter().map(|n| Step::Name(n)).collect();
            plan.add(&steps);
        }
        Some(plan)
    }

    /// Validates `bytes` as one JSON value and returns the pruned document (see the module docs).
    pub fn scan(&self, bytes: &[u8]) -> Result<Value, NotJson> {
        let mut s = Scanner { b: bytes, pos: 0, plan: self };
        s.ws();
        let v = s.value(Some(0), 0)?;
        s.ws();
        if s.pos != bytes.len() {
            return Err(NotJson);
        }
        Ok(v.unwrap_or(Value::Null))
    }
}

struct Scanner<'b, 'p> {
    b: &'b [u8],
    pos: usize,
    plan: &'p ScanPlan,
}

/// Byte classes inside a string: 0 plain ASCII, 1 `"`, 2 `\`, 3 control, 4 non-ASCII.
static STRING_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i < 0x20 {
            3
        } else if i == b'"' as usize {
            1
        } else if i == b'\\' as usize {
            2
        } else if i >= 0x80 {
            4
        } else {
            0
        };
        i += 1;
    }
    t
};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit is the high bit of the first of the 8 bytes in `v` (read
/// little-endian) that is `"`, `\`, a control character or non-ASCII; 0 when there is none.
/// (Each test can set bits above its first hit through borrows, never below it.)
#[inline(always)]
fn special_in_word(v: u64) -> u64 {
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let control = v.wrapping_sub(LO * 0x20) & !v & HI;
    let quote = has_zero(v ^ (LO * b'"' as u64));
    let backslash = has_zero(v ^ (LO * b'\\' as u64));
    control | quote | backslash | (v & HI)
}

impl<'b> Scanner<'b, '_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ') => {
                    self.pos += 1;
                    // Indentation of pretty-printed bodies: eight spaces at a time.
                    while self.pos + 8 <= self.b.len()
                        && u64::from_le_bytes(self.b[self.pos..self.pos + 8].try_into().unwrap()) == LO * b' ' as u64
                    {
                        self.pos += 8;
                    }
                }
                Some(b'\n' | b'\t' | b'\r') => self.pos += 1,
                _ => return,
            }
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Res<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    /// One value at `pos`. With a plan node: the pruned value (Some); without: skipped (None).
    fn value(&mut self, node: Option<usize>, depth: usize) -> Res<Option<Value>> {
        let Some(id) = node else {
            self.skip_value(depth)?;
            return Ok(None);
        };
        let n = &self.plan.nodes[id];
        if n.leaf {
            let start = self.pos;
            self.skip_value(depth)?;
            // Validated above; serde_json builds the value exactly as a full parse would.
            return serde_json::from_slice(&self.b[start..self.pos]).map(Some).map_err(|_| NotJson);
        }
        match self.peek() {
            Some(b'{') if !n.names.is_empty() => self.object(id, depth + 1).map(Some),
            Some(b'[') if !n.indexes.is_empty() => self.array(id, depth + 1).map(Some),
            // Nothing of the plan lies inside: a placeholder no path selects.
            _ => {
                self.skip_value(depth)?;
                Ok(Some(Value::Null))
            }
        }
    }

    fn object(&mut self, id: usize, depth: usize) -> Res<Value> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.pos += 1; // {
        let mut out = Map::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(out));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(NotJson);
            }
            let start = self.pos;
            let escaped = self.skip_string()?;
            let raw = &self.b[start + 1..self.pos - 1];
            let key: Option<(String, usize)> = if escaped {
                let key: String = serde_json::from_slice(&self.b[start..self.pos]).map_err(|_| NotJson)?;
                self.child(id, key.as_bytes()).map(|c| (key, c))
            } else {
                self.child(id, raw).map(|c| {
                    // Valid UTF-8: skip_string checked every non-ASCII sequence.
                    (String::from_utf8_lossy(raw).into_owned(), c)
                })
            };
            self.ws();
            self.expect(b':')?;
            self.ws();
            match key {
                // A repeated key replaces the earlier value, as serde_json's map does.
                Some((key, child)) => {
                    let v = self.value(Some(child), depth)?.unwrap_or(Value::Null);
                    out.insert(key, v);
                }
                None => self.skip_value(depth)?,
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(out));
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn child(&self, id: usize, key: &[u8]) -> Option<usize> {
        self.plan.nodes[id].names.iter().find(|(n, _)| n.as_bytes() == key).map(|(_, c)| *c)
    }

    fn array(&mut self, id: usize, depth: usize) -> Res<Value> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.pos += 1; // [
        let indexes = &self.plan.nodes[id].indexes;
        let last = indexes.iter().map(|(i, _)| *i).max().unwrap_or(0);
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(out));
        }
        let mut i = 0usize;
        loop {
            let child = indexes.iter().find(|(n, _)| *n == i).map(|(_, c)| *c);
            if child.is_some() {
                let v = self.value(child, depth)?.unwrap_or(Value::Null);
                out.push(v);
            } else {
                self.skip_value(depth)?;
                if i <= last {
                    // Keeps later elements at their index; no path selects the filler.
                    out.push(Value::Null);
                }
            }
            i += 1;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(out));
                }
                _ => return Err(NotJson),
            }
        }
    }

    /// Validates and skips one value. `depth` counts the arrays and objects around it.
    fn skip_value(&mut self, depth: usize) -> Res<()> {
        match self.peek().ok_or(NotJson)? {
            b'"' => self.skip_string().map(|_| ()),
            b'{' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return Err(NotJson);
                }
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(NotJson);
                    }
                    self.skip_string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    self.skip_value(depth)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(NotJson),
                    }
                }
            }
            b'[' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return Err(NotJson);
                }
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(NotJson),
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Res<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, and in serde_json's range.
    fn number(&mut self) -> Res<()> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotJson),
        }
        let int_end = self.pos;
        let mut plain = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotJson);
            }
            self.digits();
            plain = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotJson);
            }
            self.digits();
            plain = false;
        }
        // A plain integer of up to 300 digits fits an f64 (serde_json's fallback for big
        // integers). Anything else may be out of range: ask serde_json, whose rounding decides.
        if !plain || int_end - start > 300 {
            serde_json::from_slice::<Value>(&self.b[start..self.pos]).map_err(|_| NotJson)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Validates and skips a string at `pos` (its opening quote). True when it has escapes.
    #[inline]
    fn skip_string(&mut self) -> Res<bool> {
        self.pos += 1; // "
        let b = self.b;
        let mut escaped = false;
        loop {
            // Eight plain bytes at a time, then straight to the first special one.
            while self.pos + 8 <= b.len() {
                let word = u64::from_le_bytes(b[self.pos..self.pos + 8].try_into().unwrap());
                let special = special_in_word(word);
                if special != 0 {
                    self.pos += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                self.pos += 8;
            }
            let &c = b.get(self.pos).ok_or(NotJson)?;
            match STRING_CLASS[c as usize] {
                0 => self.pos += 1,
                1 => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                2 => {
                    escaped = true;
                    self.escape()?;
                }
                3 => return Err(NotJson),
                _ => self.utf8()?,
            }
        }
    }

    /// A backslash escape at `pos`; `\u` surrogates must pair (serde_json's rule for strings).
    fn escape(&mut self) -> Res<()> {
        self.pos += 1; // backslash
        match self.peek().ok_or(NotJson)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.pos += 1;
                Ok(())
            }
            b'u' => {
                self.pos += 1;
                let n = self.hex4()?;
                match n {
                    0xDC00..=0xDFFF => Err(NotJson),
                    0xD800..=0xDBFF => {
                        if self.b[self.pos..].starts_with(b"\\u") {
                            self.pos += 2;
                            match self.hex4()? {
                                0xDC00..=0xDFFF => Ok(()),
                                _ => Err(NotJson),
                            }
                        } else {
                            Err(NotJson)
                        }
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(NotJson),
        }
    }

    fn hex4(&mut self) -> Res<u16> {
        let digits = self.b.get(self.pos..self.pos + 4).ok_or(NotJson)?;
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(NotJson),
            };
            n = n << 4 | v as u16;
        }
        self.pos += 4;
        Ok(n)
    }

    /// A run of non-ASCII bytes at `pos`: valid UTF-8 exactly when the run is (a valid sequence
    /// never contains an ASCII byte, so the run ends on a sequence boundary or is invalid).
    fn utf8(&mut self) -> Res<()> {
        let start = self.pos;
        let mut end = start;
        while end < self.b.len() && self.b[end] >= 0x80 {
            end += 1;
        }
        std::str::from_utf8(&self.b[start..end]).map_err(|_| NotJson)?;
        self.pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
