//! JSONPath as AWS CodePipeline runs it: Jayway JsonPath 2.10's dialect.
//!
//! AWS evaluates a webhook's `jsonPath` filter rules with Jayway JsonPath
//! (github.com/json-path/JsonPath), so pipehook compiles and evaluates paths the way Jayway
//! 2.10.0 does, ported from its source rather than from a specification. This is a crate of its
//! own (pipehook re-exports it as `pipehook::jsonpath`) so that it compiles for size while the
//! delivery path compiles for speed.
//!
//! - [`parser`] is `PathCompiler` (and `CharacterIndex`), [`filter_parser`] is
//!   `FilterCompiler`: what they accept and refuse is Jayway's, leniencies included (a path
//!   without `$` is `$.`+path, so `.ref` is `$..ref`; names run to the next `.` or `[`, so
//!   `$.a-b` is a name; surrounding spaces are trimmed; `[0:4:2]` ignores its step).
//! - [`eval`] is the token chain's `evaluate`, the deep scan's walk and `getValue`;
//!   [`compare`] is `ValueNodes` and `EvaluatorFactory` (Java's equality, `BigDecimal`
//!   comparison); [`functions`] the path functions; [`smart`] json-smart's permissive reader
//!   for the JSON a path holds; [`number`] Java's number texts; [`regex`] Java's regex syntax
//!   on the `regex` crate (linear time; back-references and look-around are refused).
//!
//! `../shared/jayway-oracle/` (Jayway itself) is the authority; `pkg-tests/jayway.test.mjs`
//! compares the two on every case of `tests/jayway/corpus.json`.
//!
//! # What a rule selects (SPEC §2 step 4)
//!
//! Jayway's `JsonPath.read(json, path)` gives a value for a *definite* path (only names, single
//! indexes and functions, or several names at the end, which merge into one object) and a list
//! for an indefinite one. A rule selects:
//!
//! - for a definite path, that one value (which may be `null`, or an array, compared whole);
//! - for an indefinite path, the list's elements;
//! - for a function path (`$.commits.length()`), the function's value, one value when the path
//!   is definite (as `$..x.length()` is: Jayway turns it into `length($..x)`), the elements of
//!   the list otherwise (`$.a[*].length()`);
//! - nothing where Jayway throws while reading: a missing member of a definite path
//!   (`PathNotFoundException`), a function of nothing, an unknown function name (which Jayway
//!   compiles and only refuses when reading). A rule that selects nothing fails.
//!
//! `Option.ALWAYS_RETURN_LIST` would give the same lists (a definite path's value wrapped), and
//! Jayway refuses it for function paths, so it adds nothing here. A number selected prints as
//! serde_json prints it (`1.0`, `1e20` as `100000000000000000000.0`); JSON cannot hold a NaN or
//! an infinity a function may produce, so those select `null`.
//!
//! # Corner cases decided
//!
//! - Jayway keeps state in a compiled path between reads (its path cache shares one object per
//!   path string): a deep scan's `upstreamArrayIndex`, `length()` appending a wildcard to its
//!   argument. pipehook evaluates every read as the first read of a freshly compiled path.
//! - `append()` mutates the document in Jayway; here it returns the array with the values added
//!   and leaves the payload alone.
//! - Numbers pipehook's JSON cannot hold as Java does (integers past 64 bits, fractions past 18
//!   characters, which json-smart keeps as `BigInteger`/`BigDecimal`) are doubles here.
//! - Digits are ASCII digits (Java's `Character.isDigit` also takes other scripts' digits).
//! - Java regex features a linear-time engine cannot run are refused when the path compiles,
//!   with the reason (see [`regex`]).
//! - Paths nest at most [`MAX_NESTING`] levels (150 characters, AWS's limit, reach 75).
//!
//! ```
//! use pipehook_jsonpath::compile;
//! let doc = serde_json::json!({"ref": "refs/heads/main", "commits": [{"id": "a"}, {"id": "b"}]});
//! assert_eq!(compile("$.ref").unwrap().select(&doc), vec![std::borrow::Cow::Borrowed(&doc["ref"])]);
//! assert_eq!(compile("ref").unwrap().select(&doc).len(), 1);
//! assert_eq!(*compile("$.commits[?(@.id == 'b')].id").unwrap().select(&doc)[0], "b");
//! assert_eq!(*compile("$.commits.length()").unwrap().select(&doc)[0], 2);
//! let e = compile("$.a b").unwrap_err();
//! assert_eq!(e.column, 4);
//! ```

use std::borrow::Cow;

use serde_json::Value;

mod compare;
mod eval;
mod filter_parser;
mod functions;
mod model;
pub mod number;
mod parser;
pub mod regex;
pub mod smart;

pub use eval::{MAX_SELECTED, MAX_STEPS};
pub use parser::{PathError, MAX_NESTING};

use eval::{get_value, Eval, Fail, PathValue, Val};
use model::{PathExpr, TokenKind};

/// A path compiled once, to select from many documents.
#[derive(Clone, Debug)]
pub struct JsonPath {
    source: String,
    expr: PathExpr,
    slots: u32,
    /// For a definite path of names and single indexes, its steps, walked without the evaluator.
    walk: Option<Vec<OwnedStep>>,
}

#[derive(Clone, Debug)]
enum OwnedStep {
    Name(String),
    Index(i64),
}

/// One step of a definite path of names and indexes: what the single-pass scan can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Name(&'a str),
    /// Negative counts from the end.
    Index(i64),
}

/// What a path selected, and whether a bound cut the read short.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection<'a> {
    pub values: Vec<Cow<'a, Value>>,
    /// True when [`MAX_SELECTED`] or [`MAX_STEPS`] stopped the read.
    pub truncated: bool,
}

/// Compiles `path` as Jayway 2.10 does: Ok for every path Jayway compiles, the reason and
/// column for the others.
pub fn compile(path: &str) -> Result<JsonPath, PathError> {
    let chars: Vec<char> = path.chars().collect();
    let mut session = parser::Session { slots: 0, depth: 0 };
    match parser::compile_chars(&chars, &mut session) {
        Ok(expr) => {
            let mut p = JsonPath { source: path.to_string(), expr, slots: session.slots, walk: None };
            p.walk = p.definite_steps().map(|steps| {
                steps
                    .into_iter()
                    .map(|s| match s {
                        Step::Name(n) => OwnedStep::Name(n.to_string()),
                        Step::Index(i) => OwnedStep::Index(i),
                    })
                    .collect()
            });
            Ok(p)
        }
        Err(f) => Err(PathError { reason: f.reason, column: (f.at.max(0) as usize).min(chars.len()) + 1 }),
    }
}

impl JsonPath {
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Jayway's `isDefinite()`: the path reads one value rather than a list.
    pub fn is_definite(&self) -> bool {
        self.expr.definite
    }

    /// The path ends with a function (`.length()`).
    pub fn is_function(&self) -> bool {
        self.expr.function
    }

    /// The steps of a definite path made only of names and single indexes, in order; None for
    /// any other path (wildcards, `..`, filters, slices, unions, functions, merged names).
    ///
    /// ```
    /// use pipehook_jsonpath::{compile, Step};
    /// let p = compile("$.commits[0]['id']").unwrap();
    /// assert_eq!(p.definite_steps(), Some(vec![Step::Name("commits"), Step::Index(0), Step::Name("id")]));
    /// assert_eq!(compile("$.commits[*].id").unwrap().definite_steps(), None);
    /// ```
    pub fn definite_steps(&self) -> Option<Vec<Step<'_>>> {
        if !self.expr.definite || self.expr.function {
            return None;
        }
        self.expr
            .tokens
            .iter()
            .map(|t| match &t.kind {
                TokenKind::Property(names) if names.len() == 1 => Some(Step::Name(&names[0])),
                TokenKind::Index(i) if i.len() == 1 => Some(Step::Index(i64::from(i[0]))),
                _ => None,
            })
            .collect()
    }

    /// What the path selects from `doc` (see the module docs): one value for a definite path,
    /// the list's elements for an indefinite one, nothing where Jayway throws.
    // `#[inline]`: a delivery's definite walk is compiled into the caller, at its (speed) opt-level.
    #[inline]
    pub fn select<'a>(&self, doc: &'a Value) -> Vec<Cow<'a, Value>> {
        self.select_bounded(doc).values
    }

    /// [`Self::select`], saying also whether a bound cut the read short.
    #[inline]
    pub fn select_bounded<'a>(&self, doc: &'a Value) -> Selection<'a> {
        match &self.walk {
            Some(steps) => Selection { values: walk(steps, doc).map(Cow::Borrowed).into_iter().collect(), truncated: false },
            None => self.evaluate(doc),
        }
    }

    /// The evaluator's read (see the module docs).
    fn evaluate<'a>(&self, doc: &'a Value) -> Selection<'a> {
        let mut eval = Eval::new(self.slots);
        let mut pc = eval.context(&self.expr, self.expr.seq.clone(), Val::Ref(doc), false, 0);
        let outcome = eval.run(&mut pc, Val::Ref(doc));
        let truncated = eval.truncated;
        let values: Vec<Val<'a>> = match outcome {
            Ok(()) => match get_value(&self.expr, pc.results) {
                Ok(PathValue::One(v)) => vec![v],
                Ok(PathValue::List(list)) => std::rc::Rc::try_unwrap(list).unwrap_or_else(|l| (*l).clone()),
                Err(_) => Vec::new(),
            },
            // What was read before a bound stopped the read.
            Err(Fail::Budget) if self.expr.definite => pc.results.pop().into_iter().collect(),
            Err(Fail::Budget) => pc.results,
            Err(_) => Vec::new(),
        };
        Selection { values: values.into_iter().map(into_cow).collect(), truncated }
    }
}

/// A definite walk: at most one value and a few steps, so no bound can bite.
#[inline]
fn walk<'a>(steps: &[OwnedStep], doc: &'a Value) -> Option<&'a Value> {
    steps.iter().try_fold(doc, |node, step| match *step {
        OwnedStep::Name(ref name) => node.as_object()?.get(name),
        OwnedStep::Index(i) => {
            let a = node.as_array()?;
            let i = if i < 0 { (a.len() as i64).checked_add(i)? } else { i };
            a.get(usize::try_from(i).ok()?)
        }
    })
}

fn into_cow(v: Val<'_>) -> Cow<'_, Value> {
    match v {
        Val::Ref(v) => Cow::Borrowed(v),
        Val::Own(rc) => Cow::Owned(std::rc::Rc::try_unwrap(rc).unwrap_or_else(|rc| (*rc).clone())),
        other => Cow::Owned(other.to_value()),
    }
}

#[cfg(test)]
mod tests;
