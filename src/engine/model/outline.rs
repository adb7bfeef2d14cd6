//! Where each part of a model declaration is written: maps a declaration path
//! such as `model.criteria[3].rank` to its line and column in the model
//! script, so a contract error points at the source like a compiler would.

use std::collections::HashMap;

use rhai::{Expr, OptimizationLevel, Position, Stmt};

/// A place in a model script that a contract error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// A declaration path, e.g. `model.criteria[3].rank`.
    Path(String),
    /// The `occurrence`th (1 = first) string literal `value` from a
    /// declaration path on, e.g. the second `"win_rate"` in `model.metrics`.
    Literal {
        path: String,
        value: String,
        occurrence: usize,
    },
    /// A position already known, e.g. where a check reads a metric, in the
    /// file that defines `function` (a helper's, when a helper made the
    /// check).
    Exact(Position, String),
}

impl Place {
    /// The place at `path`.
    pub(crate) fn at(path: impl Into<String>) -> Self {
        Self::Path(path.into())
    }

    /// The `occurrence`th string literal `value` from `path` on.
    pub(crate) fn literal(path: impl Into<String>, value: &str, occurrence: usize) -> Self {
        Self::Literal {
            path: path.into(),
            value: value.to_owned(),
            occurrence,
        }
    }
}

/// Positions of the parts of the map literal a model script evaluates to.
#[derive(Debug, Default)]
pub(crate) struct Outline {
    positions: HashMap<String, Position>,
}

impl Outline {
    /// The outline of a model script's final expression, when it is a map
    /// literal; empty when it is not, or does not parse (errors then fall
    /// back to the file alone).
    pub(crate) fn parse(source: &str) -> Self {
        // The optimiser folds constant maps and arrays into single values
        // and loses their inner positions, so parse without it.
        let mut engine = rhai::Engine::new_raw();
        engine.set_optimization_level(OptimizationLevel::None);
        let mut outline = Self::default();
        if let Ok(ast) = engine.compile(source) {
            if let Some(Stmt::Expr(expr)) = ast.statements().last() {
                outline.visit("model".into(), expr);
            }
        }
        outline
    }

    fn visit(&mut self, path: String, expr: &Expr) {
        self.positions.insert(path.clone(), expr.start_position());
        match expr {
            Expr::Map(map, _) => {
                for (key, value) in &map.0 {
                    let child = format!("{path}.{}", key.name);
                    self.visit(child.clone(), value);
                    // The key is where a reader looks for the field.
                    self.positions.insert(child, key.pos);
                }
            }
            Expr::Array(items, _) => {
                for (i, item) in items.iter().enumerate() {
                    self.visit(format!("{path}[{i}]"), item);
                }
            }
            _ => {}
        }
    }

    /// Where `place` is written in `source`: the position of the deepest part
    /// of its path the outline knows, then of the literal, if it asks for one.
    pub(crate) fn locate(&self, place: &Place, source: &str) -> Position {
        match place {
            Place::Exact(pos, _) => *pos,
            Place::Path(path) => self.nearest(path).unwrap_or(Position::NONE),
            Place::Literal {
                path,
                value,
                occurrence,
            } => match self.nearest(path) {
                Some(start) => find_literal(source, start, value, *occurrence).unwrap_or(start),
                None => Position::NONE,
            },
        }
    }

    fn nearest(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(pos) = self.positions.get(path) {
                return Some(*pos);
            }
            path = &path[..path.rfind(['.', '['])?];
        }
    }
}

/// The position of the `occurrence`th `"value"` in `source` at or after `from`.
fn find_literal(source: &str, from: Position, value: &str, occurrence: usize) -> Option<Position> {
    let start = offset_of(source, from)?;
    let quoted = format!("\"{value}\"");
    let (found, _) = source[start..]
        .match_indices(&quoted)
        .nth(occurrence.checked_sub(1)?)?;
    Some(position_of(source, start + found))
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(source: &str, pos: Position) -> Option<usize> {
    let (line, column) = (pos.line()?, pos.position()?);
    let line_start: usize = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let in_line = source[line_start..]
        .char_indices()
        .nth(column - 1)
        .map_or(0, |(i, _)| i);
    Some(line_start + in_line)
}

/// The 1-based line and column of a byte offset; unknown past what a
/// position holds (line or column 65,535), never a wrong place.
fn position_of(source: &str, offset: usize) -> Position {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    match (u16::try_from(line), u16::try_from(column)) {
        (Ok(line), Ok(column)) if line < u16::MAX && column < u16::MAX => {
            Position::new(line, column)
        }
        _ => Position::NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(source: &str) -> Outline {
        Outline::parse(source)
    }

    const SOURCE: &str = "let x = 1;\n#{\n  id: \"a\",\n  metrics: [\"p\", \"q\", \"p\"],\n  criteria: [#{ id: \"c\", rank: x }],\n}\n";

    #[test]
    fn finds_keys_items_and_literals() {
        let o = outline(SOURCE);
        let at = |place: Place| {
            let pos = o.locate(&place, SOURCE);
            (pos.line().unwrap(), pos.position().unwrap())
        };
        assert_eq!(at(Place::at("model.id")), (3, 3));
        assert_eq!(at(Place::at("model.criteria[0].rank")), (5, 26));
        assert_eq!(at(Place::literal("model.metrics", "p", 2)), (4, 23));
        // Unknown tails fall back to the deepest known part.
        assert_eq!(at(Place::at("model.criteria[0].rank.extra")), (5, 26));
    }

    #[test]
    fn places_past_line_65535_are_unknown_not_wrong() {
        let source = format!("{}#{{\n  metrics: [\"p\"],\n}}\n", "\n".repeat(70_000));
        let pos = position_of(&source, source.find("\"p\"").unwrap());
        assert_eq!(pos, Position::NONE);
        let pos = position_of("a\nbc", 3);
        assert_eq!((pos.line(), pos.position()), (Some(2), Some(2)));
    }

    #[test]
    fn a_script_not_ending_in_a_map_points_at_its_last_expression() {
        let source = "let m = #{ id: \"a\" };\nm";
        let pos = outline(source).locate(&Place::at("model.id"), source);
        assert_eq!((pos.line(), pos.position()), (Some(2), Some(1)));
    }
}
