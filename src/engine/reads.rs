//! Which metrics a check function reads, found in its source before it ever
//! runs: every `m.name` and `m["name"]` on the check's metrics parameter.
//! Lets a criterion reading a metric it does not list fail at load, with the
//! line and column of the read.

use rhai::{AST, ASTNode, Expr, FnPtr, Position};

use super::contract::ContractError;
use super::outline::Place;
use super::spec::ModelSpec;

/// Every check reads only the metrics it lists, and the level override only
/// metrics the model declares.
pub(crate) fn check_declared_reads(spec: &ModelSpec, ast: &AST) -> Result<(), ContractError> {
    let checks = spec
        .criteria
        .iter()
        .map(|c| (format!("criterion '{}'", c.id), &c.check, &c.metrics))
        .chain(
            spec.signals
                .iter()
                .map(|s| (format!("signal '{}'", s.id), &s.check, &s.metrics)),
        );
    for (what, check, listed) in checks {
        if let Some(read) = metric_reads(ast, check)
            .into_iter()
            .find(|r| !listed.contains(&r.metric))
        {
            let declared = spec.metrics.iter().any(|m| m.name == read.metric);
            let message = if declared {
                format!(
                    "{what} reads metric '{}', which is not in its `metrics` list",
                    read.metric
                )
            } else {
                format!(
                    "{what} reads metric '{}', which the model does not declare",
                    read.metric
                )
            };
            return Err(ContractError::new(Place::Exact(read.pos), message));
        }
    }
    if let Some(level) = &spec.level_override {
        let declared = |name: &str| spec.metrics.iter().any(|m| m.name == name);
        if let Some(read) = metric_reads(ast, level)
            .into_iter()
            .find(|r| !declared(&r.metric))
        {
            let message = format!(
                "the level override reads metric '{}', which the model does not declare",
                read.metric
            );
            return Err(ContractError::new(Place::Exact(read.pos), message));
        }
    }
    Ok(())
}

/// A metric a check reads, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Read {
    pub(crate) metric: String,
    pub(crate) pos: Position,
}

/// The metrics `check` reads directly from its first declared parameter,
/// in source order. Reads made inside helper functions it calls are not
/// seen here; the engine still refuses them when the check runs.
pub(crate) fn metric_reads(ast: &AST, check: &FnPtr) -> Vec<Read> {
    let name = check.fn_name();
    let Some(def) = ast.iter_fn_def().find(|f| f.name == name) else {
        return Vec::new();
    };
    // Captured variables come first as curried parameters.
    let Some(param) = def.params.get(check.curry().len()).cloned() else {
        return Vec::new();
    };
    let mut reads = Vec::new();
    function_only(ast, name).walk(&mut |path: &[ASTNode<'_>]| {
        if let Some(ASTNode::Expr(expr)) = path.last() {
            reads.extend(read_of(expr, &param));
        }
        true
    });
    reads.sort_by_key(|r| (r.pos.line(), r.pos.position()));
    reads
}

/// An AST holding only the function `name`, to walk its body.
pub(crate) fn function_only(ast: &AST, name: &str) -> AST {
    // `clone_functions_only_filtered` ignores its filter on a fresh module
    // (rhai 1.27), so clone and retain instead.
    let mut body = ast.clone();
    body.clear_statements()
        .retain_functions(|_, _, fn_name, _| fn_name == name);
    body
}

/// `param.name` or `param["name"]`, as a read of `name`.
fn read_of(expr: &Expr, param: &str) -> Option<Read> {
    let (Expr::Dot(x, ..) | Expr::Index(x, ..)) = expr else {
        return None;
    };
    let Expr::Variable(var, ..) = &x.lhs else {
        return None;
    };
    if var.1 != param {
        return None;
    }
    let key = match &x.rhs {
        Expr::Dot(inner, ..) | Expr::Index(inner, ..) => &inner.lhs,
        other => other,
    };
    match key {
        Expr::Property(p, pos) => Some(Read {
            metric: p.2.to_string(),
            pos: *pos,
        }),
        Expr::StringConstant(s, pos) if matches!(expr, Expr::Index(..)) => Some(Read {
            metric: s.to_string(),
            pos: *pos,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_of(source: &str) -> Vec<(String, u16, u16)> {
        let engine = rhai::Engine::new();
        let ast = engine.compile(source).unwrap();
        let check: FnPtr = engine.eval_ast(&ast).unwrap();
        metric_reads(&ast, &check)
            .into_iter()
            .map(|r| {
                let (l, c) = (r.pos.line().unwrap(), r.pos.position().unwrap());
                (r.metric, l as u16, c as u16)
            })
            .collect()
    }

    #[test]
    fn finds_property_and_index_reads_on_the_parameter_only() {
        let reads =
            reads_of("let t = 3;\nlet x = |m| m.z;\n|m| m.a > t && m[\"b\"] && other(m.c.d)\n");
        let names: Vec<&str> = reads.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!((reads[0].1, reads[0].2), (3, 7));
    }

    #[test]
    fn ignores_other_variables() {
        assert!(reads_of("|m| { let n = #{a: 1}; n.a > 0 }").is_empty());
    }
}
