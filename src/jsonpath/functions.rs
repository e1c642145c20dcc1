//! Jayway's path functions (`PathFunctionFactory`): `min`, `max`, `avg`, `stddev`, `sum`,
//! `length` (and its alias `size`), `concat`, `append`, `keys`, `first`, `last`, `index`.
//! A function applies to the value the path reached (and its arguments); an unknown name fails
//! only when evaluated, as in Jayway.
//!
//! Their quirks are Jayway's: `max()` of negative numbers is 4.9E-324 (it starts from
//! `Double.MIN_VALUE`), `last()` of a one-element array fails, numeric functions of nothing fail,
//! `length()` of a string is null, `append()` returns the array with the values added.

use std::rc::Rc;

use serde_json::{Number, Value};

use super::eval::{Eval, EvalResult, Fail, Pc, PathValue, Val};
use super::model::*;
use super::number::{java_double_string, java_int_value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avg,
    StdDev,
    Sum,
    Min,
    Max,
    Concat,
    Length,
    Append,
    Keys,
    First,
    Last,
    Index,
}

fn lookup(name: &str) -> Option<Kind> {
    Some(match name {
        "avg" => Kind::Avg,
        "stddev" => Kind::StdDev,
        "sum" => Kind::Sum,
        "min" => Kind::Min,
        "max" => Kind::Max,
        "concat" => Kind::Concat,
        "length" | "size" => Kind::Length,
        "append" => Kind::Append,
        "keys" => Kind::Keys,
        "first" => Kind::First,
        "last" => Kind::Last,
        "index" => Kind::Index,
        _ => return None,
    })
}

/// An argument's value (`Parameter.getValue()`).
#[derive(Clone)]
enum Arg<'a> {
    Path(PathValue<'a>),
    /// JSON text read with json-smart; unreadable text fails the function that reads it.
    Json(Result<Value, ()>),
}

impl<'a, 'p> Eval<'a, 'p> {
    /// `FunctionPathToken.evaluate`: the function's result is a result of the path, and what
    /// follows the function (if anything) goes on from it.
    pub fn function(&mut self, pc: &mut Pc<'a, 'p>, k: usize, f: &'p Function, model: Val<'a>) -> EvalResult<()> {
        let Some(kind) = lookup(&f.name) else { return Err(Fail::Invalid) };
        let slot = match pc.seq[k] {
            TokRef::Orig(i) => pc.path.tokens[i as usize].slot,
            TokRef::Appended => return Err(Fail::Other),
        };
        let args = self.arguments_of(pc, f, slot)?;
        let result = self.invoke(pc, kind, f, slot, &model, &args)?;
        self.add_result(pc, result.clone())?;
        self.clean_wildcard(f, slot);
        if k + 1 < pc.seq.len() {
            self.token(pc, k + 1, result)?;
        }
        Ok(())
    }

    /// `evaluateParameters`: path arguments are read from the document's root now; Jayway keeps
    /// the first values while the configuration object stays the same.
    fn arguments_of(&mut self, pc: &Pc<'a, 'p>, f: &'p Function, slot: u32) -> EvalResult<Vec<Arg<'a>>> {
        let Some(params) = &f.params else { return Ok(Vec::new()) };
        let mut fresh = Vec::new();
        for (i, p) in params.iter().enumerate() {
            if let Param::Path(path) = p {
                let seq = self.seq_of(path, (i == 0).then_some(slot));
                fresh.push(self.value_of(path, seq, pc.root.clone(), pc.root.clone(), pc.require, pc.config)?);
            }
        }
        let paths = match self.arguments_get(slot, pc.config) {
            Some(kept) => kept,
            None => {
                let fresh = Rc::new(fresh);
                self.arguments_put(slot, pc.config, fresh.clone());
                fresh
            }
        };
        let mut paths = paths.iter();
        let mut out = Vec::with_capacity(params.len());
        for p in params {
            out.push(match p {
                Param::Path(_) => Arg::Path(paths.next().cloned().ok_or(Fail::Other)?),
                Param::Json(j) => Arg::Json(j.parsed.clone().map_err(|_| ())),
            });
        }
        Ok(out)
    }

    fn invoke(&mut self, pc: &Pc<'a, 'p>, kind: Kind, f: &'p Function, slot: u32, model: &Val<'a>, args: &[Arg<'a>]) -> EvalResult<Val<'a>> {
        Ok(match kind {
            Kind::Avg | Kind::StdDev | Kind::Sum | Kind::Min | Kind::Max => {
                let mut numbers: Vec<f64> = Vec::new();
                if let Some(Value::Array(a)) = model.value() {
                    numbers.extend(a.iter().filter_map(|v| v.as_f64()));
                }
                for a in args {
                    collect_numbers(a, &mut numbers)?;
                }
                self.spend(numbers.len())?;
                if numbers.is_empty() {
                    return Err(Fail::Other);
                }
                let n = numbers.len() as f64;
                let result = match kind {
                    Kind::Sum => numbers.iter().fold(0.0, |s, x| s + x),
                    Kind::Avg => numbers.iter().fold(0.0, |s, x| s + x) / n,
                    Kind::Min => numbers.iter().fold(f64::MAX, |m, &x| if m > x { x } else { m }),
                    // Java's Double.MIN_VALUE, the smallest positive double, is where max() starts.
                    Kind::Max => numbers.iter().fold(f64::from_bits(1), |m, &x| if m < x { x } else { m }),
                    _ => {
                        let (sum, sum_sq) = numbers.iter().fold((0.0, 0.0), |(s, q), x| (s + x, q + x * x));
                        (sum_sq / n - sum * sum / n / n).sqrt()
                    }
                };
                double(result)
            }
            Kind::Concat => {
                let mut s = String::new();
                if let Some(Value::Array(a)) = model.value() {
                    for v in a {
                        if let Value::String(x) = v {
                            s.push_str(x);
                        }
                    }
                }
                for a in args {
                    self.spend(1)?;
                    collect_strings(a, &mut s)?;
                    if s.len() > 1 << 20 {
                        return Err(Fail::Budget);
                    }
                }
                Val::Own(Rc::new(Value::String(s)))
            }
            Kind::Length => {
                if let Some(first) = f.params.as_ref().and_then(|p| p.first()) {
                    let Param::Path(path) = first else { return Err(Fail::Other) };
                    // Jayway appends a wildcard to the argument path (so it reads the children of
                    // what it selects) and evaluates it on the current value.
                    let mut seq = self.seq_of(path, Some(slot));
                    if !path.function && !seq.is_empty() {
                        seq.push(TokRef::Appended);
                        self.set_mutated(slot, seq.clone());
                        self.reset_appended();
                    }
                    let inner = self.value_of(path, seq, model.clone(), model.clone(), pc.require, pc.config)?;
                    match inner {
                        PathValue::List(l) => return Ok(integer(l.len())),
                        PathValue::One(v) if v.is_array() => return Ok(integer(v.len())),
                        _ => {}
                    }
                }
                if model.is_array() || model.is_map() {
                    integer(model.len())
                } else {
                    Val::Own(Rc::new(Value::Null))
                }
            }
            Kind::Append => {
                let Some(Value::Array(a)) = model.value() else { return Ok(model.clone()) };
                if args.is_empty() {
                    return Ok(model.clone());
                }
                self.spend(a.len())?;
                let mut out = a.clone();
                for arg in args {
                    out.push(match arg {
                        Arg::Json(v) => v.clone().map_err(|_| Fail::Other)?,
                        Arg::Path(PathValue::One(v)) => v.to_value(),
                        Arg::Path(PathValue::List(l)) => Value::Array(l.iter().map(Val::to_value).collect()),
                    });
                }
                Val::Own(Rc::new(Value::Array(out)))
            }
            Kind::Keys => {
                if model.is_map() {
                    Val::Keys(Rc::new(model.keys()))
                } else {
                    Val::Own(Rc::new(Value::Null))
                }
            }
            Kind::First | Kind::Last | Kind::Index => {
                if !model.is_array() {
                    return Err(Fail::Other);
                }
                let len = model.len() as i64;
                let target: i64 = match kind {
                    Kind::First => 0,
                    Kind::Last => -1,
                    _ => {
                        let mut numbers = Vec::new();
                        for a in args {
                            collect_ints(a, &mut numbers)?;
                        }
                        i64::from(*numbers.first().ok_or(Fail::Other)?)
                    }
                };
                let index = if target >= 0 {
                    target
                } else {
                    // Jayway requires the index from the end to land above 0.
                    let real = len + target;
                    if real <= 0 {
                        return Err(Fail::Other);
                    }
                    real
                };
                model.at(usize::try_from(index).map_err(|_| Fail::Other)?).ok_or(Fail::Other)?
            }
        })
    }

    /// `cleanWildcardPathToken`: after any function with arguments, Jayway drops the first
    /// wildcard after the first token of its first argument path (undoing `length()`'s).
    fn clean_wildcard(&mut self, f: &'p Function, slot: u32) {
        let Some(Param::Path(path)) = f.params.as_ref().and_then(|p| p.first()) else { return };
        if path.function {
            return;
        }
        let mut seq = self.seq_of(path, Some(slot));
        let found = (1..seq.len()).find(|&j| tok_wildcard(path, seq[j]));
        if let Some(j) = found {
            seq.remove(j);
            self.set_mutated(slot, seq);
        }
    }
}

fn tok_wildcard(path: &PathExpr, t: TokRef) -> bool {
    match t {
        TokRef::Orig(i) => matches!(path.tokens[i as usize].kind, TokenKind::Wildcard),
        TokRef::Appended => true,
    }
}

fn integer<'a>(n: usize) -> Val<'a> {
    Val::Own(Rc::new(Value::from(n as i64)))
}

fn double<'a>(f: f64) -> Val<'a> {
    match Number::from_f64(f) {
        Some(n) => Val::Own(Rc::new(Value::Number(n))),
        None => Val::NonFinite(f),
    }
}

/// `Parameter.toList(Number.class, …)`: an array's numbers, or the value if it is one.
fn collect_numbers(arg: &Arg<'_>, out: &mut Vec<f64>) -> EvalResult<()> {
    let mut one = |v: &Val<'_>| match v {
        Val::NonFinite(f) => out.push(*f),
        _ => match v.value() {
            Some(Value::Array(a)) => out.extend(a.iter().filter_map(Value::as_f64)),
            Some(Value::Number(n)) => out.extend(n.as_f64()),
            _ => {}
        },
    };
    match arg {
        Arg::Json(Ok(v)) => one(&Val::Ref(v)),
        Arg::Json(Err(())) => return Err(Fail::Other),
        Arg::Path(PathValue::One(v)) => one(v),
        Arg::Path(PathValue::List(l)) => {
            for v in l.iter() {
                match v {
                    Val::NonFinite(f) => out.push(*f),
                    _ => out.extend(v.value().and_then(Value::as_f64)),
                }
            }
        }
    }
    Ok(())
}

/// The same for `Number.intValue()` of each (for `index()`).
fn collect_ints(arg: &Arg<'_>, out: &mut Vec<i32>) -> EvalResult<()> {
    let mut push = |v: &Val<'_>| match v {
        Val::NonFinite(f) => out.push(*f as i32),
        _ => {
            if let Some(Value::Number(n)) = v.value() {
                out.push(java_int_value(n));
            }
        }
    };
    match arg {
        Arg::Json(Ok(Value::Array(a))) => a.iter().for_each(|v| push(&Val::Ref(v))),
        Arg::Json(Ok(v)) => push(&Val::Ref(v)),
        Arg::Json(Err(())) => return Err(Fail::Other),
        Arg::Path(PathValue::One(v)) => match v.value() {
            Some(Value::Array(a)) => a.iter().for_each(|x| push(&Val::Ref(x))),
            _ => push(v),
        },
        Arg::Path(PathValue::List(l)) => l.iter().for_each(push),
    }
    Ok(())
}

/// `Parameter.toList(String.class, …)`: strings as they are, anything else (not null) by its
/// Java `toString()`.
fn collect_strings(arg: &Arg<'_>, out: &mut String) -> EvalResult<()> {
    let mut one = |v: &Val<'_>| -> EvalResult<()> {
        match v {
            Val::NonFinite(f) => out.push_str(&java_double_string(*f)),
            Val::Keys(k) => {
                out.push('[');
                out.push_str(&k.join(", "));
                out.push(']');
            }
            _ => match v.value() {
                Some(Value::String(s)) => out.push_str(s),
                Some(Value::Null) | None => {}
                Some(other) => java_to_string(other, out)?,
            },
        }
        Ok(())
    };
    match arg {
        Arg::Json(Ok(Value::Array(a))) => a.iter().try_for_each(|v| one(&Val::Ref(v))),
        Arg::Json(Ok(v)) => one(&Val::Ref(v)),
        Arg::Json(Err(())) => Err(Fail::Other),
        Arg::Path(PathValue::One(v)) => match v.value() {
            Some(Value::Array(a)) => a.iter().try_for_each(|x| one(&Val::Ref(x))),
            _ => one(v),
        },
        Arg::Path(PathValue::List(l)) => l.iter().try_for_each(one),
    }
}

/// Java's `toString()` of a value json-smart made: numbers and booleans as Java prints them, a
/// string as it is, an object as `java.util.LinkedHashMap` prints (`{k=v, k2=v2}`), an array
/// as json-smart's `JSONArray` (compact JSON, `/` escaped as `\/`).
fn java_to_string(v: &Value, out: &mut String) -> EvalResult<()> {
    java_to_string_at(v, out, 0)
}

fn java_to_string_at(v: &Value, out: &mut String, depth: usize) -> EvalResult<()> {
    if depth > 200 || out.len() > 1 << 20 {
        return Err(Fail::Budget);
    }
    match v {
        Value::String(s) => out.push_str(s),
        Value::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                java_to_string_at(x, out, depth + 1)?;
            }
            out.push('}');
        }
        other => json_smart_string(other, out)?,
    }
    Ok(())
}

/// json-smart's `toJSONString`: compact JSON, strings escaped as `JStylerObj.ESCAPE4Web` does,
/// numbers as Java prints them.
fn json_smart_string(v: &Value, out: &mut String) -> EvalResult<()> {
    // json-smart recurses; this walks with a stack of what is left to write.
    enum Item<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut stack = vec![Item::Value(v)];
    while let Some(item) = stack.pop() {
        if out.len() > 1 << 20 {
            return Err(Fail::Budget);
        }
        match item {
            Item::Text(t) => out.push_str(t),
            Item::Key(k) => {
                escape_json_smart(k, out);
                out.push(':');
            }
            Item::Value(v) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Number(n) => out.push_str(&super::number::java_number_string(n)),
                Value::String(s) => escape_json_smart(s, out),
                Value::Array(a) => {
                    out.push('[');
                    stack.push(Item::Text("]"));
                    for (i, x) in a.iter().enumerate().rev() {
                        stack.push(Item::Value(x));
                        if i > 0 {
                            stack.push(Item::Text(","));
                        }
                    }
                }
                Value::Object(o) => {
                    out.push('{');
                    stack.push(Item::Text("}"));
                    let entries: Vec<_> = o.iter().collect();
                    for (i, (k, x)) in entries.into_iter().enumerate().rev() {
                        stack.push(Item::Value(x));
                        stack.push(Item::Key(k));
                        if i > 0 {
                            stack.push(Item::Text(","));
                        }
                    }
                }
            },
        }
    }
    Ok(())
}

/// json-smart's `JStylerObj.ESCAPE4Web`, quotes included.
fn escape_json_smart(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '/' => out.push_str("\\/"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
