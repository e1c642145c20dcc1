//! Evaluation: Jayway's `PathToken.evaluate` chain, `ScanPathToken.walk`, `PredicatePathToken`
//! and `EvaluationContextImpl.getValue`, ported so that a path selects what Jayway selects,
//! quirks included (a deep scan's `[i]` keeping only element `i`'s leaf, a filter on an object
//! testing the object itself, a definite path whose member is missing selecting nothing).
//!
//! Every read is bounded: at most [`MAX_SELECTED`] values in any result list and
//! [`MAX_STEPS`] units of work in all (a node visited, a filter tested, a pair of values
//! compared, a byte matched by one regex thread). A read that reaches a bound stops and says so
//! ([`super::Selection::truncated`]). The document is walked with explicit stacks, never by
//! recursion, so its depth does not matter; recursion follows the path (bounded when it is
//! compiled).

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::model::*;

/// The most values one result list may hold.
pub const MAX_SELECTED: usize = 100_000;
/// The most units of work one read may spend.
pub const MAX_STEPS: usize = 10_000_000;

/// A value a read has reached: a node of the document, or one a function or a multi-name
/// selection made.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Ref(&'a Value),
    Own(Rc<Value>),
    /// What `keys()` returns: a Java `Set`, which Jayway's provider takes for neither a list nor
    /// an object.
    Keys(Rc<Vec<String>>),
    /// A `Double` JSON cannot hold (NaN, an infinity), from `avg()`, `stddev()`, ….
    NonFinite(f64),
}

impl<'a> Val<'a> {
    pub fn value(&self) -> Option<&Value> {
        match self {
            Val::Ref(v) => Some(v),
            Val::Own(v) => Some(v),
            Val::Keys(_) | Val::NonFinite(_) => None,
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self.value(), Some(Value::Object(_)))
    }
    pub fn is_array(&self) -> bool {
        matches!(self.value(), Some(Value::Array(_)))
    }
    pub fn is_null(&self) -> bool {
        matches!(self.value(), Some(Value::Null))
    }
    pub fn len(&self) -> usize {
        match self.value() {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Object(o)) => o.len(),
            _ => 0,
        }
    }
    /// A member of an object.
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        match self {
            Val::Ref(v) => v.as_object()?.get(key).map(Val::Ref),
            Val::Own(v) => v.as_object()?.get(key).map(|c| Val::Own(Rc::new(c.clone()))),
            _ => None,
        }
    }
    /// An element of an array.
    pub fn at(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Val::Ref(v) => v.as_array()?.get(i).map(Val::Ref),
            Val::Own(v) => v.as_array()?.get(i).map(|c| Val::Own(Rc::new(c.clone()))),
            _ => None,
        }
    }
    /// The elements of an array or the members' values of an object, in order.
    pub fn children(&self) -> Vec<Val<'a>> {
        match self {
            Val::Ref(Value::Array(a)) => a.iter().map(Val::Ref).collect(),
            Val::Ref(Value::Object(o)) => o.values().map(Val::Ref).collect(),
            Val::Own(v) => match &**v {
                Value::Array(a) => a.iter().map(|c| Val::Own(Rc::new(c.clone()))).collect(),
                Value::Object(o) => o.values().map(|c| Val::Own(Rc::new(c.clone()))).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
    pub fn keys(&self) -> Vec<String> {
        match self.value() {
            Some(Value::Object(o)) => o.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
    /// The value as JSON: a set of keys as an array, a non-finite number as null.
    pub fn to_value(&self) -> Value {
        match self {
            Val::Ref(v) => (*v).clone(),
            Val::Own(v) => (**v).clone(),
            Val::Keys(k) => Value::Array(k.iter().cloned().map(Value::String).collect()),
            Val::NonFinite(_) => Value::Null,
        }
    }
}

/// What `getValue()` gives: the last value of a definite path, the list of an indefinite one.
#[derive(Clone, Debug)]
pub(crate) enum PathValue<'a> {
    One(Val<'a>),
    List(Rc<Vec<Val<'a>>>),
}

/// Why an evaluation stopped: Jayway's `PathNotFoundException`, `InvalidPathException`,
/// any other exception, or a bound reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    NotFound,
    Invalid,
    Other,
    Budget,
}

pub(crate) type EvalResult<T> = Result<T, Fail>;

/// One read's state.
pub(crate) struct Eval<'a, 'p> {
    steps: usize,
    pub truncated: bool,
    /// Each token's `upstreamArrayIndex` (-1 until a deep scan sets it).
    upstream: Vec<i32>,
    /// The same for tokens `length()` appended, which start at -1 each time.
    appended_upstream: i32,
    /// A function's first argument path as `length()` and `cleanWildcardPathToken` left it.
    mutated: HashMap<u32, Vec<TokRef>>,
    /// A function's path arguments as first evaluated, and under which configuration
    /// (Jayway keeps them while the configuration object stays the same).
    arguments: HashMap<u32, (u32, Rc<Vec<PathValue<'a>>>)>,
    /// Configurations handed out: 0 is the read's own; each existence test makes another.
    configurations: u32,
    _path: std::marker::PhantomData<&'p ()>,
}

/// One path's evaluation (Jayway's `EvaluationContextImpl`).
pub(crate) struct Pc<'a, 'p> {
    pub path: &'p PathExpr,
    pub seq: Vec<TokRef>,
    /// Upstream definiteness of each token of `seq`.
    up: Vec<bool>,
    pub results: Vec<Val<'a>>,
    /// The document (`$` in filters), which `length()` may replace with the current value.
    pub root: Val<'a>,
    /// Jayway's `Option.REQUIRE_PROPERTIES`, set while an existence test runs.
    pub require: bool,
    pub config: u32,
    /// `$`-rooted filter paths already evaluated in this context.
    pub cache: HashMap<*const PathExpr, PathValue<'a>>,
}

impl<'a, 'p> Eval<'a, 'p> {
    pub fn new(slots: u32) -> Self {
        Eval {
            steps: 0,
            truncated: false,
            upstream: vec![-1; slots as usize],
            appended_upstream: -1,
            mutated: HashMap::new(),
            arguments: HashMap::new(),
            configurations: 0,
            _path: std::marker::PhantomData,
        }
    }

    /// Spends `n` units of work; fails with `Budget` once [`MAX_STEPS`] are spent.
    pub fn spend(&mut self, n: usize) -> EvalResult<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > MAX_STEPS {
            self.truncated = true;
            return Err(Fail::Budget);
        }
        Ok(())
    }

    pub fn new_configuration(&mut self) -> u32 {
        self.configurations += 1;
        self.configurations
    }

    /// The context for evaluating `path` on `model` (Jayway's `path.evaluate(model, root, conf)`).
    pub fn context(&self, path: &'p PathExpr, seq: Vec<TokRef>, root: Val<'a>, require: bool, config: u32) -> Pc<'a, 'p> {
        let up = if seq == path.seq {
            path.upstream_definite.clone()
        } else {
            let n = seq.len();
            let mut up = Vec::with_capacity(n);
            let mut u = path.upstream_definite.first().copied().unwrap_or(true);
            for (k, &t) in seq.iter().enumerate() {
                up.push(u);
                u = u && token_definite(tok_kind(path, t), k + 1 == n);
            }
            up
        };
        Pc { path, seq, up, results: Vec::new(), root, require, config, cache: HashMap::new() }
    }

    pub fn set_mutated(&mut self, slot: u32, seq: Vec<TokRef>) {
        self.mutated.insert(slot, seq);
    }

    /// A token `length()` appends is new: its deep-scan index starts unset.
    pub fn reset_appended(&mut self) {
        self.appended_upstream = -1;
    }

    pub fn arguments_get(&self, slot: u32, config: u32) -> Option<Rc<Vec<PathValue<'a>>>> {
        self.arguments.get(&slot).filter(|(c, _)| *c == config).map(|(_, v)| v.clone())
    }

    pub fn arguments_put(&mut self, slot: u32, config: u32, values: Rc<Vec<PathValue<'a>>>) {
        self.arguments.insert(slot, (config, values));
    }

    /// The tokens `path` has in this read (its first-argument role may have changed it).
    pub fn seq_of(&self, path: &'p PathExpr, function_slot: Option<u32>) -> Vec<TokRef> {
        function_slot.and_then(|s| self.mutated.get(&s)).cloned().unwrap_or_else(|| path.seq.clone())
    }

    /// Runs a context from its root: the root is the leaf, or the first token takes over.
    pub fn run(&mut self, pc: &mut Pc<'a, 'p>, model: Val<'a>) -> EvalResult<()> {
        if pc.seq.is_empty() {
            self.add_result(pc, model)
        } else {
            self.token(pc, 0, model)
        }
    }

    /// Evaluates `path` on `model` and takes its value (`getValue()`).
    pub fn value_of(&mut self, path: &'p PathExpr, seq: Vec<TokRef>, model: Val<'a>, root: Val<'a>, require: bool, config: u32) -> EvalResult<PathValue<'a>> {
        let mut pc = self.context(path, seq, root, require, config);
        self.run(&mut pc, model)?;
        get_value(path, pc.results)
    }

    pub fn add_result(&mut self, pc: &mut Pc<'a, 'p>, v: Val<'a>) -> EvalResult<()> {
        self.spend(1)?;
        if pc.results.len() >= MAX_SELECTED {
            self.truncated = true;
            return Err(Fail::Budget);
        }
        pc.results.push(v);
        Ok(())
    }

    fn slot(&self, pc: &Pc<'a, 'p>, k: usize) -> Option<u32> {
        match pc.seq[k] {
            TokRef::Orig(i) => Some(pc.path.tokens[i as usize].slot),
            TokRef::Appended => None,
        }
    }

    fn upstream_index(&self, pc: &Pc<'a, 'p>, k: usize) -> i32 {
        match self.slot(pc, k) {
            Some(s) => self.upstream[s as usize],
            None => self.appended_upstream,
        }
    }

    fn set_upstream_index(&mut self, pc: &Pc<'a, 'p>, k: usize, i: i32) {
        match self.slot(pc, k) {
            Some(s) => self.upstream[s as usize] = i,
            None => self.appended_upstream = i,
        }
    }

    fn leaf(pc: &Pc<'a, 'p>, k: usize) -> bool {
        k + 1 == pc.seq.len()
    }

    fn kind(pc: &Pc<'a, 'p>, k: usize) -> &'p TokenKind {
        tok_kind(pc.path, pc.seq[k])
    }

    fn token_definite(pc: &Pc<'a, 'p>, k: usize) -> bool {
        token_definite(Self::kind(pc, k), Self::leaf(pc, k))
    }

    /// Evaluates token `k` on `model` (Jayway's `evaluate` of each `PathToken`).
    pub fn token(&mut self, pc: &mut Pc<'a, 'p>, k: usize, model: Val<'a>) -> EvalResult<()> {
        self.spend(1)?;
        match Self::kind(pc, k) {
            TokenKind::Property(names) => {
                if !model.is_map() {
                    return if !pc.up[k] { Ok(()) } else { Err(Fail::NotFound) };
                }
                if names.len() == 1 || Self::leaf(pc, k) {
                    self.object_property(pc, k, &model, names)
                } else {
                    for name in names {
                        self.object_property(pc, k, &model, std::slice::from_ref(name))?;
                    }
                    Ok(())
                }
            }
            TokenKind::Index(indexes) => {
                if !self.check_array(pc, k, &model)? {
                    return Ok(());
                }
                for &i in indexes {
                    self.array_index(pc, k, i64::from(i), &model)?;
                }
                Ok(())
            }
            TokenKind::Slice(slice) => {
                if !self.check_array(pc, k, &model)? {
                    return Ok(());
                }
                let len = model.len() as i64;
                let (from, to) = match *slice {
                    Slice::From(f) => {
                        let f = i64::from(f);
                        let from = if f < 0 { len + f } else { f }.max(0);
                        if len == 0 || from >= len {
                            return Ok(());
                        }
                        (from, len)
                    }
                    Slice::Between(f, t) => {
                        let (f, t) = (i64::from(f), i64::from(t).min(len));
                        if f >= t || len == 0 {
                            return Ok(());
                        }
                        // Jayway does not normalise a negative start: it counts from the end for
                        // as long as it is negative. Only indexes that land inside are visited.
                        (f.max(-len), t)
                    }
                    Slice::To(t) => {
                        if len == 0 {
                            return Ok(());
                        }
                        let t = i64::from(t);
                        (0, if t < 0 { len + t } else { t }.min(len))
                    }
                };
                let mut i = from;
                while i < to {
                    self.array_index(pc, k, i, &model)?;
                    i += 1;
                }
                Ok(())
            }
            TokenKind::Wildcard => self.wildcard(pc, k, &model),
            TokenKind::Scan => self.scan(pc, k, model),
            TokenKind::Filter(expr) => {
                if model.is_map() {
                    if self.accept(pc, expr, &model)? {
                        if Self::leaf(pc, k) {
                            self.add_result(pc, model)?;
                        } else {
                            self.token(pc, k + 1, model)?;
                        }
                    }
                    Ok(())
                } else if model.is_array() {
                    let elements = model.children();
                    for (i, element) in elements.iter().enumerate() {
                        if self.accept(pc, expr, element)? {
                            self.array_index(pc, k, i as i64, &model)?;
                        }
                    }
                    Ok(())
                } else if pc.up[k] {
                    // "Filter can not be applied to primitives".
                    Err(Fail::Invalid)
                } else {
                    Ok(())
                }
            }
            TokenKind::Function(f) => self.function(pc, k, f, model),
        }
    }

    fn wildcard(&mut self, pc: &mut Pc<'a, 'p>, k: usize, model: &Val<'a>) -> EvalResult<()> {
        if model.is_map() {
            for key in model.keys() {
                self.object_property(pc, k, model, &[key])?;
            }
        } else if model.is_array() {
            for i in 0..model.len() {
                match self.array_index(pc, k, i as i64, model) {
                    Err(Fail::NotFound) if !pc.require => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }

    /// `handleObjectProperty`
    fn object_property(&mut self, pc: &mut Pc<'a, 'p>, k: usize, model: &Val<'a>, names: &[String]) -> EvalResult<()> {
        if let [name] = names {
            let Some(value) = model.get(name) else {
                if Self::leaf(pc, k) {
                    return if pc.require { Err(Fail::NotFound) } else { Ok(()) };
                }
                // Jayway skips a missing member when the path is indefinite so far.
                let indefinite = !(pc.up[k] && Self::token_definite(pc, k));
                return if indefinite && !pc.require { Ok(()) } else { Err(Fail::NotFound) };
            };
            if Self::leaf(pc, k) {
                let upstream = self.upstream_index(pc, k);
                if upstream == -1 || Some(upstream) == pc.path.tail_prev_index {
                    self.add_result(pc, value)?;
                }
                Ok(())
            } else {
                self.token(pc, k + 1, value)
            }
        } else {
            let mut merged = Map::new();
            for name in names {
                match model.get(name) {
                    Some(v) => {
                        merged.insert(name.clone(), v.to_value());
                    }
                    None if pc.require => return Err(Fail::NotFound),
                    None => {}
                }
            }
            self.add_result(pc, Val::Own(Rc::new(Value::Object(merged))))
        }
    }

    /// `checkArrayModel`: whether an array token applies here.
    fn check_array(&mut self, pc: &Pc<'a, 'p>, k: usize, model: &Val<'a>) -> EvalResult<bool> {
        if model.is_null() || !model.is_array() {
            return if !pc.up[k] { Ok(false) } else { Err(Fail::NotFound) };
        }
        Ok(true)
    }

    /// `handleArrayIndex`: element `index` (negative from the end), if there is one.
    fn array_index(&mut self, pc: &mut Pc<'a, 'p>, k: usize, index: i64, model: &Val<'a>) -> EvalResult<()> {
        let len = model.len() as i64;
        let effective = if index < 0 { len + index } else { index };
        if effective < 0 || effective >= len {
            return Ok(());
        }
        let Some(element) = model.at(effective as usize) else { return Ok(()) };
        if Self::leaf(pc, k) {
            self.add_result(pc, element)
        } else {
            self.token(pc, k + 1, element)
        }
    }

    /// `ScanPathToken`: every object and array under `model`, parents first, each tested with
    /// the next token's predicate. An explicit stack keeps Jayway's order without recursion.
    fn scan(&mut self, pc: &mut Pc<'a, 'p>, k: usize, model: Val<'a>) -> EvalResult<()> {
        if Self::leaf(pc, k) {
            // `next()` of a leaf: IllegalStateException.
            return Err(Fail::Other);
        }
        let pt = k + 1;
        let mut stack = vec![model];
        while let Some(m) = stack.pop() {
            self.spend(1)?;
            if m.is_map() {
                if self.scan_predicate(pc, pt, &m)? {
                    self.token(pc, pt, m.clone())?;
                }
            } else if m.is_array() {
                if self.scan_predicate(pc, pt, &m)? {
                    if Self::leaf(pc, pt) {
                        self.token(pc, pt, m.clone())?;
                    } else {
                        for (i, element) in m.children().into_iter().enumerate() {
                            self.set_upstream_index(pc, pt + 1, i as i32);
                            self.token(pc, pt + 1, element)?;
                        }
                    }
                }
            } else {
                continue;
            }
            let mut children = m.children();
            children.reverse();
            stack.extend(children);
        }
        Ok(())
    }

    /// `createScanPredicate`: which nodes a deep scan hands to the token after `..`.
    fn scan_predicate(&mut self, pc: &mut Pc<'a, 'p>, pt: usize, m: &Val<'a>) -> EvalResult<bool> {
        Ok(match Self::kind(pc, pt) {
            TokenKind::Property(names) => {
                m.is_map() && (!Self::token_definite(pc, pt) || names.iter().all(|n| m.get(n).is_some()))
            }
            TokenKind::Index(_) | TokenKind::Slice(_) => m.is_array(),
            TokenKind::Wildcard => true,
            TokenKind::Filter(expr) => self.accept(pc, expr, m)?,
            TokenKind::Scan | TokenKind::Function(_) => false,
        })
    }

    /// `PredicatePathToken.accept`: the filter on `item`; Jayway's `InvalidPathException`
    /// (and `PathNotFoundException`) make it false, other failures end the read.
    pub fn accept(&mut self, pc: &mut Pc<'a, 'p>, expr: &'p Expr, item: &Val<'a>) -> EvalResult<bool> {
        self.spend(1)?;
        match self.expr(pc, expr, item) {
            Ok(b) => Ok(b),
            Err(Fail::NotFound | Fail::Invalid) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn expr(&mut self, pc: &mut Pc<'a, 'p>, expr: &'p Expr, item: &Val<'a>) -> EvalResult<bool> {
        match expr {
            Expr::Or(es) => {
                for e in es {
                    if self.expr(pc, e, item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::And(es) => {
                for e in es {
                    if !self.expr(pc, e, item)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Not(e) => Ok(!self.expr(pc, e, item)?),
            Expr::Relation(r) => {
                let left = self.operand(pc, &r.left, item)?;
                let right = self.operand(pc, &r.right, item)?;
                self.relation(r.op, &left, &right)
            }
        }
    }
}

pub(crate) fn tok_kind(path: &PathExpr, t: TokRef) -> &TokenKind {
    static APPENDED: TokenKind = TokenKind::Wildcard;
    match t {
        TokRef::Orig(i) => &path.tokens[i as usize].kind,
        TokRef::Appended => &APPENDED,
    }
}

/// `EvaluationContextImpl.getValue()`: a definite path's last value (none: not found), an
/// indefinite path's list.
pub(crate) fn get_value<'a>(path: &PathExpr, mut results: Vec<Val<'a>>) -> EvalResult<PathValue<'a>> {
    if path.definite {
        results.pop().map(PathValue::One).ok_or(Fail::NotFound)
    } else {
        Ok(PathValue::List(Rc::new(results)))
    }
}
