//! Filter operands and operators as Jayway evaluates them: its `ValueNode`s (a path's value
//! becomes a string, number, boolean, null, JSON or "undefined" node) and the evaluators of
//! `EvaluatorFactory`, with Java's equality underneath (`'1' == 1` holds, `1 == '1.0'` holds,
//! `'1.0' == 1` does not: the left side decides, as `left.equals(right)` does in Java).

use std::cmp::Ordering;
use std::rc::Rc;

use serde_json::Value;

use super::eval::{Eval, EvalResult, Fail, Pc, PathValue, Val};
use super::model::*;
use super::number::Decimal;
use super::parser::{compile_chars, java_trim, unescape, Session};
use super::regex::JavaRegex;
use super::smart::parse_permissive;

/// A string, borrowed from the document or the path, or made.
#[derive(Clone, Debug)]
pub(crate) enum Text<'a, 'p> {
    Doc(&'a str),
    Lit(&'p str),
    Own(Rc<str>),
}

impl std::ops::Deref for Text<'_, '_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Doc(s) => s,
            Text::Lit(s) => s,
            Text::Own(s) => s,
        }
    }
}

/// Jayway's `ValueNode`, as far as a path can make one.
#[derive(Clone, Debug)]
pub(crate) enum Node<'a, 'p> {
    Str(Text<'a, 'p>),
    Num(Decimal),
    Bool(bool),
    Null,
    /// A path that selected nothing.
    Undefined,
    Json(JsonNode<'a, 'p>),
    Regex(&'p JavaRegex),
    /// A string in a list that reads as a path (`"$.x"`): Jayway makes it a path node, which
    /// equals nothing.
    PathLike,
}

/// Jayway's `JsonNode`: JSON text not yet read (a literal in the path, or a string in a list
/// that reads as JSON), or values a path selected.
#[derive(Clone, Debug)]
pub(crate) enum JsonNode<'a, 'p> {
    Literal(&'p JsonLiteral),
    Text(Rc<str>),
    Value(Val<'a>),
    List(Rc<Vec<Val<'a>>>),
}

/// JSON held one way or another, for Java's `equals` and for iterating.
#[derive(Clone, Copy)]
enum JRef<'x, 'a> {
    V(&'x Value),
    L(&'x [Val<'a>]),
    Keys(&'x [String]),
    NonFinite(f64),
}

impl<'x, 'a> JRef<'x, 'a> {
    fn of_val(v: &'x Val<'a>) -> JRef<'x, 'a> {
        match v {
            Val::Ref(v) => JRef::V(v),
            Val::Own(v) => JRef::V(v),
            Val::Keys(k) => JRef::Keys(k),
            Val::NonFinite(f) => JRef::NonFinite(*f),
        }
    }
}

impl<'a, 'p> Eval<'a, 'p> {
    /// A filter operand's node (`PathNode.evaluate` for paths).
    pub fn operand(&mut self, pc: &mut Pc<'a, 'p>, op: &'p Operand, item: &Val<'a>) -> EvalResult<Node<'a, 'p>> {
        Ok(match op {
            Operand::Str(s) => Node::Str(Text::Lit(s)),
            Operand::Num(d) => Node::Num(d.clone()),
            Operand::Bool(b) => Node::Bool(*b),
            Operand::Null => Node::Null,
            Operand::Json(j) => Node::Json(JsonNode::Literal(j)),
            Operand::Regex(r) => Node::Regex(r),
            Operand::Path(p) => match p.exists {
                Some(_) => {
                    // An existence test runs on the current item (even a `$` path), with
                    // REQUIRE_PROPERTIES, in a configuration of its own.
                    let config = self.new_configuration();
                    let seq = p.path.seq.clone();
                    let found = match self.value_of(&p.path, seq, item.clone(), pc.root.clone(), true, config) {
                        Ok(_) => true,
                        Err(Fail::NotFound) => false,
                        Err(e) => return Err(e),
                    };
                    Node::Bool(found)
                }
                None => {
                    let value = if p.path.is_root_path {
                        let key = &p.path as *const PathExpr;
                        match pc.cache.get(&key) {
                            Some(v) => Ok(v.clone()),
                            None => {
                                let v = self.value_of(&p.path, p.path.seq.clone(), pc.root.clone(), pc.root.clone(), pc.require, pc.config);
                                if let Ok(v) = &v {
                                    pc.cache.insert(key, v.clone());
                                }
                                v
                            }
                        }
                    } else {
                        self.value_of(&p.path, p.path.seq.clone(), item.clone(), pc.root.clone(), pc.require, pc.config)
                    };
                    match value {
                        Ok(v) => node_of(v)?,
                        Err(Fail::NotFound) => Node::Undefined,
                        Err(e) => return Err(e),
                    }
                }
            },
        })
    }

    /// Applies a relational operator (`EvaluatorFactory`).
    pub fn relation(&mut self, op: Op, l: &Node<'a, 'p>, r: &Node<'a, 'p>) -> EvalResult<bool> {
        use Node::*;
        match op {
            Op::Exists => match (l, r) {
                (Bool(a), Bool(b)) => Ok(a == b),
                (Bool(_), _) | (_, Bool(_)) => Err(Fail::Invalid),
                _ => Err(Fail::Other),
            },
            Op::Eq => self.equals_evaluator(l, r),
            Op::Ne => Ok(!self.equals_evaluator(l, r)?),
            Op::TsEq => Ok(same_class(l, r) && self.equals_evaluator(l, r)?),
            Op::TsNe => Ok(!(same_class(l, r) && self.equals_evaluator(l, r)?)),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let ord = match (l, r) {
                    (Num(a), Num(b)) => a.cmp_value(b),
                    (Str(a), Str(b)) => utf16_cmp(a, b),
                    _ => return Ok(false),
                };
                Ok(match op {
                    Op::Lt => ord.is_lt(),
                    Op::Le => ord.is_le(),
                    Op::Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
            Op::Size => {
                let Num(n) = r else { return Ok(false) };
                let n = n.int_value();
                match l {
                    Str(s) => Ok(utf16_len(s) == i64::from(n)),
                    Json(j) => Ok(self.json_length(j)? == i64::from(n)),
                    _ => Ok(false),
                }
            }
            Op::Empty => match l {
                Str(s) => match r {
                    Bool(b) => Ok(s.is_empty() == *b),
                    _ => Err(Fail::Invalid),
                },
                Json(j) => {
                    let empty = self.json_is_empty(j)?;
                    match r {
                        Bool(b) => Ok(empty == *b),
                        _ => Err(Fail::Invalid),
                    }
                }
                _ => Ok(false),
            },
            Op::In | Op::Nin => {
                let found = match r {
                    Json(j) => match self.value_list(j)? {
                        None => false,
                        Some(list) => self.list_contains(&list, l)?,
                    },
                    _ => return Err(Fail::Invalid),
                };
                Ok(if op == Op::In { found } else { !found })
            }
            Op::Contains => match (l, r) {
                (Str(a), Str(b)) => {
                    self.spend(a.len() / 64)?;
                    Ok(a.contains(&**b))
                }
                (Json(j), _) => match self.value_list(j)? {
                    None => Ok(false),
                    Some(list) => self.list_contains(&list, r),
                },
                _ => Ok(false),
            },
            // `right.asValueListNode()` throws for anything a path can write.
            Op::All | Op::Type | Op::Matches => Err(Fail::Invalid),
            Op::SubsetOf | Op::AnyOf | Op::NoneOf => {
                let Json(rj) = r else { return Err(Fail::Invalid) };
                let Some(right) = self.value_list(rj)? else { return Ok(false) };
                let Json(lj) = l else { return Err(Fail::Invalid) };
                let Some(left) = self.value_list(lj)? else { return Ok(false) };
                match op {
                    Op::SubsetOf => {
                        for a in &left {
                            if !self.list_contains(&right, a)? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                    _ => {
                        let mut any = false;
                        'outer: for a in &left {
                            for b in &right {
                                if self.node_equals(a, b)? {
                                    any = true;
                                    break 'outer;
                                }
                            }
                        }
                        Ok(if op == Op::AnyOf { any } else { !any })
                    }
                }
            }
            Op::Regex => {
                let (pattern, other) = match (l, r) {
                    (Regex(p), o) if !matches!(o, Regex(_)) => (*p, o),
                    (o, Regex(p)) if !matches!(o, Regex(_)) => (*p, o),
                    _ => return Ok(false),
                };
                if let Json(j) = other {
                    if self.json_is_array(j)? {
                        let list = self.value_list(j)?.unwrap_or_default();
                        for n in &list {
                            if self.regex_matches(pattern, &regex_input(n))? {
                                return Ok(true);
                            }
                        }
                        return Ok(false);
                    }
                }
                self.regex_matches(pattern, &regex_input(other))
            }
        }
    }

    fn regex_matches(&mut self, pattern: &JavaRegex, s: &str) -> EvalResult<bool> {
        self.spend(s.len().saturating_mul(pattern.threads.saturating_add(4) as usize).saturating_add(10))?;
        Ok(pattern.matches(s))
    }

    /// `EqualsEvaluator`: two JSON nodes compare the left's JSON as held with the right's read.
    fn equals_evaluator(&mut self, l: &Node<'a, 'p>, r: &Node<'a, 'p>) -> EvalResult<bool> {
        if let (Node::Json(a), Node::Json(b)) = (l, r) {
            let right = self.parse_json(b)?;
            return match a {
                JsonNode::Literal(_) | JsonNode::Text(_) => Ok(false),
                JsonNode::Value(v) => self.java_equals(JRef::of_val(v), right.as_ref()),
                JsonNode::List(list) => self.java_equals(JRef::L(list), right.as_ref()),
            };
        }
        self.node_equals(l, r)
    }

    /// `left.equals(right)` for two nodes.
    pub fn node_equals(&mut self, l: &Node<'a, 'p>, r: &Node<'a, 'p>) -> EvalResult<bool> {
        use Node::*;
        self.spend(1)?;
        Ok(match (l, r) {
            (Str(a), Str(b)) => **a == **b,
            (Str(a), Num(b)) => **a == b.java_string(),
            (Num(a), Num(b)) => a.cmp_value(b) == Ordering::Equal,
            (Num(a), Str(b)) => Decimal::parse(b).is_some_and(|b| a.cmp_value(&b) == Ordering::Equal),
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (Json(a), Json(b)) => match (a, b) {
                (JsonNode::Literal(x), JsonNode::Literal(y)) => x.text == y.text,
                (JsonNode::Literal(x), JsonNode::Text(y)) => *x.text == **y,
                (JsonNode::Text(x), JsonNode::Literal(y)) => **x == *y.text,
                (JsonNode::Text(x), JsonNode::Text(y)) => x == y,
                (JsonNode::Value(x), JsonNode::Value(y)) => return self.java_equals(JRef::of_val(x), JRef::of_val(y)),
                (JsonNode::Value(x), JsonNode::List(y)) => return self.java_equals(JRef::of_val(x), JRef::L(y)),
                (JsonNode::List(x), JsonNode::Value(y)) => return self.java_equals(JRef::L(x), JRef::of_val(y)),
                (JsonNode::List(x), JsonNode::List(y)) => return self.java_equals(JRef::L(x), JRef::L(y)),
                _ => false,
            },
            _ => false,
        })
    }

    /// A JSON node's JSON, read if it is text (`JsonNode.parse`); unreadable text ends the read.
    fn parse_json(&mut self, j: &JsonNode<'a, 'p>) -> EvalResult<Held<'a, 'p>> {
        Ok(match j {
            JsonNode::Literal(lit) => match &lit.parsed {
                Ok(v) => Held::Borrowed(v),
                Err(_) => return Err(Fail::Other),
            },
            JsonNode::Text(t) => Held::Owned(parse_permissive(t).map_err(|_| Fail::Other)?),
            JsonNode::Value(v) => Held::Val(v.clone()),
            JsonNode::List(l) => Held::List(l.clone()),
        })
    }

    fn json_is_array(&mut self, j: &JsonNode<'a, 'p>) -> EvalResult<bool> {
        let held = self.parse_json(j)?;
        Ok(match held.as_ref() {
            JRef::V(v) => v.is_array(),
            JRef::L(_) => true,
            _ => false,
        })
    }

    /// `JsonNode.length`: an array's size, -1 for anything else.
    fn json_length(&mut self, j: &JsonNode<'a, 'p>) -> EvalResult<i64> {
        let held = self.parse_json(j)?;
        Ok(match held.as_ref() {
            JRef::V(Value::Array(a)) => a.len() as i64,
            JRef::L(l) => l.len() as i64,
            _ => -1,
        })
    }

    /// `JsonNode.isEmpty`
    fn json_is_empty(&mut self, j: &JsonNode<'a, 'p>) -> EvalResult<bool> {
        let held = self.parse_json(j)?;
        Ok(match held.as_ref() {
            JRef::V(Value::Array(a)) => a.is_empty(),
            // `(Collection) map` is a ClassCastException in Jayway: the read fails.
            JRef::V(Value::Object(_)) => return Err(Fail::Other),
            JRef::V(Value::String(s)) => s.is_empty(),
            JRef::L(l) => l.is_empty(),
            _ => true,
        })
    }

    /// `JsonNode.asValueListNode`: None when the JSON is not an array; each element made a node
    /// (an object or array element ends the read, as Jayway cannot make a node of it).
    fn value_list(&mut self, j: &JsonNode<'a, 'p>) -> EvalResult<Option<Vec<Node<'a, 'p>>>> {
        let held = self.parse_json(j)?;
        let mut out = Vec::new();
        match held.as_ref() {
            JRef::V(Value::Array(a)) => {
                for e in a {
                    out.push(self.value_node(e)?);
                }
            }
            JRef::L(list) => {
                for e in list {
                    match e.value() {
                        Some(v) => out.push(self.value_node(v)?),
                        None => return Err(Fail::Other),
                    }
                }
            }
            _ => return Ok(None),
        }
        Ok(Some(out))
    }

    /// `ValueNode.toValueNode` for a list element.
    fn value_node(&mut self, value: &Value) -> EvalResult<Node<'a, 'p>> {
        self.spend(1)?;
        Ok(match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Num(Decimal::of_number(n)),
            Value::String(s) => {
                self.spend(s.len() / 8)?;
                let trimmed = java_trim(s);
                if trimmed.starts_with(['@', '$']) && compiles(&trimmed) {
                    Node::PathLike
                } else if trimmed.chars().count() > 1
                    && ((trimmed.starts_with('[') && trimmed.ends_with(']')) || (trimmed.starts_with('{') && trimmed.ends_with('}')))
                    && parse_permissive(&trimmed).is_ok()
                {
                    Node::Json(JsonNode::Text(Rc::from(s.as_str())))
                } else {
                    Node::Str(Text::Own(Rc::from(string_node(s)?)))
                }
            }
            Value::Array(_) | Value::Object(_) => return Err(Fail::Other),
        })
    }

    /// `ValueListNode.contains(node)`: `node.equals(element)` for some element.
    fn list_contains(&mut self, list: &[Node<'a, 'p>], node: &Node<'a, 'p>) -> EvalResult<bool> {
        for e in list {
            if self.node_equals(node, e)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Java's `equals` on JSON held as Jayway's provider holds it: lists in order, objects as
    /// maps (member order does not matter), integers and doubles as different classes.
    fn java_equals(&mut self, a: JRef<'_, 'a>, b: JRef<'_, 'a>) -> EvalResult<bool> {
        let mut pairs = vec![(a, b)];
        while let Some((a, b)) = pairs.pop() {
            self.spend(1)?;
            match (a, b) {
                (JRef::V(x), JRef::V(y)) => match (x, y) {
                    (Value::Null, Value::Null) => {}
                    (Value::Bool(p), Value::Bool(q)) if p == q => {}
                    (Value::String(p), Value::String(q)) if p == q => {}
                    (Value::Number(p), Value::Number(q)) => {
                        let same = match (p.is_f64(), q.is_f64()) {
                            (true, true) => p.as_f64().map(f64::to_bits) == q.as_f64().map(f64::to_bits),
                            (false, false) => p.as_i64().map(i128::from).or(p.as_u64().map(i128::from)) == q.as_i64().map(i128::from).or(q.as_u64().map(i128::from)),
                            _ => false,
                        };
                        if !same {
                            return Ok(false);
                        }
                    }
                    (Value::Array(p), Value::Array(q)) if p.len() == q.len() => pairs.extend(p.iter().zip(q).map(|(x, y)| (JRef::V(x), JRef::V(y)))),
                    (Value::Object(p), Value::Object(q)) if p.len() == q.len() => {
                        for (key, x) in p {
                            match q.get(key) {
                                Some(y) => pairs.push((JRef::V(x), JRef::V(y))),
                                None => return Ok(false),
                            }
                        }
                    }
                    _ => return Ok(false),
                },
                (JRef::L(x), JRef::L(y)) => {
                    if x.len() != y.len() {
                        return Ok(false);
                    }
                    for (p, q) in x.iter().zip(y) {
                        if !self.java_equals(JRef::of_val(p), JRef::of_val(q))? {
                            return Ok(false);
                        }
                    }
                }
                (JRef::L(x), JRef::V(Value::Array(y))) | (JRef::V(Value::Array(y)), JRef::L(x)) => {
                    if x.len() != y.len() {
                        return Ok(false);
                    }
                    for (p, q) in x.iter().zip(y) {
                        if !self.java_equals(JRef::of_val(p), JRef::V(q))? {
                            return Ok(false);
                        }
                    }
                }
                (JRef::Keys(x), JRef::Keys(y)) => {
                    if x.len() != y.len() || !x.iter().all(|k| y.contains(k)) {
                        return Ok(false);
                    }
                }
                (JRef::NonFinite(x), JRef::NonFinite(y)) if x.to_bits() == y.to_bits() => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }
}

/// JSON a node holds, borrowed or made.
enum Held<'a, 'p> {
    Borrowed(&'p Value),
    Owned(Value),
    Val(Val<'a>),
    List(Rc<Vec<Val<'a>>>),
}

impl<'a> Held<'a, '_> {
    fn as_ref(&self) -> JRef<'_, 'a> {
        match self {
            Held::Borrowed(v) => JRef::V(v),
            Held::Owned(v) => JRef::V(v),
            Held::Val(v) => JRef::of_val(v),
            Held::List(l) => JRef::L(l),
        }
    }
}

/// The node of a path's value (`PathNode.evaluate` after the read).
fn node_of<'a, 'p>(v: PathValue<'a>) -> EvalResult<Node<'a, 'p>> {
    Ok(match v {
        PathValue::List(l) => Node::Json(JsonNode::List(l)),
        PathValue::One(val) => match &val {
            Val::Ref(Value::String(s)) => Node::Str(Text::Doc(s)),
            Val::Keys(_) => return Err(Fail::Other),
            // `new BigDecimal("NaN")` throws NumberFormatException.
            Val::NonFinite(_) => return Err(Fail::Other),
            _ => match val.value().ok_or(Fail::Other)? {
                Value::Number(n) => Node::Num(Decimal::of_number(n)),
                Value::String(s) => Node::Str(Text::Own(Rc::from(s.as_str()))),
                Value::Bool(b) => Node::Bool(*b),
                Value::Null => Node::Null,
                Value::Array(_) | Value::Object(_) => Node::Json(JsonNode::Value(val.clone())),
            },
        },
    })
}

/// Whether two nodes are of the same Java class (`===`).
fn same_class(l: &Node<'_, '_>, r: &Node<'_, '_>) -> bool {
    std::mem::discriminant(l) == std::mem::discriminant(r)
}

/// What `=~` matches a node as: a string's text, a number's `BigDecimal.toString`, a
/// boolean's name; anything else is the empty string.
fn regex_input<'n>(n: &'n Node<'_, '_>) -> std::borrow::Cow<'n, str> {
    match n {
        Node::Str(s) => std::borrow::Cow::Borrowed(&**s),
        Node::Num(d) => d.java_string().into(),
        Node::Bool(b) => b.to_string().into(),
        _ => "".into(),
    }
}

/// `StringNode(text, escape = true)`: surrounding quotes dropped, escapes resolved.
fn string_node(s: &str) -> EvalResult<String> {
    if s.chars().count() <= 1 {
        return Ok(s.to_string());
    }
    let inner = if (s.starts_with('\'') && s.ends_with('\'')) || (s.starts_with('"') && s.ends_with('"')) { &s[1..s.len() - 1] } else { s };
    unescape(inner).map_err(|_| Fail::Other)
}

/// Whether text compiles as a path (`ValueNode.isPath`).
fn compiles(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    compile_chars(&chars, &mut Session { slots: 0, depth: 0 }).is_ok()
}

/// Java's `String.compareTo`: UTF-16 code unit order.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Java's `String.length()`.
fn utf16_len(s: &str) -> i64 {
    s.encode_utf16().count() as i64
}
