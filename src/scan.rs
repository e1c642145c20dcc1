//! Single-pass selection for definite paths: the values a webhook's filters (and the source
//! revision) need, taken from the body's bytes without building the whole JSON document.
//!
//! A [`ScanPlan`] is a small trie of the definite paths (`$.ref`, `$.repository.full_name`,
//! `$.commits[0].id`) compiled once per definition. [`ScanPlan::scan_spans`] walks the body once
//! and notes where each path's value lies ([`Spans`]): no value is built and nothing is allocated
//! but the list of spans, so a delivery builds only the few values its rules compare
//! ([`ScanPlan::for_filters`] keeps which path serves which rule and the source revision).
//! [`ScanPlan::scan`] gives the same as a *pruned* document: the members and elements on the
//! plan's paths, each path's value whole. Every definite path of the plan selects the same value
//! from it as from the full document; a repeated member name counts by its last value, as in
//! serde_json's map.
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
//! Under the `simd` feature on wasm32, the functions that skip strings are compiled with
//! `simd128` (`target_feature`), so the 16-byte compares of `specials.rs` inline into them; the
//! rest of the crate is built without SIMD, which keeps the `.wasm` as small as before.
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

use specials::Specials;

pub use crate::filter::Step;

/// The deepest nesting serde_json accepts (its recursion limit is 128 and it refuses at 128).
const MAX_DEPTH: usize = 127;

/// The body is not JSON (or not JSON serde_json accepts); re-parse with serde_json for the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotJson;

type Res<T> = Result<T, NotJson>;

/// No slot: the node ends no path.
const NO_SLOT: usize = usize::MAX;

#[derive(Clone, Debug)]
struct Node {
    /// Member names to follow, and the node each leads to.
    names: Vec<(Box<str>, usize)>,
    /// Bit `n % 64` set for every name of `n` bytes: most keys are ruled out by their length alone.
    name_lengths: u64,
    /// Array indexes to follow, and the node each leads to.
    indexes: Vec<(usize, usize)>,
    /// A path ends here: the value's span goes to this slot of [`Spans`] ([`NO_SLOT`] if none).
    slot: usize,
    /// The slots of the paths through this node (its own included): cleared when a repeated
    /// member name brings the node's value again.
    below: Vec<usize>,
}

impl Default for Node {
    fn default() -> Self {
        Node { names: Vec::new(), name_lengths: 0, indexes: Vec::new(), slot: NO_SLOT, below: Vec::new() }
    }
}

/// The definite paths one definition needs, as a trie. Built once per definition.
#[derive(Clone, Debug)]
pub struct ScanPlan {
    nodes: Vec<Node>,
    /// How many paths end in a node (the length of [`Spans`]).
    slots: usize,
    /// Per filter, the slot of its path ([`Self::for_filters`]; empty otherwise).
    filters: Vec<usize>,
    /// Per [`REVISION_PATHS`] entry, its slot ([`Self::for_filters`]; empty otherwise).
    revision: Vec<usize>,
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

/// Where one selected value lies in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// A string without escapes: its text is the bytes between the quotes.
    plain: bool,
}

impl Span {
    /// The value (validated by the scan, so serde_json reads it as the full parse would).
    pub fn value(&self, bytes: &[u8]) -> Res<Value> {
        match self.text(bytes) {
            Some(text) => Ok(Value::String(text.to_owned())),
            None => serde_json::from_slice(&bytes[self.start..self.end]).map_err(|_| NotJson),
        }
    }

    /// The text of a string without escapes; None for any other value.
    pub fn text<'b>(&self, bytes: &'b [u8]) -> Option<&'b str> {
        // skip_string checked its UTF-8, so this check only repeats it, cheaply; it never fails.
        self.plain.then(|| std::str::from_utf8(&bytes[self.start + 1..self.end - 1]).ok()).flatten()
    }
}

/// Per slot of a [`ScanPlan`], the span of the value its path selects, if the body has one.
pub type Spans = Vec<Option<Span>>;

impl ScanPlan {
    pub fn new() -> Self {
        ScanPlan { nodes: vec![Node::default()], slots: 0, filters: Vec::new(), revision: Vec::new() }
    }

    /// Adds a definite path. False (and the plan unchanged) when the scan cannot serve it: the
    /// root itself (`$`) or a negative index, which needs the array's length.
    pub fn add(&mut self, steps: &[Step<'_>]) -> bool {
        self.add_path(steps).is_some()
    }

    /// [`Self::add`], giving the path's slot.
    fn add_path(&mut self, steps: &[Step<'_>]) -> Option<usize> {
        if steps.is_empty() || steps.iter().any(|s| matches!(s, Step::Index(i) if *i < 0)) {
            return None;
        }
        let mut path = vec![0];
        for step in steps {
            let at = *path.last().expect("the root");
            let next = match step {
                Step::Name(name) => self.nodes[at].names.iter().find(|(n, _)| &**n == *name).map(|(_, i)| *i),
                Step::Index(i) => self.nodes[at].indexes.iter().find(|(n, _)| *n as i64 == *i).map(|(_, i)| *i),
            };
            path.push(match next {
                Some(i) => i,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(Node::default());
                    match step {
                        Step::Name(name) => {
                            self.nodes[at].names.push(((*name).into(), id));
                            self.nodes[at].name_lengths |= 1 << (name.len() % 64);
                        }
                        Step::Index(i) => self.nodes[at].indexes.push((*i as usize, id)),
                    }
                    id
                }
            });
        }
        let end = *path.last().expect("one step at least");
        if self.nodes[end].slot == NO_SLOT {
            let slot = self.slots;
            self.slots += 1;
            self.nodes[end].slot = slot;
            for &node in &path {
                self.nodes[node].below.push(slot);
            }
        }
        Some(self.nodes[end].slot)
    }

    /// The plan for a validated definition: every filter's path and the revision pointers.
    /// None when a filter's path is indefinite (wildcards, `..`, filters, slices, unions) or not
    /// scannable: those deliveries are decided on the full document.
    pub fn for_filters(filters: &[crate::filter::CompiledFilter]) -> Option<ScanPlan> {
        let mut plan = ScanPlan::new();
        for filter in filters {
            let steps = filter.path.definite_steps()?;
            let slot = plan.add_path(&steps)?;
            plan.filters.push(slot);
        }
        for path in REVISION_PATHS {
            let steps: Vec<Step<'_>> = path.iter().map(|n| Step::Name(n)).collect();
            let slot = plan.add_path(&steps).expect("names only");
            plan.revision.push(slot);
        }
        Some(plan)
    }

    /// The slot of each filter's path, in the definition's order ([`Self::for_filters`]).
    pub fn filter_slots(&self) -> &[usize] {
        &self.filters
    }

    /// The slots of [`REVISION_PATHS`], in order ([`Self::for_filters`]).
    pub(crate) fn revision_slots(&self) -> &[usize] {
        &self.revision
    }

    /// Validates `bytes` as one JSON value and returns the pruned document (see the module docs).
    pub fn scan(&self, bytes: &[u8]) -> Result<Value, NotJson> {
        let spans = self.scan_spans(bytes)?;
        Ok(self.document(0, &spans, bytes)?.unwrap_or(Value::Null))
    }

    /// Validates `bytes` as one JSON value and returns where each path's value lies.
    #[cfg_attr(all(target_arch = "wasm32", feature = "simd"), target_feature(enable = "simd128"))]
    pub fn scan_spans(&self, bytes: &[u8]) -> Result<Spans, NotJson> {
        let mut s = Scanner { sp: Specials::new(bytes), pos: 0, plan: self, spans: vec![None; self.slots] };
        s.ws();
        s.value(0, 0)?;
        s.ws();
        if s.pos != bytes.len() {
            return Err(NotJson);
        }
        Ok(s.spans)
    }

    /// The pruned document below `node`: its value whole where a path ends, else the members or
    /// elements the plan follows (None where the body has none of them).
    fn document(&self, node: usize, spans: &Spans, bytes: &[u8]) -> Res<Option<Value>> {
        let n = &self.nodes[node];
        if n.slot != NO_SLOT {
            return spans[n.slot].map(|span| span.value(bytes)).transpose();
        }
        let mut members = Map::new();
        for (name, child) in &n.names {
            if let Some(v) = self.document(*child, spans, bytes)? {
                members.insert(name.to_string(), v);
            }
        }
        if !members.is_empty() {
            return Ok(Some(Value::Object(members)));
        }
        let mut elements = Vec::new();
        for &(index, child) in &n.indexes {
            if let Some(v) = self.document(child, spans, bytes)? {
                // Fillers keep an element at its index; no path selects them.
                if elements.len() <= index {
                    elements.resize(index + 1, Value::Null);
                }
                elements[index] = v;
            }
        }
        Ok((!elements.is_empty()).then_some(Value::Array(elements)))
    }
}

struct Scanner<'b, 'p> {
    /// The body, and the window of its special bytes.
    sp: Specials<'b>,
    pos: usize,
    plan: &'p ScanPlan,
    spans: Spans,
}

const LO: u64 = 0x0101_0101_0101_0101;

impl<'b, 'p> Scanner<'b, 'p> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.sp.b.get(self.pos).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        self.pos = ws(self.sp.b, self.pos);
    }

    /// One value at `pos`, on the plan's `node`: its span noted where a path ends, the members
    /// and elements the plan follows walked, everything else validated and skipped.
    #[cfg_attr(all(target_arch = "wasm32", feature = "simd"), target_feature(enable = "simd128"))]
    fn value(&mut self, node: usize, depth: usize) -> Res<()> {
        let plan: &'p ScanPlan = self.plan;
        let n = &plan.nodes[node];
        let start = self.pos;
        let mut plain = false;
        match self.peek() {
            Some(b'{') if !n.names.is_empty() => self.object(n, depth + 1)?,
            Some(b'[') if !n.indexes.is_empty() => self.array(n, depth + 1)?,
            Some(b'"') => {
                let (end, escaped) = skip_string(&mut self.sp, start)?;
                self.pos = end;
                plain = !escaped;
            }
            _ => self.pos = skip(&mut self.sp, start, depth)?,
        }
        if n.slot != NO_SLOT {
            self.spans[n.slot] = Some(Span { start, end: self.pos, plain });
        }
        Ok(())
    }

    /// Enters the member or element that leads to `node`: what an earlier value of a repeated
    /// member name gave its paths is forgotten, as serde_json's map replaces it.
    #[inline(always)]
    fn enter(&mut self, node: usize, depth: usize) -> Res<()> {
        for &slot in &self.plan.nodes[node].below {
            self.spans[slot] = None;
        }
        self.value(node, depth)
    }

    #[cfg_attr(all(target_arch = "wasm32", feature = "simd"), target_feature(enable = "simd128"))]
    fn object(&mut self, node: &'p Node, depth: usize) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        let b = self.sp.b;
        // The window in a local through the member loop (most members are skipped), rather than
        // read and written through `self` at every string.
        let mut sp = self.sp;
        let mut pos = ws(b, self.pos + 1); // after {
        if b.get(pos) == Some(&b'}') {
            self.pos = pos + 1;
            return Ok(());
        }
        loop {
            let start = pos;
            let (end, escaped, value_at) = member(&mut sp, start)?;
            let child = if escaped {
                let key: String = serde_json::from_slice(&b[start..end]).map_err(|_| NotJson)?;
                child(node, key.as_bytes())
            } else {
                child(node, &b[start + 1..end - 1])
            };
            pos = match child {
                Some(child) => {
                    self.sp = sp;
                    self.pos = value_at;
                    self.enter(child, depth)?;
                    sp = self.sp;
                    self.pos
                }
                None => skip(&mut sp, value_at, depth)?,
            };
            pos = ws(b, pos);
            match b.get(pos) {
                Some(b',') => pos = ws(b, pos + 1),
                Some(b'}') => {
                    self.sp = sp;
                    self.pos = pos + 1;
                    return Ok(());
                }
                _ => return Err(NotJson),
            }
        }
    }

    #[cfg_attr(all(target_arch = "wasm32", feature = "simd"), target_feature(enable = "simd128"))]
    fn array(&mut self, node: &'p Node, depth: usize) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.pos += 1; // [
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut i = 0usize;
        loop {
            match node.indexes.iter().find(|(n, _)| *n == i) {
                Some(&(_, child)) => self.enter(child, depth)?,
                None => self.pos = skip(&mut self.sp, self.pos, depth)?,
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
                    return Ok(());
                }
                _ => return Err(NotJson),
            }
        }
    }
}

/// The plan's child of `node` for a member name.
#[inline(always)]
fn child(node: &Node, key: &[u8]) -> Option<usize> {
    if node.name_lengths & 1 << (key.len() % 64) == 0 {
        return None;
    }
    // Names of one length often share no first byte (`full_name`, `forks_url`): tested before
    // the whole name, which is a call to memcmp.
    for (name, child) in &node.names {
        let name = name.as_bytes();
        if name.len() == key.len() && name.first() == key.first() && name == key {
            return Some(*child);
        }
    }
    None
}

/// Validates and skips the value at `pos`, `depth` arrays and objects deep: the position after
/// it. Scalars (most members) are skipped here, inline; containers by [`skip_nested`].
#[inline(always)]
fn skip(sp: &mut Specials<'_>, pos: usize, depth: usize) -> Res<usize> {
    let b = sp.b;
    match b.get(pos) {
        Some(b'"') => Ok(skip_string(sp, pos)?.0),
        Some(b'{' | b'[') => skip_nested(sp, pos, depth),
        Some(b't') => literal(b, pos, b"true"),
        Some(b'f') => literal(b, pos, b"false"),
        Some(b'n') => literal(b, pos, b"null"),
        Some(b'-' | b'0'..=b'9') => number(b, pos),
        _ => Err(NotJson),
    }
}

/// [`skip`] for an array or object: most of a body is skipped here, so this is the hot loop. One
/// iterative state machine with the position in a local and the open containers as a bit stack
/// (at most 127 fit a `u128`), rather than a recursive descent that spills its state at every
/// call.
#[inline(never)]
#[cfg_attr(all(target_arch = "wasm32", feature = "simd"), target_feature(enable = "simd128"))]
fn skip_nested(sp: &mut Specials<'_>, mut pos: usize, depth: usize) -> Res<usize> {
    let b = sp.b;
    // The containers opened inside this value, innermost in the low bit: 1 object, 0 array.
    let mut kinds: u128 = 0;
    let mut open = 0usize;
    let room = MAX_DEPTH.saturating_sub(depth);
    'value: loop {
        // A value starts at `pos`.
        match b.get(pos) {
            Some(b'"') => pos = skip_string(sp, pos)?.0,
            Some(&c @ (b'{' | b'[')) => {
                if open == room {
                    return Err(NotJson);
                }
                open += 1;
                let object = c == b'{';
                kinds = kinds << 1 | object as u128;
                pos = ws(b, pos + 1);
                match b.get(pos) {
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ if object => {
                        pos = member(sp, pos)?.2;
                        continue 'value;
                    }
                    _ => continue 'value,
                }
                pos += 1;
                open -= 1;
                kinds >>= 1;
            }
            Some(b't') => pos = literal(b, pos, b"true")?,
            Some(b'f') => pos = literal(b, pos, b"false")?,
            Some(b'n') => pos = literal(b, pos, b"null")?,
            Some(b'-' | b'0'..=b'9') => pos = number(b, pos)?,
            _ => return Err(NotJson),
        }
        // After a value: close containers, or go on to the next member or element.
        loop {
            if open == 0 {
                return Ok(pos);
            }
            pos = ws(b, pos);
            let object = kinds & 1 == 1;
            match b.get(pos) {
                Some(b',') => {
                    pos = ws(b, pos + 1);
                    if object {
                        pos = member(sp, pos)?.2;
                    }
                    continue 'value;
                }
                Some(b'}') if object => {}
                Some(b']') if !object => {}
                _ => return Err(NotJson),
            }
            pos += 1;
            open -= 1;
            kinds >>= 1;
        }
    }
}

/// Whitespace from `pos`; the position after it. Pretty-printed bodies (GitHub's) indent
/// every member after a newline: the spaces that follow one are skipped eight at a time.
#[inline(always)]
fn ws(b: &[u8], mut pos: usize) -> usize {
    // Tests in order of frequency (a `match` here compiles to a jump table, an indirect branch
    // per call in V8).
    while let Some(&c) = b.get(pos) {
        // Most calls find no whitespace at all: one comparison settles those.
        if c > b' ' {
            return pos;
        }
        if c == b'\n' {
            pos += 1;
            while let Some(word) = b.get(pos..pos + 8) {
                let other = u64::from_le_bytes(word.try_into().unwrap()) ^ (LO * b' ' as u64);
                if other != 0 {
                    pos += (other.trailing_zeros() / 8) as usize;
                    break;
                }
                pos += 8;
            }
        } else if c == b' ' || c == b'\t' || c == b'\r' {
            pos += 1;
        } else {
            return pos;
        }
    }
    pos
}

/// A member's name, the colon and the whitespace around it, from the name's opening quote at
/// `pos`: the position after the name's closing quote, whether the name has escapes, and the
/// position of the member's value.
#[inline(always)]
fn member(sp: &mut Specials<'_>, pos: usize) -> Res<(usize, bool, usize)> {
    let b = sp.b;
    if b.get(pos) != Some(&b'"') {
        return Err(NotJson);
    }
    let (end, escaped) = skip_string(sp, pos)?;
    // GitHub's deliveries are compact: the colon right after the name, the value right after it;
    // pretty-printed ones put one space between.
    if b.get(end) == Some(&b':') {
        let value = end + 1;
        return Ok((end, escaped, match b.get(value) {
            Some(&c) if c > b' ' => value,
            Some(b' ') if b.get(value + 1).is_some_and(|&c| c > b' ') => value + 1,
            _ => ws(b, value),
        }));
    }
    let colon = ws(b, end);
    if b.get(colon) != Some(&b':') {
        return Err(NotJson);
    }
    Ok((end, escaped, ws(b, colon + 1)))
}

#[inline(always)]
fn literal(b: &[u8], pos: usize, word: &[u8]) -> Res<usize> {
    if b[pos..].starts_with(word) {
        Ok(pos + word.len())
    } else {
        Err(NotJson)
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at `pos`, and in serde_json's range; the
/// position after it.
fn number(b: &[u8], start: usize) -> Res<usize> {
    let mut pos = start;
    if b.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match b.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos = digits(b, pos + 1),
        _ => return Err(NotJson),
    }
    let int_end = pos;
    let mut plain = true;
    if b.get(pos) == Some(&b'.') {
        if !matches!(b.get(pos + 1), Some(b'0'..=b'9')) {
            return Err(NotJson);
        }
        pos = digits(b, pos + 1);
        plain = false;
    }
    if let Some(b'e' | b'E') = b.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = b.get(pos) {
            pos += 1;
        }
        if !matches!(b.get(pos), Some(b'0'..=b'9')) {
            return Err(NotJson);
        }
        pos = digits(b, pos);
        plain = false;
    }
    // A plain integer of up to 300 digits fits an f64 (serde_json's fallback for big
    // integers). Anything else may be out of range: ask serde_json, whose rounding decides.
    if !plain || int_end - start > 300 {
        serde_json::from_slice::<Value>(&b[start..pos]).map_err(|_| NotJson)?;
    }
    Ok(pos)
}

#[inline(always)]
fn digits(b: &[u8], mut pos: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(pos) {
        pos += 1;
    }
    pos
}

/// Validates and skips the string whose opening quote is at `pos`: the position after its
/// closing quote, and whether it has escapes.
#[inline(always)]
fn skip_string(sp: &mut Specials<'_>, pos: usize) -> Res<(usize, bool)> {
    let b = sp.b;
    let mut pos = pos + 1; // "
    let mut escaped = false;
    loop {
        pos = sp.next(pos);
        let &c = b.get(pos).ok_or(NotJson)?;
        // The closing quote first: nearly every string has no other special byte.
        if c == b'"' {
            return Ok((pos + 1, escaped));
        }
        match c {
            b'\\' => {
                escaped = true;
                pos = escape(b, pos)?;
            }
            0..=0x1f => return Err(NotJson),
            0x80.. => pos = utf8(b, pos)?,
            // A plain byte flagged by a SWAR borrow.
            _ => pos += 1,
        }
    }
}

/// The backslash escape at `pos`; `\u` surrogates must pair (serde_json's rule for strings).
#[cold]
fn escape(b: &[u8], pos: usize) -> Res<usize> {
    let pos = pos + 1; // backslash
    match b.get(pos).ok_or(NotJson)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(pos + 1),
        b'u' => match hex4(b, pos + 1)? {
            0xDC00..=0xDFFF => Err(NotJson),
            0xD800..=0xDBFF if b[pos + 5..].starts_with(b"\\u") => match hex4(b, pos + 7)? {
                0xDC00..=0xDFFF => Ok(pos + 11),
                _ => Err(NotJson),
            },
            0xD800..=0xDBFF => Err(NotJson),
            _ => Ok(pos + 5),
        },
        _ => Err(NotJson),
    }
}

fn hex4(b: &[u8], pos: usize) -> Res<u16> {
    let digits = b.get(pos..pos + 4).ok_or(NotJson)?;
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
    Ok(n)
}

/// A run of non-ASCII bytes at `pos`: valid UTF-8 exactly when the run is (a valid sequence
/// never contains an ASCII byte, so the run ends on a sequence boundary or is invalid).
fn utf8(b: &[u8], start: usize) -> Res<usize> {
    let mut end = start;
    while end < b.len() && b[end] >= 0x80 {
        end += 1;
    }
    std::str::from_utf8(&b[start..end]).map_err(|_| NotJson)?;
    Ok(end)
}

mod specials;
#[cfg(test)]
mod tests;
