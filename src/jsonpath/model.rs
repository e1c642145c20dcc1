//! A compiled Jayway path: the token chain `PathCompiler` builds (`RootPathToken` and what
//! follows it) and the filter expressions `FilterCompiler` builds, as plain data.

use serde_json::Value;

use super::number::Decimal;
use super::regex::JavaRegex;
use super::smart::SmartError;

/// A compiled path: Jayway's `CompiledPath`, whose root (`$` or `@`) is implied.
#[derive(Clone, Debug)]
pub(crate) struct PathExpr {
    pub tokens: Vec<Token>,
    /// The tokens in evaluation order, as the evaluator walks them; a path's function may
    /// append to (and remove from) a copy of this while a read runs, as Jayway's `length()`
    /// does to its argument.
    pub seq: Vec<TokRef>,
    /// Rooted at `$`: inside a filter it reads the document, once per read (Jayway's
    /// `isRootPath`, decided before a trailing function is turned around).
    pub is_root_path: bool,
    /// Jayway's `isDefinite()`: every token definite (a name, one index, a function, or
    /// several names at the end, which merge into one object).
    pub definite: bool,
    /// The last token is a function (`.length()`, `.sum()`): Jayway's `isFunctionPath()`.
    pub function: bool,
    /// When the token before the last is a single index `[i]`, that `i`: Jayway's deep scan
    /// then keeps a leaf property only of the element at that index (see `handleObjectProperty`).
    pub tail_prev_index: Option<i32>,
    /// Whether each token's upstream (the tokens before it) is definite, as compiled.
    pub upstream_definite: Vec<bool>,
}

/// A token of a path as a read sees it: one compiled, or a wildcard `length()` appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokRef {
    Orig(u32),
    Appended,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// The token's own mutable state during a read (Jayway's `upstreamArrayIndex`, and a
    /// function's arguments once evaluated), kept by the evaluator at this index.
    pub slot: u32,
}

#[derive(Clone, Debug)]
pub(crate) enum TokenKind {
    /// `.name`, `['name']`, `['a','b']`.
    Property(Vec<String>),
    /// `[0]`, `[-1]`, `[0,2]`.
    Index(Vec<i32>),
    Slice(Slice),
    /// `.*`, `[*]`.
    Wildcard,
    /// `..`
    Scan,
    /// `[?(...)]`
    Filter(Box<Expr>),
    /// `.name()` or `.name(args)`: looked up when evaluated, so an unknown name compiles.
    Function(Box<Function>),
}

/// Jayway's three slice forms; a step, if written, is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slice {
    /// `[from:]`
    From(i32),
    /// `[:to]`
    To(i32),
    /// `[from:to]`
    Between(i32, i32),
}

#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub name: String,
    /// None for `()`; the arguments Jayway recognised otherwise (it drops those it cannot
    /// type: anything not starting with `$`, `@`, `{`, `"`, `-` or a digit).
    pub params: Option<Vec<Param>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Param {
    /// JSON text, read by json-smart each time it is used.
    Json(JsonLiteral),
    /// A path, evaluated from the document's root.
    Path(PathExpr),
}

/// JSON text in a path, and what json-smart's permissive reader makes of it.
#[derive(Clone, Debug)]
pub(crate) struct JsonLiteral {
    pub text: String,
    pub parsed: Result<Value, SmartError>,
}

/// A filter expression: Jayway's `LogicalExpressionNode` and `RelationalExpressionNode`.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Relation(Box<Relation>),
}

#[derive(Clone, Debug)]
pub(crate) struct Relation {
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

/// A filter operand (Jayway's `ValueNode`s that a path can spell).
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    /// `'text'` or `"text"`, escapes resolved.
    Str(String),
    Num(Decimal),
    Bool(bool),
    Null,
    /// `[...]` or `{...}`, read when used.
    Json(Box<JsonLiteral>),
    /// `/pattern/flags`
    Regex(Box<JavaRegex>),
    Path(Box<PathOperand>),
}

#[derive(Clone, Debug)]
pub(crate) struct PathOperand {
    pub path: PathExpr,
    /// Some(should exist) for an existence test (`@.x`, `!@.x` standing alone); None when the
    /// path's value is compared.
    pub exists: Option<bool>,
    /// Written after a `!`: an existence test then wants the path missing. Compared, the path's
    /// value is used as is (Jayway ignores the `!` there).
    pub negated: bool,
}

/// Jayway's `RelationalOperator`s (the names match case-insensitively).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Ge,
    Le,
    Eq,
    /// `===`: same type and equal.
    TsEq,
    Ne,
    /// `!==`
    TsNe,
    Lt,
    Gt,
    Regex,
    Nin,
    In,
    Contains,
    All,
    Size,
    Exists,
    Type,
    Matches,
    Empty,
    SubsetOf,
    AnyOf,
    NoneOf,
}

impl Op {
    /// `RelationalOperator.fromString`: the operator text in any case. (Java upper-cases with
    /// Unicode's rules, so a dotless `ı` in `ın` would also read as `IN`; ASCII here.)
    pub fn parse(text: &str) -> Option<Op> {
        Some(match text.to_ascii_uppercase().as_str() {
            ">=" => Op::Ge,
            "<=" => Op::Le,
            "==" => Op::Eq,
            "===" => Op::TsEq,
            "!=" => Op::Ne,
            "!==" => Op::TsNe,
            "<" => Op::Lt,
            ">" => Op::Gt,
            "=~" => Op::Regex,
            "NIN" => Op::Nin,
            "IN" => Op::In,
            "CONTAINS" => Op::Contains,
            "ALL" => Op::All,
            "SIZE" => Op::Size,
            "EXISTS" => Op::Exists,
            "TYPE" => Op::Type,
            "MATCHES" => Op::Matches,
            "EMPTY" => Op::Empty,
            "SUBSETOF" => Op::SubsetOf,
            "ANYOF" => Op::AnyOf,
            "NONEOF" => Op::NoneOf,
            _ => return None,
        })
    }
}

impl PathExpr {
    /// Finishes a token chain as Jayway's `CompiledPath` constructor does: a path that starts
    /// with `..` and ends with a function (`$..book.length()`) becomes the function applied to
    /// the path before it (`$.length($..book)`).
    pub fn new(mut tokens: Vec<Token>, root_is_dollar: bool) -> PathExpr {
        let is_root_path = root_is_dollar;
        let ends_in_function = matches!(tokens.last().map(|t| &t.kind), Some(TokenKind::Function(_)));
        let starts_with_scan = matches!(tokens.first().map(|t| &t.kind), Some(TokenKind::Scan));
        if ends_in_function && starts_with_scan {
            let first_fn = tokens.iter().position(|t| matches!(t.kind, TokenKind::Function(_))).unwrap_or(0);
            let rest = tokens.split_off(first_fn);
            let before = tokens;
            // The token before the function: Jayway's new chain still links back to it.
            let prior_index = match before.last().map(|t| &t.kind) {
                Some(TokenKind::Index(i)) if i.len() == 1 => Some(i[0]),
                _ => None,
            };
            let argument = PathExpr::chain(before, root_is_dollar, true);
            let mut rest = rest;
            if let TokenKind::Function(f) = &mut rest[0].kind {
                f.params = Some(vec![Param::Path(argument)]);
            }
            let mut path = PathExpr::chain(rest, true, is_root_path);
            // The function stands for the tail (Jayway sets the root's tail to it), whatever follows.
            path.function = true;
            path.tail_prev_index = prior_index;
            // The tokens after the function look upstream through the path before it, which
            // starts with `..`: never definite.
            path.upstream_definite = upstream_definite(&path.tokens, false);
            return path;
        }
        PathExpr::chain(tokens, root_is_dollar, is_root_path)
    }

    fn chain(tokens: Vec<Token>, _root_is_dollar: bool, is_root_path: bool) -> PathExpr {
        let n = tokens.len();
        let definite = (0..n).all(|k| token_definite(&tokens[k].kind, k + 1 == n));
        let function = matches!(tokens.last().map(|t| &t.kind), Some(TokenKind::Function(_)));
        let tail_prev_index = match n.checked_sub(2).map(|k| &tokens[k].kind) {
            Some(TokenKind::Index(i)) if i.len() == 1 => Some(i[0]),
            _ => None,
        };
        let upstream_definite = upstream_definite(&tokens, true);
        let seq = (0..n as u32).map(TokRef::Orig).collect();
        PathExpr { tokens, seq, is_root_path, definite, function, tail_prev_index, upstream_definite }
    }
}

/// Jayway's `isTokenDefinite`.
pub(crate) fn token_definite(kind: &TokenKind, leaf: bool) -> bool {
    match kind {
        TokenKind::Property(names) => names.len() == 1 || leaf,
        TokenKind::Index(i) => i.len() == 1,
        TokenKind::Function(_) => true,
        TokenKind::Slice(_) | TokenKind::Wildcard | TokenKind::Scan | TokenKind::Filter(_) => false,
    }
}

fn upstream_definite(tokens: &[Token], first: bool) -> Vec<bool> {
    let n = tokens.len();
    let mut out = Vec::with_capacity(n);
    let mut up = first;
    for (k, t) in tokens.iter().enumerate() {
        out.push(up);
        up = up && token_definite(&t.kind, k + 1 == n);
    }
    out
}
