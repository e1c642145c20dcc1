//! Jayway's `FilterCompiler` (json-path 2.10.0): the `[?( ... )]` of a path, ported step for
//! step. Its grammar, as Jayway reads it:
//!
//! ```text
//! LogicalOR         = LogicalAND { '||' LogicalAND }
//! LogicalAND        = LogicalANDOperand { '&&' LogicalANDOperand }
//! LogicalANDOperand = RelationalExpr | '(' LogicalOR ')' | '!' LogicalANDOperand
//! RelationalExpr    = Value [ Operator Value ]        (a lone path tests existence)
//! ```
//!
//! A path operand (`@.price`, `$.limit`) runs until a space, an operator character
//! (`<>=~!`) or a `)` that does not close a `()` call, so `@.a&&@.b` is one path, as in Jayway.

use super::model::*;
use super::number::Decimal;
use super::parser::{compile_chars, fault, unescape, CharIndex, Fault, Res, Session};
use super::regex::compile_java_regex;
use super::smart::parse_permissive;

/// The operators, for messages.
const OPERATORS: &str = "==, !=, <, <=, >, >=, =~, in, nin, subsetof, anyof, noneof, size, empty, contains";

/// Compiles the criteria `[?( ... )]` (indexes in faults are of `chars`).
pub(crate) fn compile_filter(chars: &[char], session: &mut Session) -> Res<Expr> {
    let mut f = CharIndex::new(chars);
    f.trim();
    if !f.current_is('[')? || !f.last_char_is(']')? {
        return fault(f.pos, "a filter is written [?(...)]");
    }
    f.pos += 1;
    f.end -= 1;
    f.trim();
    if !f.current_is('?')? {
        return fault(f.pos, "a filter is written [?(...)]");
    }
    f.pos += 1;
    f.trim();
    if !f.current_is('(')? || !f.last_char_is(')')? {
        return fault(f.pos, "a filter is written [?(...)], with parentheses");
    }
    let mut c = FilterParser { f, session, operator_fault: None };
    let expr = c.read_or()?;
    c.f.skip_blanks();
    if c.f.in_bounds_here() {
        return Err(c.explain(c.f.pos, "unexpected text after the end of the filter expression"));
    }
    Ok(expr)
}

struct FilterParser<'s, 'x> {
    f: CharIndex<'s>,
    session: &'x mut Session,
    /// Where an operator could not be read, and why: the likely cause if reading then fails there.
    operator_fault: Option<Fault>,
}

impl FilterParser<'_, '_> {
    /// A fault at `at`, explained by an unreadable operator there if there was one.
    fn explain(&mut self, at: isize, reason: &str) -> Fault {
        match self.operator_fault.take() {
            Some(f) if f.at == at => f,
            _ => Fault { at, reason: reason.to_string() },
        }
    }

    fn read_or(&mut self) -> Res<Expr> {
        self.read_chain("||", Self::read_and, Expr::Or)
    }

    fn read_and(&mut self) -> Res<Expr> {
        self.read_chain("&&", Self::read_and_operand, Expr::And)
    }

    /// `readLogicalOR` and `readLogicalAND`: operands joined by `op`.
    fn read_chain(&mut self, op: &str, operand: fn(&mut Self) -> Res<Expr>, join: fn(Vec<Expr>) -> Expr) -> Res<Expr> {
        let mut ops = vec![operand(self)?];
        loop {
            let save = self.f.pos;
            if self.has_significant(op) {
                ops.push(operand(self)?);
            } else {
                self.f.pos = save;
                break;
            }
        }
        Ok(if ops.len() == 1 { ops.pop().expect("one operand") } else { join(ops) })
    }

    /// `hasSignificantSubSequence`: past blanks, `s` here (consumed) or not.
    fn has_significant(&mut self, s: &str) -> bool {
        self.f.skip_blanks();
        let n = s.chars().count() as isize;
        if !self.f.in_bounds(self.f.pos + n - 1) {
            return false;
        }
        if self.f.text(self.f.pos, self.f.pos + n) != s {
            return false;
        }
        self.f.pos += n;
        true
    }

    /// `readSignificantChar`
    fn expect(&mut self, c: char) -> Res<()> {
        self.f.skip_blanks();
        let at = self.f.pos;
        if self.f.current()? != c {
            let found = self.f.current()?;
            return Err(self.explain(at, &format!("expected '{c}' but found '{found}'")));
        }
        self.f.pos += 1;
        Ok(())
    }

    fn read_and_operand(&mut self) -> Res<Expr> {
        let save = self.f.skip_blanks().pos;
        if self.f.skip_blanks().current_is('!')? {
            self.expect('!')?;
            match self.f.skip_blanks().current()? {
                '$' | '@' => self.f.pos = save,
                _ => {
                    self.session.enter(self.f.pos)?;
                    let op = self.read_and_operand()?;
                    self.session.leave();
                    return Ok(Expr::Not(Box::new(op)));
                }
            }
        }
        if self.f.skip_blanks().current_is('(')? {
            self.session.enter(self.f.pos)?;
            self.expect('(')?;
            let op = self.read_or()?;
            self.expect(')')?;
            self.session.leave();
            return Ok(op);
        }
        self.read_expression()
    }

    fn read_expression(&mut self) -> Res<Expr> {
        let left_at = self.f.skip_blanks().pos;
        let left = self.read_value()?;
        let save = self.f.pos;
        match self.read_operator() {
            Ok(op) => {
                // Jayway falls back to an existence test when the right side fails, and then fails
                // on the operator anyway: the right side's fault says more.
                let right = self.read_value()?;
                return Ok(Expr::Relation(Box::new(Relation { left, op, right })));
            }
            Err(f) => {
                self.operator_fault = Some(f);
                self.f.pos = save;
            }
        }
        match left {
            Operand::Path(mut p) => {
                let should = !p.negated;
                p.exists = Some(should);
                Ok(Expr::Relation(Box::new(Relation { left: Operand::Path(p), op: Op::Exists, right: Operand::Bool(should) })))
            }
            _ => {
                let f = self.operator_fault.take();
                match f {
                    Some(f) if f.reason.starts_with('\'') => Err(f),
                    _ => fault(left_at, "a value alone is not a condition: compare it, e.g. [?(@.name == 'x')], or test a path, e.g. [?(@.name)]"),
                }
            }
        }
    }

    fn read_operator(&mut self) -> Res<Op> {
        let begin = self.f.skip_blanks().pos;
        let is_op = |c: char| matches!(c, '<' | '>' | '=' | '~' | '!');
        if is_op(self.f.current()?) {
            while self.f.in_bounds_here() && is_op(self.f.current()?) {
                self.f.pos += 1;
            }
        } else {
            while self.f.in_bounds_here() && self.f.current()? != ' ' {
                self.f.pos += 1;
            }
        }
        let text = self.f.text(begin, self.f.pos);
        match Op::parse(&text) {
            Some(op) => Ok(op),
            None if text.is_empty() || text.starts_with(')') => fault(begin, "expected an operator or ')'"),
            None => fault(begin, format!("'{text}' is not a filter operator: the operators are {OPERATORS}, and conditions join with && and ||")),
        }
    }

    fn read_value(&mut self) -> Res<Operand> {
        match self.f.skip_blanks().current()? {
            '$' | '@' => self.read_path(),
            '!' => {
                self.f.pos += 1;
                match self.f.skip_blanks().current()? {
                    '$' | '@' => self.read_path(),
                    _ => fault(self.f.pos - 1, "'!' must be followed by a path (@... or $...) or by a condition in parentheses"),
                }
            }
            _ => self.read_literal(),
        }
    }

    fn read_literal(&mut self) -> Res<Operand> {
        match self.f.skip_blanks().current()? {
            q @ ('\'' | '"') => self.read_string(q),
            't' | 'f' => self.read_boolean(),
            'n' => self.read_null(),
            '{' | '[' => self.read_json(),
            '/' => self.read_pattern(),
            _ => self.read_number(),
        }
    }

    fn read_path(&mut self) -> Res<Operand> {
        let previous = self.f.previous_significant();
        let begin = self.f.pos;
        self.f.pos += 1;
        while self.f.in_bounds_here() {
            if self.f.current()? == '[' {
                let close = self.f.index_of_matching_close(self.f.pos, '[', ']', true, false)?;
                if close == -1 {
                    return fault(self.f.pos, "'[' without its ']' in the filter's path");
                }
                self.f.pos = close + 1;
            }
            let c = self.f.current()?;
            let closing_function = c == ')' && self.closes_function_call(begin)?;
            let closing_group = c == ')' && !closing_function;
            if !self.f.in_bounds_here() || matches!(c, '<' | '>' | '=' | '~' | '!' | ' ') || closing_group {
                break;
            }
            self.f.pos += 1;
        }
        let chars = &self.f.s[begin as usize..self.f.pos as usize];
        let path = compile_chars(chars, self.session).map_err(|f| Fault { at: begin + f.at, ..f })?;
        Ok(Operand::Path(Box::new(PathOperand { path, exists: None, negated: previous == '!' })))
    }

    /// `currentCharIsClosingFunctionBracket`: a `)` right after `(` with a `.` before it.
    fn closes_function_call(&self, lower: isize) -> Res<bool> {
        let i = self.f.index_of_previous_significant(self.f.pos);
        if i == -1 || self.f.char_at(i)? != '(' {
            return Ok(false);
        }
        let mut i = i - 1;
        while self.f.in_bounds(i) && i > lower {
            if self.f.char_at(i)? == '.' {
                return Ok(true);
            }
            i -= 1;
        }
        Ok(false)
    }

    fn read_number(&mut self) -> Res<Operand> {
        let begin = self.f.pos;
        while self.f.in_bounds_here() && matches!(self.f.current()?, '0'..='9' | '-' | '.' | 'E' | 'e') {
            self.f.pos += 1;
        }
        let text = self.f.text(begin, self.f.pos);
        match Decimal::parse(&text) {
            Some(d) => Ok(Operand::Num(d)),
            None if text.is_empty() => {
                let c = self.f.current()?;
                let word: String = self.f.s[begin as usize..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .collect();
                let shown = if word.is_empty() { c.to_string() } else { word };
                fault(
                    begin,
                    format!("'{shown}' is not a value: quote a string ('{shown}'); other values are numbers, true, false, null, /regex/, [...] and {{...}}"),
                )
            }
            None => fault(begin, format!("'{text}' is not a number")),
        }
    }

    fn read_boolean(&mut self) -> Res<Operand> {
        let begin = self.f.pos;
        let end = if self.f.current()? == 't' { begin + 3 } else { begin + 4 };
        let word: String = self.f.s[begin as usize..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
        if !self.f.in_bounds(end) {
            return fault(begin, format!("'{word}' is not a value: did you mean true, false, or a quoted string?"));
        }
        let text = self.f.text(begin, end + 1);
        let value = match text.as_str() {
            "true" => true,
            "false" => false,
            _ => return fault(begin, format!("'{word}' is not a value: did you mean true, false, or a quoted string?")),
        };
        self.f.pos += text.chars().count() as isize;
        Ok(Operand::Bool(value))
    }

    fn read_null(&mut self) -> Res<Operand> {
        let begin = self.f.pos;
        if self.f.in_bounds(begin + 3) && self.f.text(begin, begin + 4) == "null" {
            self.f.pos += 4;
            return Ok(Operand::Null);
        }
        let word: String = self.f.s[begin as usize..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
        fault(begin, format!("'{word}' is not a value: did you mean null, or a quoted string?"))
    }

    fn read_json(&mut self) -> Res<Operand> {
        let begin = self.f.pos;
        let open = self.f.current()?;
        let close = if open == '[' { ']' } else { '}' };
        let end = self.f.index_of_matching_close(begin, open, close, true, false)?;
        if end == -1 {
            return fault(begin, format!("'{open}' without its '{close}'"));
        }
        self.f.pos = end + 1;
        let text = self.f.text(begin, self.f.pos);
        let parsed = parse_permissive(&text);
        Ok(Operand::Json(Box::new(JsonLiteral { text, parsed })))
    }

    fn read_pattern(&mut self) -> Res<Operand> {
        let begin = self.f.pos;
        let mut closing = self.f.next_index_of_unescaped(begin, '/');
        if closing == -1 {
            return fault(begin, "a regex opened with '/' is not closed by another '/'");
        }
        let pattern_end = closing;
        if self.f.in_bounds(closing + 1) {
            let mut end = closing + 1;
            while self.f.in_bounds(end) && matches!(self.f.char_at(end)?, 'd' | 'i' | 'x' | 'm' | 's' | 'u' | 'U') {
                end += 1;
            }
            closing = end - 1;
        }
        self.f.pos = closing + 1;
        let pattern = self.f.text(begin + 1, pattern_end);
        let flags = self.f.text(pattern_end + 1, self.f.pos);
        let regex = compile_java_regex(&pattern, &flags).map_err(|e| Fault { at: begin + 1 + e.at as isize, reason: e.reason })?;
        Ok(Operand::Regex(Box::new(regex)))
    }

    fn read_string(&mut self, quote: char) -> Res<Operand> {
        let begin = self.f.pos;
        let closing = self.f.next_index_of_unescaped(begin, quote);
        if closing == -1 {
            return fault(begin, format!("the string opened with {quote} has no closing {quote}"));
        }
        self.f.pos = closing + 1;
        let inner = self.f.text(begin + 1, closing);
        let s = unescape(&inner).map_err(|reason| Fault { at: begin, reason })?;
        Ok(Operand::Str(s))
    }
}
