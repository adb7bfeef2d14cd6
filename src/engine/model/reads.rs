//! Which metrics a check function reads, found in its source before it ever
//! runs: every `m.name` and `m["name"]` on the check's metrics parameter.
//! Lets a criterion reading a metric it does not list fail at load, with the
//! line and column of the read.

use rhai::{AST, ASTNode, Expr, FnPtr, Position};

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
    function_only(def).walk(&mut |path: &[ASTNode<'_>]| {
        if let Some(ASTNode::Expr(expr)) = path.last() {
            reads.extend(read_of(expr, &param));
        }
        true
    });
    reads.sort_by_key(|r| (r.pos.line(), r.pos.position()));
    reads
}

/// An AST holding only the function `def`, to walk its body. Built from
/// the shared definition alone: cloning the AST (even its functions only)
/// for every check made loading quadratic in the number of criteria.
pub(crate) fn function_only(def: &rhai::Shared<rhai::ScriptFuncDef>) -> AST {
    let mut module = rhai::Module::new();
    module.set_script_fn(rhai::Shared::clone(def));
    AST::new_from_module(module)
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
