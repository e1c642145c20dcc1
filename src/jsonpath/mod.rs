//! RFC 9535 JSONPath: the parsed form of a query ([`model`]) and its parser ([`parser`]).
//! Evaluation, with Jayway's conventions and bounded work, is in [`crate::filter`].

pub mod model;
pub mod parser;

pub use model::*;
pub use parser::{parse, ArgType, ErrorKind, ParamType, ParseError, MAX_NESTING};
