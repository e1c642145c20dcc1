//! Compiled filter rules: JSONPath selection with Jayway JsonPath's conventions
//! (what AWS uses) and comparison of what was selected with `matchEquals`.
//!
//! A path is parsed and type-checked once, by [`crate::jsonpath::parse`] (RFC 9535). Selection
//! runs on the parsed tree with this module's own evaluator, so that every selection has a
//! bounded cost and never recurses on the document:
//!
//! - at most [`MAX_SELECTED`] nodes per node list (the result and every intermediate list);
//! - at most [`MAX_STEPS`] units of work per [`CompiledPath::select`] call, filters included.
//!
//! A selection that hits either bound stops early and reports itself as truncated
//! ([`Selection::truncated`]). Real webhook payloads (GitHub pushes, a few thousand nodes)
//! stay far below both; hostile paths such as `$..*..*..*..*` on a 25 MB body end in bounded
//! time instead of hanging.
//!
//! ```
//! use pipehook::filter::compile_path;
//! let doc = serde_json::json!({"ref": "refs/heads/main", "commits": [{"id": "a"}, {"id": "b"}]});
//! let p = compile_path("$.ref").unwrap();
//! assert!(p.is_definite());
//! assert_eq!(p.select(&doc), vec![&doc["ref"]]);
//! let p = compile_path("$.commits[*].id").unwrap();
//! assert!(!p.is_definite());
//! assert_eq!(p.select(&doc).len(), 2);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;

use regex::Regex;
use serde::Serialize;
use serde_json::{Number, Value};

use crate::jsonpath::{
    parse, Comparable, Comparison, Filter, FilterAtom, FnArg, JpQuery, Literal, ParseError, Segment, Selector,
    SingularQuery, SingularQuerySegment, Test, TestFunction,
};
use crate::model::WebhookFilterRule;

pub use crate::jsonpath::MAX_NESTING;

/// The most nodes one node list (a result or an intermediate list) may hold.
pub const MAX_SELECTED: usize = 100_000;
/// The most units of work (a node visited, a filter tested, a pair compared, 64 bytes of a
/// string measured, a byte searched by one regex thread) one selection may spend.
pub const MAX_STEPS: usize = 10_000_000;
/// The work charged for one match()/search() call whose pattern comes from the document, which
/// compiles its regex afresh: about 100 µs for a trivial pattern natively and 3 ms in Node's
/// wasm (opt-level z), where a step of other work costs about 30 ns natively. So a selection
/// makes at most 100 such calls before [`MAX_STEPS`] stops it (about 0.3 s in wasm).
const REGEX_STEPS: usize = 100_000;
/// The work charged for one match()/search() call whose pattern is a string literal in the
/// path, compiled with the path (about 3 µs natively), besides its search ([`scan_steps`]).
const REGEX_MATCH_STEPS: usize = 100;
/// The work charged per unit of a regex's compile cost ([`RegexSize::compile`]), about 1 µs
/// natively and 10 µs in wasm.
const REGEX_COST_STEPS: usize = 1_000;
/// The longest regex match()/search() will look at (a pattern may come from the payload);
/// a longer one matches nothing.
pub const MAX_REGEX_LEN: usize = 4096;
/// The largest regex compile cost ([`RegexSize::compile`]) match()/search() will compile; a
/// larger one matches nothing. Compiling costs about 1 µs per unit natively: `\p{L}` is 1,000 units
/// (its UTF-8 automaton is big), `.` 20, a literal character 1, and `{m,n}` multiplies by
/// n. `\p{L}{50}` (50,000) took 60 ms to compile, `(((a{99}){99}){99})` would take far longer.
pub const MAX_REGEX_COST: u64 = 10_000;
/// The most values a [`FilterTrace`] shows in `selected` (its byte bounds: [`crate::trace`]).
pub use crate::trace::MAX_TRACE_VALUES;

/// Why a JSONPath does not parse or is ill-typed, in one line with its column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub reason: String,
}

impl From<ParseError> for PathError {
    fn from(e: ParseError) -> Self {
        PathError { reason: e.to_string() }
    }
}

/// A JSONPath parsed once.
#[derive(Clone, Debug)]
pub struct CompiledPath {
    source: String,
    definite: bool,
    query: JpQuery,
    /// The match()/search() patterns written as string literals, compiled with the path.
    patterns: Vec<LiteralPattern>,
}

/// Parses `path` as an RFC 9535 JSONPath and checks that it is well-typed.
///
/// ```
/// use pipehook::filter::compile_path;
/// assert!(compile_path("$.pusher['name']").is_ok());
/// let err = compile_path("$.").unwrap_err();
/// assert_eq!(err.reason, "expected a member name or '*' at column 3");
/// ```
pub fn compile_path(path: &str) -> Result<CompiledPath, PathError> {
    let query = parse(path)?;
    let definite = query.segments.iter().all(|s| step_of(s).is_some());
    let mut patterns = Vec::new();
    literal_patterns_in_segments(&query.segments, &mut patterns);
    Ok(CompiledPath { source: path.to_string(), definite, query, patterns })
}

/// One step of a definite path: a member name or an array index (negative counts from the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Name(&'a str),
    Index(i64),
}

impl CompiledPath {
    /// The steps of a definite path (`$.a['b'][0]`) in order; None for an indefinite one. Lets
    /// `crate::scan` select definite paths from the bytes without building the document.
    ///
    /// ```
    /// use pipehook::filter::{compile_path, Step};
    /// let p = compile_path("$.commits[0].id").unwrap();
    /// assert_eq!(p.definite_steps(), Some(vec![Step::Name("commits"), Step::Index(0), Step::Name("id")]));
    /// assert_eq!(compile_path("$.commits[*].id").unwrap().definite_steps(), None);
    /// ```
    pub fn definite_steps(&self) -> Option<Vec<Step<'_>>> {
        if !self.definite {
            return None;
        }
        self.query.segments.iter().map(step_of).collect()
    }
}

/// The step a segment of a definite path takes; None for any other segment.
fn step_of(segment: &Segment) -> Option<Step<'_>> {
    match segment {
        Segment::Selector(Selector::Name(n)) => Some(Step::Name(n)),
        Segment::Selector(Selector::Index(i)) => Some(Step::Index(*i)),
        _ => None,
    }
}

/// A node list with word of whether a bound cut it short.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection<'a> {
    pub nodes: Vec<&'a Value>,
    /// True when [`MAX_SELECTED`] or [`MAX_STEPS`] stopped the selection early.
    pub truncated: bool,
}

impl CompiledPath {
    pub fn as_str(&self) -> &str {
        &self.source
    }
    /// Jayway's "definite" path: only names and single indexes, no wildcard, `..`, filter, slice or union.
    pub fn is_definite(&self) -> bool {
        self.definite
    }
    /// The selected values: at most one for a definite path, the node list otherwise.
    pub fn select<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        self.select_bounded(doc).nodes
    }
    /// [`Self::select`], saying also whether the work bounds cut the selection short.
    pub fn select_bounded<'a>(&self, doc: &'a Value) -> Selection<'a> {
        if self.definite {
            // At most one node and a few steps, so no work bound can bite: walk the document
            // directly rather than through the evaluator's node lists (every delivery does this).
            let node = self.query.segments.iter().try_fold(doc, |node, segment| match step_of(segment)? {
                Step::Name(name) => node.as_object()?.get(name),
                Step::Index(i) => index(node.as_array()?, i),
            });
            return Selection { nodes: node.into_iter().collect(), truncated: false };
        }
        let mut eval = Eval::new(doc, &self.patterns);
        let nodes = eval.query(&self.query.segments, doc);
        Selection { nodes, truncated: eval.truncated }
    }
}

/// The text a selected value is compared by: a string's characters; any other value's compact JSON.
pub fn json_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `json_text(v) == expected`, without writing out more of `v` than `expected` is long
/// (a selected object may be the whole payload).
fn text_equals(v: &Value, expected: &str) -> bool {
    match v {
        Value::String(s) => s == expected,
        other => {
            let mut w = PrefixWriter { rest: expected.as_bytes() };
            serde_json::to_writer(&mut w, other).is_ok() && w.rest.is_empty()
        }
    }
}

/// Consumes the expected text as serde_json writes; fails at the first byte that differs.
struct PrefixWriter<'e> {
    rest: &'e [u8],
}

impl io::Write for PrefixWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.rest.strip_prefix(buf) {
            Some(rest) => {
                self.rest = rest;
                Ok(buf.len())
            }
            None => Err(io::Error::other("differs")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `{Key}` placeholders of a matchEquals value as (byte range, key), in order.
fn placeholder_spans(s: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] == b'{' {
                let start = i;
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                if j > start + 1 && j < bytes.len() && bytes[j] == b'}' {
                    i = j + 1;
                    return Some((start, j + 1, &s[start + 1..j]));
                }
            }
            i += 1;
        }
        None
    })
}

/// The `{Key}` placeholder names in a matchEquals value, in order.
///
/// ```
/// use pipehook::filter::placeholders;
/// assert_eq!(placeholders("refs/heads/{Branch}"), vec!["Branch"]);
/// assert!(placeholders(r#"{"a":1}"#).is_empty());
/// ```
pub fn placeholders(match_equals: &str) -> Vec<&str> {
    placeholder_spans(match_equals).map(|(_, _, key)| key).collect()
}

/// matchEquals with every `{Key}` that names a configuration key replaced by its value.
///
/// ```
/// use std::collections::BTreeMap;
/// use pipehook::filter::substitute;
/// let conf = BTreeMap::from([("Branch".to_string(), "main".to_string())]);
/// assert_eq!(substitute("refs/heads/{Branch}", &conf), "refs/heads/main");
/// assert_eq!(substitute("{Other}", &conf), "{Other}");
/// ```
pub fn substitute(match_equals: &str, configuration: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(match_equals.len());
    let mut copied = 0;
    for (start, end, key) in placeholder_spans(match_equals) {
        if let Some(value) = configuration.get(key) {
            out.push_str(&match_equals[copied..start]);
            out.push_str(value);
            copied = end;
        }
    }
    out.push_str(&match_equals[copied..]);
    out
}

/// One rule, compiled.
#[derive(Clone, Debug)]
pub struct CompiledFilter {
    pub rule: WebhookFilterRule,
    pub path: CompiledPath,
}

/// How one rule fared against one payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterTrace {
    pub json_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The selected values in order, as [`crate::trace`] shows them: at most
    /// [`MAX_TRACE_VALUES`] of them in at most [`crate::trace::MAX_TRACE_BYTES`] of JSON, a value
    /// too long for [`crate::trace::MAX_VALUE_BYTES`] cut and marked ([`crate::trace::CUT`]).
    pub selected: Vec<Value>,
    /// How many values the path selected in all; more than `selected.len()`
    /// when the trace was cut.
    pub selected_count: usize,
    pub passed: bool,
}

impl CompiledFilter {
    /// Runs the rule on a payload: selection, `{Key}` substitution, comparison.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pipehook::filter::{compile_path, CompiledFilter};
    /// use pipehook::model::WebhookFilterRule;
    /// let rule = WebhookFilterRule { json_path: "$.ref".into(), match_equals: Some("refs/heads/{Branch}".into()) };
    /// let f = CompiledFilter { path: compile_path(&rule.json_path).unwrap(), rule };
    /// let conf = BTreeMap::from([("Branch".to_string(), "main".to_string())]);
    /// let t = f.evaluate(&serde_json::json!({"ref": "refs/heads/main"}), &conf);
    /// assert!(t.passed);
    /// assert_eq!(t.expected.as_deref(), Some("refs/heads/main"));
    /// ```
    pub fn evaluate(&self, doc: &Value, configuration: &BTreeMap<String, String>) -> FilterTrace {
        self.test(doc, configuration).trace()
    }

    /// Runs the rule without building its trace: what a caller that may not need the trace
    /// gets first ([`Tested::trace`] builds it).
    pub fn test<'a>(&'a self, doc: &'a Value, configuration: &BTreeMap<String, String>) -> Tested<'a> {
        let expected = self.rule.match_equals.as_deref().map(|m| substitute(m, configuration));
        let nodes = self.path.select(doc);
        let passed = match &expected {
            Some(e) => nodes.iter().any(|v| text_equals(v, e)),
            None => nodes.iter().any(|v| !v.is_null()),
        };
        Tested { rule: &self.rule, expected, nodes, passed }
    }
}

/// A rule run on a payload: the selection itself (references into the payload), not yet copied.
pub struct Tested<'a> {
    rule: &'a WebhookFilterRule,
    expected: Option<String>,
    nodes: Vec<&'a Value>,
    pub passed: bool,
}

impl Tested<'_> {
    /// The rule's trace, bounded in bytes whatever was selected ([`crate::trace`]).
    pub fn trace(&self) -> FilterTrace {
        let cap = crate::trace::MAX_VALUE_BYTES;
        FilterTrace {
            json_path: self.rule.json_path.clone(),
            expected: self.expected.as_deref().map(|e| crate::trace::shown_text(e, cap).unwrap_or_else(|| e.to_string())),
            selected: crate::trace::shown_values(&self.nodes),
            selected_count: self.nodes.len(),
            passed: self.passed,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation (RFC 9535 §2.3–2.5), bounded

struct Eval<'a, 'p> {
    root: &'a Value,
    steps: usize,
    truncated: bool,
    patterns: &'p [LiteralPattern],
}

/// A comparable's value: a node of the document, a value made by the query, or nothing.
enum Val<'a> {
    Node(&'a Value),
    Owned(Value),
    Nothing,
}

impl<'a> Val<'a> {
    fn get(&self) -> Option<&Value> {
        match self {
            Val::Node(v) => Some(v),
            Val::Owned(v) => Some(v),
            Val::Nothing => None,
        }
    }
}

impl<'a, 'p> Eval<'a, 'p> {
    fn new(root: &'a Value, patterns: &'p [LiteralPattern]) -> Self {
        Eval { root, steps: 0, truncated: false, patterns }
    }

    /// Spends `n` units of work; false (and truncated) once the budget is gone.
    fn spend(&mut self, n: usize) -> bool {
        self.steps = self.steps.saturating_add(n);
        if self.steps > MAX_STEPS {
            self.truncated = true;
            false
        } else {
            true
        }
    }

    /// Adds a node to a list unless the list or the budget is full.
    fn push(&mut self, out: &mut Vec<&'a Value>, v: &'a Value) -> bool {
        if out.len() >= MAX_SELECTED {
            self.truncated = true;
            return false;
        }
        if !self.spend(1) {
            return false;
        }
        out.push(v);
        true
    }

    fn full(&self, out: &[&'a Value]) -> bool {
        self.truncated && (out.len() >= MAX_SELECTED || self.steps > MAX_STEPS)
    }

    fn query(&mut self, segments: &[Segment], start: &'a Value) -> Vec<&'a Value> {
        let mut nodes = vec![start];
        for segment in segments {
            if nodes.is_empty() {
                break;
            }
            nodes = self.segment(segment, &nodes);
        }
        nodes
    }

    fn segment(&mut self, segment: &Segment, input: &[&'a Value]) -> Vec<&'a Value> {
        let mut out = Vec::new();
        match segment {
            Segment::Selector(s) => {
                for &n in input {
                    self.selector(s, n, &mut out);
                    if self.full(&out) {
                        break;
                    }
                }
            }
            Segment::Selectors(ss) => {
                'outer: for &n in input {
                    for s in ss {
                        self.selector(s, n, &mut out);
                        if self.full(&out) {
                            break 'outer;
                        }
                    }
                }
            }
            Segment::Descendant(inner) => {
                // Each input node and its descendants, parents before children and
                // children in document order, without recursing on the document.
                let mut stack: Vec<&'a Value> = Vec::new();
                'nodes: for &n in input {
                    stack.push(n);
                    while let Some(d) = stack.pop() {
                        if !self.spend(1) {
                            break 'nodes;
                        }
                        match &**inner {
                            Segment::Selector(s) => self.selector(s, d, &mut out),
                            Segment::Selectors(ss) => {
                                for s in ss {
                                    self.selector(s, d, &mut out);
                                }
                            }
                            // The grammar puts only a child segment after `..`.
                            Segment::Descendant(_) => {}
                        }
                        if self.full(&out) {
                            break 'nodes;
                        }
                        match d {
                            Value::Array(a) => stack.extend(a.iter().rev()),
                            Value::Object(o) => stack.extend(o.values().rev()),
                            _ => {}
                        }
                    }
                }
            }
        }
        out
    }

    fn selector(&mut self, selector: &Selector, node: &'a Value, out: &mut Vec<&'a Value>) {
        match selector {
            Selector::Name(name) => {
                if let Some(v) = node.as_object().and_then(|o| o.get(name)) {
                    self.push(out, v);
                }
            }
            Selector::Index(i) => {
                if let Some(v) = node.as_array().and_then(|a| index(a, *i)) {
                    self.push(out, v);
                }
            }
            Selector::Wildcard => match node {
                Value::Array(a) => {
                    for v in a {
                        if !self.push(out, v) {
                            break;
                        }
                    }
                }
                Value::Object(o) => {
                    for v in o.values() {
                        if !self.push(out, v) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            Selector::Slice(start, end, step) => {
                if let Some(a) = node.as_array() {
                    for i in slice_indexes(a.len(), *start, *end, *step) {
                        if !self.push(out, &a[i]) {
                            break;
                        }
                    }
                }
            }
            Selector::Filter(f) => {
                let children: Box<dyn Iterator<Item = &'a Value>> = match node {
                    Value::Array(a) => Box::new(a.iter()),
                    Value::Object(o) => Box::new(o.values()),
                    _ => return,
                };
                for child in children {
                    if !self.spend(1) {
                        break;
                    }
                    if self.logical(f, child) && !self.push(out, child) {
                        break;
                    }
                }
            }
        }
    }

    fn logical(&mut self, filter: &Filter, current: &'a Value) -> bool {
        if self.steps > MAX_STEPS {
            return false;
        }
        match filter {
            Filter::Or(fs) => fs.iter().any(|f| self.logical(f, current)),
            Filter::And(fs) => fs.iter().all(|f| self.logical(f, current)),
            Filter::Atom(FilterAtom::Filter { expr, not }) => self.logical(expr, current) != *not,
            Filter::Atom(FilterAtom::Test { expr, not }) => self.test(expr, current) != *not,
            Filter::Atom(FilterAtom::Comparison(c)) => self.compare(c, current),
        }
    }

    fn test(&mut self, test: &Test, current: &'a Value) -> bool {
        match test {
            Test::RelQuery(segments) => !self.query(segments, current).is_empty(),
            Test::AbsQuery(q) => !self.query(&q.segments, self.root).is_empty(),
            Test::Function(f) => matches!(self.function(f, current), Val::Owned(Value::Bool(true))),
        }
    }

    fn compare(&mut self, c: &Comparison, current: &'a Value) -> bool {
        let (l, r) = c.vals();
        let l = self.comparable(l, current);
        let r = self.comparable(r, current);
        let (l, r) = (l.get(), r.get());
        match c {
            Comparison::Eq(..) => self.equal(l, r),
            Comparison::Ne(..) => !self.equal(l, r),
            Comparison::Lt(..) => less(l, r),
            Comparison::Gt(..) => less(r, l),
            Comparison::Lte(..) => less(l, r) || self.equal(l, r),
            Comparison::Gte(..) => less(r, l) || self.equal(l, r),
        }
    }

    fn comparable(&mut self, c: &Comparable, current: &'a Value) -> Val<'a> {
        match c {
            Comparable::Literal(l) => Val::Owned(literal(l)),
            Comparable::SingularQuery(q) => {
                let (start, segments) = match q {
                    SingularQuery::Current(s) => (current, s),
                    SingularQuery::Root(s) => (self.root, s),
                };
                singular(start, segments).map_or(Val::Nothing, Val::Node)
            }
            Comparable::Function(f) => self.function(f, current),
        }
    }

    /// A function's result: a value (ValueType), `Owned(Bool)` (LogicalType) or Nothing.
    fn function(&mut self, f: &TestFunction, current: &'a Value) -> Val<'a> {
        match f {
            TestFunction::Length(a) => {
                let v = self.value_arg(a, current);
                match v.get() {
                    Some(Value::String(s)) => {
                        self.spend(s.len() / 64);
                        Val::Owned(Value::from(s.chars().count()))
                    }
                    Some(Value::Array(a)) => Val::Owned(Value::from(a.len())),
                    Some(Value::Object(o)) => Val::Owned(Value::from(o.len())),
                    _ => Val::Nothing,
                }
            }
            TestFunction::Count(a) => Val::Owned(Value::from(self.nodes_arg(a, current).len())),
            TestFunction::Value(a) => match self.nodes_arg(a, current).as_slice() {
                [one] => Val::Node(one),
                _ => Val::Nothing,
            },
            TestFunction::Match(a, b) | TestFunction::Search(a, b) => {
                let whole = matches!(f, TestFunction::Match(..));
                let s = self.value_arg(a, current);
                let p = self.value_arg(b, current);
                let found = match (s.get(), p.get()) {
                    (Some(Value::String(s)), Some(Value::String(p))) => self.regex_matches(s, p, whole),
                    _ => false,
                };
                Val::Owned(Value::Bool(found))
            }
        }
    }

    /// Whether `s` matches the I-Regexp `pattern`, whole (match()) or in part (search()),
    /// charging the work. A pattern that is not an I-Regexp, or is over the size bounds,
    /// matches nothing (RFC 9535 §2.4.6).
    fn regex_matches(&mut self, s: &str, pattern: &str, whole: bool) -> bool {
        if let Some(literal) = self.patterns.iter().find(|l| l.whole == whole && l.pattern == pattern) {
            return match &literal.regex {
                Some(r) => self.spend(REGEX_MATCH_STEPS.saturating_add(scan_steps(s, r.size))) && r.regex.is_match(s),
                None => false,
            };
        }
        // A pattern taken from the document is compiled for this one call: charge for
        // compiling before doing it.
        let Some(t) = translate(pattern, whole) else { return false };
        let compile = REGEX_STEPS + REGEX_COST_STEPS * t.size.compile as usize;
        self.spend(compile.saturating_add(scan_steps(s, t.size))) && Regex::new(&t.regex).is_ok_and(|r| r.is_match(s))
    }

    fn value_arg(&mut self, arg: &FnArg, current: &'a Value) -> Val<'a> {
        match arg {
            FnArg::Literal(l) => Val::Owned(literal(l)),
            FnArg::Test(t) => match &**t {
                Test::RelQuery(s) => match self.query(s, current).as_slice() {
                    [one] => Val::Node(one),
                    _ => Val::Nothing,
                },
                Test::AbsQuery(q) => match self.query(&q.segments, self.root).as_slice() {
                    [one] => Val::Node(one),
                    _ => Val::Nothing,
                },
                Test::Function(f) => self.function(f, current),
            },
        }
    }

    fn nodes_arg(&mut self, arg: &FnArg, current: &'a Value) -> Vec<&'a Value> {
        match arg {
            FnArg::Test(t) => match &**t {
                Test::RelQuery(s) => self.query(s, current),
                Test::AbsQuery(q) => self.query(&q.segments, self.root),
                Test::Function(_) => Vec::new(),
            },
            // The parser admits only a query for a nodes parameter.
            FnArg::Literal(_) => Vec::new(),
        }
    }

    /// RFC 9535 §2.3.5.2.2 equality: Nothing equals only Nothing; numbers by value; arrays
    /// and objects member by member. Iterative, and it spends a step per pair compared.
    fn equal(&mut self, l: Option<&Value>, r: Option<&Value>) -> bool {
        let (l, r) = match (l, r) {
            (None, None) => return true,
            (Some(l), Some(r)) => (l, r),
            _ => return false,
        };
        let mut pairs = vec![(l, r)];
        while let Some((l, r)) = pairs.pop() {
            if !self.spend(1) {
                return false;
            }
            match (l, r) {
                (Value::Number(a), Value::Number(b)) => {
                    if !num_eq(a, b) {
                        return false;
                    }
                }
                (Value::Array(a), Value::Array(b)) => {
                    if a.len() != b.len() {
                        return false;
                    }
                    pairs.extend(a.iter().zip(b));
                }
                (Value::Object(a), Value::Object(b)) => {
                    if a.len() != b.len() {
                        return false;
                    }
                    for (k, va) in a {
                        match b.get(k) {
                            Some(vb) => pairs.push((va, vb)),
                            None => return false,
                        }
                    }
                }
                (Value::String(a), Value::String(b)) => {
                    if a != b {
                        return false;
                    }
                }
                (Value::Bool(a), Value::Bool(b)) => {
                    if a != b {
                        return false;
                    }
                }
                (Value::Null, Value::Null) => {}
                _ => return false,
            }
        }
        true
    }
}

/// `a[i]` with a negative `i` counting from the end.
fn index(a: &[Value], i: i64) -> Option<&Value> {
    let len = a.len() as i64;
    let i = if i < 0 { len.checked_add(i)? } else { i };
    if (0..len).contains(&i) {
        a.get(i as usize)
    } else {
        None
    }
}

/// The indexes an RFC 9535 slice selects (§2.3.4.2.2), in selection order.
fn slice_indexes(len: usize, start: Option<i64>, end: Option<i64>, step: Option<i64>) -> Box<dyn Iterator<Item = usize>> {
    let len = len as i64;
    let step = step.unwrap_or(1);
    let norm = |i: i64| if i >= 0 { i } else { len.saturating_add(i) };
    if step > 0 {
        let lower = norm(start.unwrap_or(0)).clamp(0, len);
        let upper = norm(end.unwrap_or(len)).clamp(0, len);
        let mut i = lower;
        Box::new(std::iter::from_fn(move || {
            if i < upper {
                let r = i as usize;
                i = i.saturating_add(step);
                Some(r)
            } else {
                None
            }
        }))
    } else if step < 0 {
        let upper = norm(start.unwrap_or(len - 1)).clamp(-1, len - 1);
        let lower = norm(end.unwrap_or(-len - 1)).clamp(-1, len - 1);
        let mut i = upper;
        Box::new(std::iter::from_fn(move || {
            if lower < i {
                let r = i as usize;
                i = i.saturating_add(step);
                Some(r)
            } else {
                None
            }
        }))
    } else {
        Box::new(std::iter::empty())
    }
}

/// A singular query's node, if there is one.
fn singular<'a>(start: &'a Value, segments: &[SingularQuerySegment]) -> Option<&'a Value> {
    segments.iter().try_fold(start, |v, s| match s {
        SingularQuerySegment::Name(n) => v.as_object()?.get(n),
        SingularQuerySegment::Index(i) => index(v.as_array()?, *i),
    })
}

fn literal(l: &Literal) -> Value {
    match l {
        Literal::Int(i) => Value::from(*i),
        Literal::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    }
}

fn num_eq(a: &Number, b: &Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.as_u64(), b.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64() == b.as_f64(),
        },
    }
}

fn num_lt(a: &Number, b: &Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x < y,
        _ => match (a.as_u64(), b.as_u64()) {
            (Some(x), Some(y)) => x < y,
            _ => a.as_f64() < b.as_f64(),
        },
    }
}

/// RFC 9535 `<`: numbers by value, strings by code points; anything else is false.
fn less(l: Option<&Value>, r: Option<&Value>) -> bool {
    match (l, r) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => num_lt(a, b),
        (Some(Value::String(a)), Some(Value::String(b))) => a < b,
        _ => false,
    }
}

/// Unicode general categories, as `\p{…}` takes them in an I-Regexp (RFC 9485 §5.3.2).
const CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cn",
];

/// The estimated size of a regex's automaton, for charging its use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RegexSize {
    /// Compile cost: the automaton's states. `\p{L}` is 1,000 (its UTF-8 automaton is big), `.`
    /// 20, a literal character 1; `{m,n}` multiplies by n.
    compile: u64,
    /// The most threads a PikeVM search runs at once, each stepped once per byte of text: a
    /// character or escape is 1, a class, `.` or `\p{..}` 2 (however big, one path through its
    /// automaton is followed at a time); `{m,n}` multiplies by n.
    threads: u64,
}

impl RegexSize {
    fn new(compile: u64, threads: u64) -> Self {
        RegexSize { compile, threads }
    }
    fn plus(self, other: RegexSize) -> Self {
        RegexSize::new(self.compile.saturating_add(other.compile), self.threads.saturating_add(other.threads))
    }
    fn times(self, n: u64) -> Self {
        RegexSize::new(self.compile.saturating_mul(n), self.threads.saturating_mul(n))
    }
}

/// Checks `pattern` against RFC 9485's I-Regexp grammar and estimates the size of its compiled
/// automaton. Some((pattern for the `regex` crate, size)) when it conforms; None otherwise (and a
/// non-conforming pattern matches nothing, RFC 9535 §2.4.6).
///
/// The translation escapes what I-Regexp takes literally and the `regex` crate does not: `&`,
/// `~` and a later `^` inside a class (the crate's set operators). `^` and `$` outside a class
/// stay anchors, as the CTS expects. `.` becomes `[^\n\r]`. Iterative, so deep groups cannot
/// overflow.
fn i_regexp(pattern: &str) -> Option<(String, RegexSize)> {
    #[derive(Default)]
    struct Group {
        /// Finished alternatives.
        done: RegexSize,
        /// Finished pieces of the current alternative.
        branch: RegexSize,
        /// The last atom, which a quantifier may still multiply.
        atom: Option<RegexSize>,
        quantified: bool,
    }
    impl Group {
        fn push_atom(&mut self, size: RegexSize) {
            self.branch = self.branch.plus(self.atom.take().unwrap_or_default());
            self.atom = Some(size);
            self.quantified = false;
        }
        fn total(mut self) -> RegexSize {
            self.branch = self.branch.plus(self.atom.take().unwrap_or_default());
            self.done.plus(self.branch)
        }
    }
    /// A single-character escape (compile cost 1) is one thread; `\p{..}` is two.
    fn escape_size(compile: u64) -> RegexSize {
        RegexSize::new(compile, if compile == 1 { 1 } else { 2 })
    }
    fn char_cost(c: char) -> u64 {
        if c.is_ascii() {
            1
        } else {
            4
        }
    }
    fn number(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String) -> Option<u64> {
        let mut n: Option<u64> = None;
        while let Some(&d) = chars.peek() {
            let Some(v) = d.to_digit(10) else { break };
            chars.next();
            out.push(d);
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(u64::from(v)));
        }
        n
    }
    /// After a `\`: a single-character escape (cost 1) or `\p{..}` / `\P{..}` (cost 1000).
    fn escape(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String) -> Option<u64> {
        let c = chars.next()?;
        match c {
            '(' | ')' | '*' | '+' | '-' | '.' | '?' | '[' | '\\' | ']' | '^' | '{' | '|' | '}' | 'n' | 'r' | 't' => {
                out.push('\\');
                out.push(c);
                Some(1)
            }
            'p' | 'P' => {
                if chars.next()? != '{' {
                    return None;
                }
                let mut name = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        ch => name.push(ch),
                    }
                }
                if !CATEGORIES.contains(&name.as_str()) {
                    return None;
                }
                out.push_str(&format!("\\{c}{{{name}}}"));
                Some(1000)
            }
            _ => None,
        }
    }

    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut stack = vec![Group::default()];
    while let Some(c) = chars.next() {
        let top = stack.last_mut()?;
        match c {
            '(' => {
                out.push('(');
                stack.push(Group::default());
            }
            ')' => {
                if stack.len() < 2 {
                    return None;
                }
                out.push(')');
                let group = stack.pop()?.total().plus(RegexSize::new(1, 1));
                stack.last_mut()?.push_atom(group);
            }
            '|' => {
                out.push('|');
                let branch = std::mem::take(&mut top.branch).plus(top.atom.take().unwrap_or_default());
                top.done = top.done.plus(branch);
            }
            '*' | '+' | '?' | '{' => {
                if top.atom.is_none() || top.quantified {
                    return None;
                }
                out.push(c);
                let times = match c {
                    '+' => 2,
                    '{' => {
                        let m = number(&mut chars, &mut out)?;
                        let n = if chars.peek() == Some(&',') {
                            chars.next();
                            out.push(',');
                            match number(&mut chars, &mut out) {
                                Some(n) if n < m => return None,
                                Some(n) => n,
                                None => m.saturating_add(1),
                            }
                        } else {
                            m
                        };
                        if chars.next()? != '}' {
                            return None;
                        }
                        out.push('}');
                        n.max(1)
                    }
                    _ => 1,
                };
                top.atom = top.atom.map(|a| a.times(times));
                top.quantified = true;
            }
            '\\' => {
                let cost = escape(&mut chars, &mut out)?;
                top.push_atom(escape_size(cost));
            }
            // I-Regexp's `.` matches anything but a line break (RFC 9485 §5.3); the crate's
            // matches `\r` too.
            '.' => {
                out.push_str("[^\\n\\r]");
                top.push_atom(RegexSize::new(20, 2));
            }
            // Anchors, as the CTS reads them ("functions, match, explicit caret").
            '^' | '$' => {
                out.push(c);
                top.push_atom(RegexSize::new(1, 1));
            }
            '[' => {
                out.push('[');
                let mut cost = 2u64;
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                    cost += 20;
                }
                let mut first = true;
                // Whether the last element was a single-character escape, which may start a range.
                let mut after_escape = false;
                loop {
                    let ch = chars.next()?;
                    let was_escape = std::mem::take(&mut after_escape);
                    match ch {
                        ']' if !first => {
                            out.push(']');
                            break;
                        }
                        '-' if first || chars.peek() == Some(&']') => out.push_str("\\-"),
                        '-' if was_escape => {
                            out.push('-');
                            cost = cost.saturating_add(20);
                        }
                        '[' | ']' | '-' => return None,
                        '\\' => {
                            let e = escape(&mut chars, &mut out)?;
                            after_escape = e == 1;
                            cost = cost.saturating_add(e);
                        }
                        _ => {
                            let ranged = chars.peek() == Some(&'-') && {
                                let mut look = chars.clone();
                                look.next();
                                look.peek().is_some_and(|&n| n != ']')
                            };
                            push_class_char(&mut out, ch);
                            cost = cost.saturating_add(char_cost(ch));
                            if ranged {
                                chars.next();
                                out.push('-');
                                let hi = match chars.next()? {
                                    // Only a single-character escape may end a range.
                                    '\\' if escape(&mut chars, &mut out)? == 1 => '\u{7f}',
                                    '\\' | '[' | ']' | '-' => return None,
                                    hi if hi < ch => return None,
                                    hi => {
                                        push_class_char(&mut out, hi);
                                        hi
                                    }
                                };
                                cost = cost.saturating_add(if ch.is_ascii() && hi.is_ascii() { 2 } else { 20 });
                            }
                        }
                    }
                    first = false;
                }
                top.push_atom(RegexSize::new(cost, 2));
            }
            ']' | '}' => return None,
            _ => {
                out.push(c);
                top.push_atom(RegexSize::new(char_cost(c), 1));
            }
        }
    }
    if stack.len() != 1 {
        return None;
    }
    let size = stack.pop()?.total();
    Some((out, size))
}

/// A character inside a class, escaped where the `regex` crate would read an operator.
fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '&' | '~' | '^') {
        out.push('\\');
    }
    out.push(c);
}

/// An I-Regexp within the size bounds, in the `regex` crate's syntax.
struct Translated {
    regex: String,
    /// Its compile cost is at most [`MAX_REGEX_COST`].
    size: RegexSize,
}

/// `pattern` for the `regex` crate, anchored at both ends for match(); None when it is not
/// an I-Regexp or is over [`MAX_REGEX_LEN`] or [`MAX_REGEX_COST`].
fn translate(pattern: &str, whole: bool) -> Option<Translated> {
    if pattern.len() > MAX_REGEX_LEN {
        return None;
    }
    let (regex, size) = i_regexp(pattern).filter(|(_, size)| size.compile <= MAX_REGEX_COST)?;
    let regex = if whole { format!("^(?:{regex})$") } else { regex };
    Some(Translated { regex, size })
}

/// The work charged for searching `s`: a step per byte and thread ([`RegexSize::threads`]),
/// plus [`SEARCH_OVERHEAD_THREADS`] per byte. The `regex` crate is built without its lazy DFA
/// and literal prefilters (they were most of the package's size), so every search runs its
/// PikeVM, whatever the pattern and text. Measured natively (opt-level z), a charged step
/// costs 18–36 ns, a step of other work 35 ns or more.
fn scan_steps(s: &str, size: RegexSize) -> usize {
    let threads = usize::try_from(size.threads).unwrap_or(usize::MAX);
    s.len().saturating_mul(threads.saturating_add(SEARCH_OVERHEAD_THREADS))
}

/// What every PikeVM search pays per byte beside the pattern's threads (its unanchored-start
/// loop and match slots): a one-character pattern costs about 5 threads' worth per byte.
const SEARCH_OVERHEAD_THREADS: usize = 4;

/// A match()/search() pattern written as a string literal in the path, compiled with it.
#[derive(Clone, Debug)]
struct LiteralPattern {
    pattern: String,
    whole: bool,
    /// None when the pattern is not an I-Regexp or is over the size bounds: it matches nothing.
    regex: Option<CompiledRegex>,
}

#[derive(Clone, Debug)]
struct CompiledRegex {
    regex: Regex,
    size: RegexSize,
}

fn add_literal_pattern(pattern: &str, whole: bool, out: &mut Vec<LiteralPattern>) {
    if out.iter().any(|l| l.whole == whole && l.pattern == pattern) {
        return;
    }
    let regex = translate(pattern, whole)
        .and_then(|t| Regex::new(&t.regex).ok().map(|regex| CompiledRegex { regex, size: t.size }));
    out.push(LiteralPattern { pattern: pattern.to_string(), whole, regex });
}

// The walk below recurses once per `[` or `(` of the path, which the parser bounds.

/// Compiles the match()/search() patterns that are string literals in `segments`.
fn literal_patterns_in_segments(segments: &[Segment], out: &mut Vec<LiteralPattern>) {
    segments.iter().for_each(|s| literal_patterns_in_segment(s, out));
}

fn literal_patterns_in_segment(segment: &Segment, out: &mut Vec<LiteralPattern>) {
    match segment {
        Segment::Descendant(inner) => literal_patterns_in_segment(inner, out),
        Segment::Selector(Selector::Filter(f)) => literal_patterns_in_filter(f, out),
        Segment::Selectors(ss) => {
            for s in ss {
                if let Selector::Filter(f) = s {
                    literal_patterns_in_filter(f, out);
                }
            }
        }
        Segment::Selector(_) => {}
    }
}

fn literal_patterns_in_filter(filter: &Filter, out: &mut Vec<LiteralPattern>) {
    match filter {
        Filter::Or(fs) | Filter::And(fs) => fs.iter().for_each(|f| literal_patterns_in_filter(f, out)),
        Filter::Atom(FilterAtom::Filter { expr, .. }) => literal_patterns_in_filter(expr, out),
        Filter::Atom(FilterAtom::Test { expr, .. }) => literal_patterns_in_test(expr, out),
        Filter::Atom(FilterAtom::Comparison(c)) => {
            let (l, r) = c.vals();
            for side in [l, r] {
                if let Comparable::Function(f) = side {
                    literal_patterns_in_function(f, out);
                }
            }
        }
    }
}

fn literal_patterns_in_test(test: &Test, out: &mut Vec<LiteralPattern>) {
    match test {
        Test::RelQuery(segments) | Test::AbsQuery(JpQuery { segments }) => literal_patterns_in_segments(segments, out),
        Test::Function(f) => literal_patterns_in_function(f, out),
    }
}

fn literal_patterns_in_function(f: &TestFunction, out: &mut Vec<LiteralPattern>) {
    let in_arg = |arg: &FnArg, out: &mut Vec<LiteralPattern>| {
        if let FnArg::Test(t) = arg {
            literal_patterns_in_test(t, out);
        }
    };
    match f {
        TestFunction::Length(a) => in_arg(a, out),
        TestFunction::Value(a) | TestFunction::Count(a) => in_arg(a, out),
        TestFunction::Match(a, b) | TestFunction::Search(a, b) => {
            in_arg(a, out);
            in_arg(b, out);
            if let FnArg::Literal(Literal::String(pattern)) = b {
                add_literal_pattern(pattern, matches!(f, TestFunction::Match(..)), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn rule(path: &str, match_equals: Option<&str>) -> CompiledFilter {
        CompiledFilter {
            rule: WebhookFilterRule { json_path: path.into(), match_equals: match_equals.map(Into::into) },
            path: compile_path(path).unwrap_or_else(|e| panic!("{path}: {}", e.reason)),
        }
    }

    fn passes(path: &str, match_equals: Option<&str>, doc: &Value) -> bool {
        rule(path, match_equals).evaluate(doc, &BTreeMap::new()).passed
    }

    fn push() -> Value {
        json!({
            "ref": "refs/heads/main",
            "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "created": false,
            "forced": true,
            "base_ref": null,
            "size": 3,
            "ratio": 1.5,
            "repository": {"name": "pipehook", "full name": "o/pipehook", "owner": {"login": "o"}},
            "commits": [
                {"id": "a1", "message": "first", "added": ["x.rs"]},
                {"id": "b2", "message": "second", "added": []},
                {"id": "c3", "message": "third", "added": ["y.rs", "z.rs"]}
            ],
            "head_commit": {"b": 1, "a": [1, "two", null]}
        })
    }

    // compile_path and is_definite

    #[test]
    fn compile_path_names_and_indexes_are_definite() {
        for p in ["$", "$.ref", "$['ref']", "$[\"ref\"]", "$.commits[0].id", "$.commits[-1]", "$['a']['b'][2]"] {
            assert!(compile_path(p).unwrap().is_definite(), "{p}");
        }
    }

    #[test]
    fn compile_path_wildcard_descendant_filter_slice_union_are_indefinite() {
        for p in ["$.*", "$[*]", "$..id", "$.commits[?@.id]", "$.commits[0:2]", "$.commits[0,1]", "$['ref','after']", "$..[0]"] {
            assert!(!compile_path(p).unwrap().is_definite(), "{p}");
        }
    }

    #[test]
    fn compile_path_keeps_its_source() {
        assert_eq!(compile_path("$.commits[ 0 ]").unwrap().as_str(), "$.commits[ 0 ]");
    }

    #[test]
    fn compile_path_syntax_errors_give_one_line_reasons() {
        for p in ["", "ref", "$.", "$[", "$['a'", "$[?@.a==1", "$[01]", "$\n.", "$..", "$[?(@.a]"] {
            let e = compile_path(p).expect_err(p);
            assert!(!e.reason.is_empty() && !e.reason.contains('\n'), "{p:?}: {:?}", e.reason);
        }
        assert_eq!(compile_path("$.").unwrap_err().reason, "expected a member name or '*' at column 3");
    }

    #[test]
    fn compile_path_unknown_or_ill_typed_functions_fail() {
        for (p, why) in [
            ("$[?foo(@)]", "unknown function foo at column 4"),
            ("$[?in(@.a, 1)]", "unknown function in"),
            ("$[?length(@.*) == 1]", "length takes a value"),
            ("$[?length(@.a)]", "cannot be a test"),
            ("$[?count(@.a)]", "cannot be a test"),
            ("$[?count(1) == 1]", "count"),
            ("$[?value(@..a)]", "cannot be a test"),
            ("$[?match(@.a, 'x') == true]", "function match returns a logical result, which cannot be compared"),
            ("$[?match(@.*, 'x')]", "match takes a value"),
            ("$[?length(match(@.a, 'x')) == 1]", "length takes a value, not a logical"),
            ("$[?length(@.a == 1) == 1]", "length takes a value, not a logical expression at column 11"),
            ("$[?@.a == 1e400]", "out of range"),
            ("$[?length(-1e999) == 1]", "out of range"),
        ] {
            let e = compile_path(p).expect_err(p);
            assert!(e.reason.contains(why), "{p}: {}", e.reason);
        }
    }

    #[test]
    fn compile_path_whitespace_inside_names_fails() {
        for p in ["$.a b", "$..a b", "$. a", "$[?@.a b == 1]", "$[?@. a == 1]", "$.a\tb"] {
            assert!(compile_path(p).is_err(), "{p}");
        }
        for p in ["$ .a", "$.a [0]", "$[ 'a b' ]", "$[?@.a == 1 && @.b]", "$['.  x']", "$[?! (@.a)]"] {
            assert!(compile_path(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn compile_path_deep_nesting_fails_cleanly_and_70_levels_parse() {
        let p70 = format!("$[?{}@.a{}]", "(".repeat(70), ")".repeat(70));
        assert!(p70.len() <= 150);
        assert!(compile_path(&p70).is_ok());
        let deep = format!("$[?{}@.a{}]", "(".repeat(200), ")".repeat(200));
        assert!(compile_path(&deep).unwrap_err().reason.contains("nest deeper"));
        let brackets = format!("${}", "[".repeat(5000));
        assert!(compile_path(&brackets).is_err());
        // Brackets inside a string are data.
        let quoted = format!("$['{}']", "(".repeat(200));
        assert!(compile_path(&quoted).is_ok());
    }

    #[test]
    fn compile_path_nested_function_calls_compile() {
        // Six nested counts select an element with a chain of six nested children.
        let nest = |depth: usize| (0..depth).fold(json!(1), |v, _| json!([v]));
        let doc = json!([nest(6), nest(5)]);
        let p = "$[?count(@[?count(@[?count(@[?count(@[?count(@[?count(@[?@])>0])>0])>0])>0])>0])>0]";
        assert_eq!(compile_path(p).unwrap().select(&doc), vec![&doc[0]]);
        let e = compile_path("$[?in(@[?in(@[?@],1)],1)]").unwrap_err();
        assert_eq!(e.reason, "unknown function in at column 4");
        let e = compile_path("$[?count (@[?@])]").unwrap_err();
        assert_eq!(e.reason, "whitespace between a function name and '(' at column 9");
    }

    /// A deterministic shower of token soup: no input may panic, overflow or take long.
    #[test]
    fn compile_and_select_never_panic_on_token_soup() {
        const TOKENS: &[&str] = &[
            "$", "@", ".", "..", "*", "[", "]", "(", ")", "?", "!", "==", "!=", "<", "<=", "&&", "||", ",", ":", "-1",
            "0", "7", "'a'", "\"b\"", "a", "length(", "count(", "value(", "match(", "search(", "in(", " ", "null", "true", "1.5e3",
            "[?", "@.a", "$..*", "'\\u0041'", "{", "}",
        ];
        let doc = json!({"a": [1, {"a": "x", "b": null}, [true, 2.5]], "b": {"a": {"a": []}}});
        let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15);
        let started = std::time::Instant::now();
        let mut compiled = 0;
        for _ in 0..3000 {
            let mut p = String::from("$");
            let n = (next() % 40) as usize;
            for _ in 0..n {
                p.push_str(TOKENS[(next() % TOKENS.len() as u64) as usize]);
            }
            p.truncate(p.char_indices().nth(150).map_or(p.len(), |(i, _)| i));
            if let Ok(c) = compile_path(&p) {
                compiled += 1;
                let _ = c.select(&doc);
            }
        }
        assert!(compiled > 0);
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }

    // select

    #[test]
    fn select_definite_member_and_bracket_names() {
        let doc = push();
        assert_eq!(compile_path("$.ref").unwrap().select(&doc), vec![&json!("refs/heads/main")]);
        assert_eq!(compile_path("$['repository']['full name']").unwrap().select(&doc), vec![&json!("o/pipehook")]);
        assert_eq!(compile_path("$.repository[\"owner\"].login").unwrap().select(&doc), vec![&json!("o")]);
        assert_eq!(compile_path("$").unwrap().select(&doc), vec![&doc]);
    }

    #[test]
    fn select_index_and_negative_index() {
        let doc = push();
        assert_eq!(compile_path("$.commits[0].id").unwrap().select(&doc), vec![&json!("a1")]);
        assert_eq!(compile_path("$.commits[-1].id").unwrap().select(&doc), vec![&json!("c3")]);
        assert!(compile_path("$.commits[3]").unwrap().select(&doc).is_empty());
        assert!(compile_path("$.commits[-4]").unwrap().select(&doc).is_empty());
        assert!(compile_path("$.ref[0]").unwrap().select(&doc).is_empty());
    }

    #[test]
    fn select_missing_member_is_empty() {
        let doc = push();
        assert!(compile_path("$.nope").unwrap().select(&doc).is_empty());
        assert!(compile_path("$.ref.nope").unwrap().select(&doc).is_empty());
        assert!(compile_path("$.commits.id").unwrap().select(&doc).is_empty());
    }

    #[test]
    fn select_indefinite_paths_give_node_lists_in_document_order() {
        let doc = push();
        let ids = compile_path("$.commits[*].id").unwrap().select(&doc);
        assert_eq!(ids, vec![&json!("a1"), &json!("b2"), &json!("c3")]);
        assert_eq!(compile_path("$..id").unwrap().select(&doc).len(), 3);
        assert_eq!(compile_path("$.commits[?@.added[0]].id").unwrap().select(&doc), vec![&json!("a1"), &json!("c3")]);
        assert_eq!(compile_path("$.commits[?length(@.added) > 1].id").unwrap().select(&doc), vec![&json!("c3")]);
        assert_eq!(compile_path("$.commits[?match(@.message, 's.*')].id").unwrap().select(&doc), vec![&json!("b2")]);
        assert_eq!(compile_path("$.commits[?search(@.message, 'ir')].id").unwrap().select(&doc), vec![&json!("a1"), &json!("c3")]);
        assert_eq!(compile_path("$.commits[1:].id").unwrap().select(&doc), vec![&json!("b2"), &json!("c3")]);
        assert_eq!(compile_path("$.commits[::-1].id").unwrap().select(&doc), vec![&json!("c3"), &json!("b2"), &json!("a1")]);
        assert_eq!(compile_path("$['ref','size']").unwrap().select(&doc), vec![&json!("refs/heads/main"), &json!(3)]);
        assert_eq!(compile_path("$.commits[?@.id == $.commits[2].id].message").unwrap().select(&doc), vec![&json!("third")]);
        assert_eq!(compile_path("$[?@ == 1.5]").unwrap().select(&doc), vec![&json!(1.5)]);
        assert_eq!(compile_path("$[?@ == 3.0]").unwrap().select(&doc), vec![&json!(3)]);
        assert_eq!(compile_path("$..[?count(@.*) == 2]").unwrap().select(&doc).len(), 2);
        assert_eq!(compile_path("$.commits[?value(@..id) == 'b2'].message").unwrap().select(&doc), vec![&json!("second")]);
    }

    #[test]
    fn select_deep_document_does_not_recurse() {
        // Deeper than serde_json's parser allows, built by hand.
        let mut doc = json!(1);
        for _ in 0..20_000 {
            doc = Value::Array(vec![doc]);
        }
        let all = compile_path("$..*").unwrap().select(&doc);
        assert_eq!(all.len(), 20_000);
        assert_eq!(compile_path("$..[?@ == 1]").unwrap().select(&doc), vec![&json!(1)]);
        // Dropping a 20,000-deep Value recurses in serde_json; take it apart by hand.
        let mut v = doc;
        while let Value::Array(mut a) = v {
            v = a.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn select_hostile_paths_are_bounded() {
        // About 1 MB, 150,000 nodes.
        let doc = Value::Array((0..50_000).map(|i| json!({"a": i, "b": [i]})).collect());
        for p in ["$..*..*..*..*", "$..*..*..*..*..*..*..*..*..*..*..*..*..*..*..*..*", "$[?$..*..*]", "$..[?$..*..*]", "$[*,*,*,*,*,*,*,*]..*"] {
            let s = compile_path(p).unwrap().select_bounded(&doc);
            assert!(s.truncated, "{p}");
            assert!(s.nodes.len() <= MAX_SELECTED, "{p}");
        }
        let s = compile_path("$..*").unwrap().select_bounded(&doc);
        assert_eq!((s.nodes.len(), s.truncated), (MAX_SELECTED, true));
        let s = compile_path("$[*].a").unwrap().select_bounded(&doc);
        assert_eq!((s.nodes.len(), s.truncated), (50_000, false));
    }

    // json_text and comparison

    #[test]
    fn json_text_strings_by_characters_others_by_compact_json() {
        assert_eq!(json_text(&json!("a\"b")), "a\"b");
        assert_eq!(json_text(&json!(3)), "3");
        assert_eq!(json_text(&json!(1.5)), "1.5");
        assert_eq!(json_text(&json!(true)), "true");
        assert_eq!(json_text(&json!(null)), "null");
        assert_eq!(json_text(&json!({"b": 1, "a": [1, "x"]})), r#"{"b":1,"a":[1,"x"]}"#);
        assert_eq!(json_text(&json!([])), "[]");
    }

    #[test]
    fn text_equals_agrees_with_json_text() {
        let big = Value::Array((0..10_000).map(|i| json!({"i": i})).collect());
        for v in [json!("x"), json!(3), json!(-0.5), json!(false), json!(null), json!({"b": 1, "a": [1, "x"]}), json!([]), big] {
            let t = json_text(&v).into_owned();
            assert!(text_equals(&v, &t));
            assert!(!text_equals(&v, &t[..t.len() - 1]));
            assert!(!text_equals(&v, &format!("{t} ")));
        }
        assert!(!text_equals(&json!("3"), "\"3\""));
    }

    #[test]
    fn evaluate_compares_string_number_bool_null_object_array() {
        let doc = push();
        assert!(passes("$.ref", Some("refs/heads/main"), &doc));
        assert!(!passes("$.ref", Some("refs/heads/dev"), &doc));
        assert!(!passes("$.ref", Some("\"refs/heads/main\""), &doc));
        assert!(passes("$.size", Some("3"), &doc));
        assert!(!passes("$.size", Some("3.0"), &doc));
        assert!(passes("$.ratio", Some("1.5"), &doc));
        assert!(passes("$.forced", Some("true"), &doc));
        assert!(passes("$.created", Some("false"), &doc));
        assert!(passes("$.base_ref", Some("null"), &doc));
        assert!(passes("$.head_commit", Some(r#"{"b":1,"a":[1,"two",null]}"#), &doc));
        assert!(!passes("$.head_commit", Some(r#"{"a":[1,"two",null],"b":1}"#), &doc));
        assert!(!passes("$.head_commit", Some(r#"{"b": 1, "a": [1, "two", null]}"#), &doc));
        assert!(passes("$.head_commit.a", Some(r#"[1,"two",null]"#), &doc));
        assert!(passes("$.commits[1].added", Some("[]"), &doc));
    }

    #[test]
    fn evaluate_list_passes_when_any_element_matches() {
        let doc = push();
        assert!(passes("$.commits[*].id", Some("b2"), &doc));
        assert!(passes("$..added[*]", Some("z.rs"), &doc));
        assert!(!passes("$.commits[*].id", Some("d4"), &doc));
        assert!(passes("$.head_commit.a[*]", Some("null"), &doc));
    }

    #[test]
    fn evaluate_empty_selection_fails() {
        let doc = push();
        assert!(!passes("$.nope", Some("x"), &doc));
        assert!(!passes("$.commits[?@.id == 'zz']", Some("x"), &doc));
        let t = rule("$.nope", Some("x")).evaluate(&doc, &BTreeMap::new());
        assert_eq!(t.selected, Vec::<Value>::new());
        assert!(!passes("$.nope", None, &doc));
        assert!(!passes("$[?@.nope]", None, &doc));
    }

    #[test]
    fn evaluate_without_match_equals_needs_something_non_null() {
        let doc = push();
        assert!(passes("$.ref", None, &doc));
        assert!(passes("$.created", None, &doc));
        assert!(passes("$.commits[1].added", None, &doc));
        assert!(!passes("$.base_ref", None, &doc));
        assert!(!passes("$.head_commit.a[2]", None, &doc));
        assert!(passes("$.head_commit.a[*]", None, &doc));
        assert!(!passes("$.head_commit.a[2:]", None, &doc));
    }

    #[test]
    fn evaluate_trace_reports_path_expected_selected() {
        let doc = push();
        let f = rule("$.commits[*].id", Some("{Branch}-{Nope}"));
        let t = f.evaluate(&doc, &conf(&[("Branch", "main")]));
        assert_eq!(t.json_path, "$.commits[*].id");
        assert_eq!(t.expected.as_deref(), Some("main-{Nope}"));
        assert_eq!(t.selected, vec![json!("a1"), json!("b2"), json!("c3")]);
        assert!(!t.passed);
        let shown = serde_json::to_value(&t).unwrap();
        assert_eq!(shown, json!({"jsonPath": "$.commits[*].id", "expected": "main-{Nope}", "selected": ["a1", "b2", "c3"], "selectedCount": 3, "passed": false}));
        let t = rule("$.ref", None).evaluate(&doc, &BTreeMap::new());
        assert_eq!(serde_json::to_value(&t).unwrap(), json!({"jsonPath": "$.ref", "selected": ["refs/heads/main"], "selectedCount": 1, "passed": true}));
    }

    #[test]
    fn evaluate_trace_redacts_secret_token_members_at_any_depth() {
        let doc = json!({"a": {"SecretToken": "x1", "b": [{"SecretToken": {"deep": "x2"}}, "SecretToken"]}});
        let t = rule("$.a", None).evaluate(&doc, &BTreeMap::new());
        assert_eq!(t.selected, vec![json!({"SecretToken": "****", "b": [{"SecretToken": "****"}, "SecretToken"]})]);
        // The document itself is left as it was: only the trace's copy is redacted.
        assert_eq!(doc["a"]["SecretToken"], "x1");
        let t = rule("$.a.SecretToken", Some("x1")).evaluate(&doc, &BTreeMap::new());
        assert!(t.passed, "the comparison sees the payload's value");
        assert_eq!(t.selected, vec![json!("x1")], "a selected string is a value, not a member");
    }

    #[test]
    fn evaluate_substitutes_placeholders_before_comparing() {
        let doc = push();
        let f = rule("$.ref", Some("refs/heads/{Branch}"));
        assert!(f.evaluate(&doc, &conf(&[("Branch", "main")])).passed);
        assert!(!f.evaluate(&doc, &conf(&[("Branch", "dev")])).passed);
        assert!(!f.evaluate(&doc, &BTreeMap::new()).passed);
    }

    #[test]
    fn evaluate_trace_copies_are_bounded() {
        let doc = Value::Array((0..1000).map(|i| json!([i])).collect());
        let t = rule("$[*]", Some("[999]")).evaluate(&doc, &BTreeMap::new());
        assert!(t.passed);
        assert_eq!(t.selected.len(), MAX_TRACE_VALUES);
        assert_eq!(t.selected_count, 1000);
        let big = Value::Array((0..100_000i64).map(Value::from).collect());
        let t = rule("$", None).evaluate(&big, &BTreeMap::new());
        assert!(t.passed);
        let shown = t.selected[0].as_str().unwrap();
        assert!(shown.starts_with("[0,1,2,") && shown.contains(crate::trace::CUT), "{shown}");
        assert_eq!(t.selected_count, 1);
    }

    // match() and search()

    #[test]
    fn i_regexp_accepts_rfc_9485_and_estimates_size() {
        for (p, cost) in [
            ("a", 1),
            ("ab|c", 3),
            ("a.*", 21),
            ("(ab)+", 6),
            ("a{2,5}", 5),
            ("a{3}", 3),
            ("a{3,}", 4),
            ("\\p{Lu}", 1000),
            ("[a-z_]", 6),
            ("[^\\n]", 23),
            ("[-a]", 3),
            ("[a-]", 3),
            ("\\.\\*\\{\\}", 4),
            ("é", 4),
            ("^refs/heads/(main|release-.*)$", 46),
        ] {
            assert_eq!(i_regexp(p).map(|(_, size)| size.compile), Some(cost), "{p}");
        }
        for (p, threads) in [("a", 1), ("ab|c", 3), ("a.*", 3), ("(ab)+", 6), ("a{2,5}", 5), ("\\p{Lu}", 2), ("[a-z_]", 2), ("^refs/heads/(main|release-.*)$", 28)] {
            assert_eq!(i_regexp(p).map(|(_, size)| size.threads), Some(threads), "{p}");
        }
        for p in ["(", ")", "a**", "*", "a{2,1}", "a{", "a{x}", "[", "[]", "[a", "\\d", "\\w", "\\p{Xx}", "\\p{L", "]", "}", "[[a]]", "[a-\\p{L}]", "[z-a]"] {
            assert_eq!(i_regexp(p), None, "{p}");
        }
        assert_eq!(i_regexp("[a&&b~~c]").unwrap().0, "[a\\&\\&b\\~\\~c]");
        let deep = format!("{}a{}", "(".repeat(5000), ")".repeat(5000));
        assert!(i_regexp(&deep).is_some());
    }

    #[test]
    fn match_and_search_follow_i_regexp() {
        let doc = json!(["abc", "a\nc", "ABC", "a&b", "b", "a~b"]);
        let sel = |p: &str| compile_path(p).unwrap().select(&doc);
        assert_eq!(sel("$[?match(@, 'a.c')]"), vec![&json!("abc")]);
        assert_eq!(sel("$[?search(@, 'b')]").len(), 4);
        assert_eq!(sel("$[?match(@, '\\\\p{Lu}+')]"), vec![&json!("ABC")]);
        assert_eq!(sel("$[?match(@, 'a[&]b')]"), vec![&json!("a&b")]);
        assert_eq!(sel("$[?match(@, 'a[&&~]b')]"), vec![&json!("a&b"), &json!("a~b")]);
        assert!(sel("$[?match(@, '\\\\d')]").is_empty(), "\\d is not I-Regexp");
        assert!(sel("$[?match(@, '(')]").is_empty());
    }

    #[test]
    fn match_with_huge_regex_is_refused_quickly() {
        let doc = Value::Array((0..2000).map(|i| json!(format!("s{i}"))).collect());
        for p in ["$[?match(@, '\\\\p{L}{50}')]", "$[?search(@, '(((a{99}){99}){99})')]", "$[?match(@, '.{999}')]"] {
            let t = std::time::Instant::now();
            assert!(compile_path(p).unwrap().select(&doc).is_empty(), "{p}");
            assert!(t.elapsed() < std::time::Duration::from_secs(2), "{p}: {:?}", t.elapsed());
        }
    }

    #[test]
    fn match_pattern_from_the_document_is_charged_its_compilation() {
        let doc = json!({
            "p": "\\p{L}{9}",
            "s": (0..2000).map(|i| format!("s{i}")).collect::<Vec<_>>(),
        });
        let s = compile_path("$.s[?match(@, $.p)]").unwrap().select_bounded(&doc);
        assert!(s.truncated && s.nodes.is_empty());
    }

    #[test]
    fn match_literal_pattern_is_compiled_once_with_the_path() {
        let mut words: Vec<Value> = (0..2000).map(|i| json!(format!("s{i}"))).collect();
        words.push(json!("ninechars"));
        let doc = Value::Array(words);
        let s = compile_path("$[?match(@, '\\\\p{L}{9}')]").unwrap().select_bounded(&doc);
        assert_eq!((s.nodes, s.truncated), (vec![&json!("ninechars")], false));
    }

    #[test]
    fn search_is_charged_per_byte_and_thread() {
        // A PikeVM search of 64 KB with 800 threads would take about a second natively.
        let doc = Value::Array((0..20).map(|_| json!("a".repeat(65_536))).collect());
        let s = compile_path("$[?search(@, '.{400}x')]").unwrap().select_bounded(&doc);
        assert!(s.truncated && s.nodes.is_empty());
        let s = compile_path("$[?search(@, 'x')]").unwrap().select_bounded(&doc);
        assert!(!s.truncated && s.nodes.is_empty());
    }

    // placeholders and substitute

    #[test]
    fn placeholders_are_braced_word_characters() {
        assert_eq!(placeholders("refs/heads/{Branch}"), vec!["Branch"]);
        assert_eq!(placeholders("{a}{B_2}x{c}"), vec!["a", "B_2", "c"]);
        assert_eq!(placeholders("{{Branch}}"), vec!["Branch"]);
        assert!(placeholders(r#"{"a":1}"#).is_empty());
        assert!(placeholders("{}").is_empty());
        assert!(placeholders("{a-b}").is_empty());
        assert!(placeholders("{a b}").is_empty());
        assert!(placeholders("{abc").is_empty());
        assert!(placeholders("{é}").is_empty());
        assert!(placeholders("").is_empty());
    }

    #[test]
    fn substitute_replaces_known_keys_and_keeps_unknown_ones() {
        let c = conf(&[("Branch", "main"), ("Repo", "{Branch}"), ("Empty", "")]);
        assert_eq!(substitute("refs/heads/{Branch}", &c), "refs/heads/main");
        assert_eq!(substitute("{Unknown}/{Branch}", &c), "{Unknown}/main");
        assert_eq!(substitute("{Branch}{Branch}", &c), "mainmain");
        assert_eq!(substitute("{Repo}", &c), "{Branch}", "a value is not substituted again");
        assert_eq!(substitute("x{Empty}y", &c), "xy");
        assert_eq!(substitute(r#"{"a":{Branch}}"#, &c), r#"{"a":main}"#);
        assert_eq!(substitute("é{Branch}é", &c), "émainé");
        assert_eq!(substitute("no placeholders", &c), "no placeholders");
    }
}
