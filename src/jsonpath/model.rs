//! The parsed form of an RFC 9535 JSONPath query.
//!
//! The type shapes follow `jsonpath-rust`'s `parser::model` (MIT, Copyright (c) 2021 Boris
//! Zhguchev), which pipehook's evaluator was first written against, minus what a well-typed
//! query cannot hold: [`crate::jsonpath::parse`] type-checks function calls (RFC 9535 §2.4.3),
//! so there is no unknown function and no logical expression as a function argument.

/// A query from the root: `$` and its segments.
#[derive(Clone, Debug, PartialEq)]
pub struct JpQuery {
    pub segments: Vec<Segment>,
}

/// One segment of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `..` and the child segment it applies to every descendant (never another `Descendant`).
    Descendant(Box<Segment>),
    /// `.name`, `.*`, or a bracketed selection with one selector.
    Selector(Selector),
    /// A bracketed selection with several selectors (`['a','b']`, `[0,2:4]`).
    Selectors(Vec<Selector>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    Name(String),
    Wildcard,
    /// Negative counts from the end.
    Index(i64),
    /// start, end, step, each optional.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Filter(Filter),
}

/// A logical expression (`?` selector body).
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Two or more alternatives.
    Or(Vec<Filter>),
    /// Two or more conjuncts.
    And(Vec<Filter>),
    Atom(FilterAtom),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FilterAtom {
    /// A parenthesized expression, possibly negated.
    Filter { expr: Box<Filter>, not: bool },
    /// An existence test (a query) or a logical function call, possibly negated.
    Test { expr: Box<Test>, not: bool },
    Comparison(Box<Comparison>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    Eq(Comparable, Comparable),
    Ne(Comparable, Comparable),
    Gt(Comparable, Comparable),
    Gte(Comparable, Comparable),
    Lt(Comparable, Comparable),
    Lte(Comparable, Comparable),
}

impl Comparison {
    /// The left and right operands.
    pub fn vals(&self) -> (&Comparable, &Comparable) {
        match self {
            Comparison::Eq(l, r)
            | Comparison::Ne(l, r)
            | Comparison::Gt(l, r)
            | Comparison::Gte(l, r)
            | Comparison::Lt(l, r)
            | Comparison::Lte(l, r) => (l, r),
        }
    }
}

/// What a comparison may compare: a literal, a singular query, or a function that returns a value.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparable {
    Literal(Literal),
    Function(TestFunction),
    SingularQuery(SingularQuery),
}

/// A query that selects at most one node: names and indexes only.
#[derive(Clone, Debug, PartialEq)]
pub enum SingularQuery {
    /// From the current node, `@`.
    Current(Vec<SingularQuerySegment>),
    /// From the root, `$`.
    Root(Vec<SingularQuerySegment>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SingularQuerySegment {
    Index(i64),
    Name(String),
}

/// A query or function call that stands as a test or as a function argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// From the current node, `@`.
    RelQuery(Vec<Segment>),
    /// From the root, `$`.
    AbsQuery(JpQuery),
    Function(Box<TestFunction>),
}

/// A call of one of RFC 9535's five functions, its arguments already type-checked: a value
/// argument is a literal, a singular query or a value-returning call; a nodes argument is a query.
#[derive(Clone, Debug, PartialEq)]
pub enum TestFunction {
    /// Value → value.
    Length(Box<FnArg>),
    /// Nodes → value.
    Value(FnArg),
    /// Nodes → value.
    Count(FnArg),
    /// Value, value → logical.
    Search(FnArg, FnArg),
    /// Value, value → logical.
    Match(FnArg, FnArg),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FnArg {
    Literal(Literal),
    Test(Box<Test>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A number without fraction or exponent, within ±(2^53 − 1).
    Int(i64),
    /// A number with a fraction or exponent; always finite.
    Float(f64),
    String(String),
    Bool(bool),
    Null,
}
