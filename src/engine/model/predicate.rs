//! Checks compiled to native code at load. Most checks only compare metrics
//! with constants (`m.crm_adoption >= 0.85 && m.playbook_exists`); such a
//! check runs as a Rust expression tree with Rhai's exact semantics instead
//! of a script call, which costs far more than the comparison itself.
//!
//! Anything else (helper calls, `let`, `if`, division, captured variables)
//! is not compiled and stays a script call. A compiled check that meets
//! something its tree cannot decide the way Rhai would (an integer overflow,
//! a value of an unexpected type) answers `None`, and the script decides.

use rhai::{AST, ASTNode, Dynamic, Expr, FnPtr, Stmt};

use crate::engine::model::metric_spec::MetricKind;
use crate::engine::model::reads;
use crate::engine::value::MetricValue;

/// A check compiled to a native expression tree.
#[derive(Debug, Clone)]
pub(crate) struct Predicate(Node);

impl Predicate {
    /// Compiles `check` if its body is one expression the tree covers and
    /// that is a boolean for the metrics' kinds; `metric` gives a metric's
    /// declared position and kind.
    pub(crate) fn compile(
        ast: &AST,
        check: &FnPtr,
        metric: impl Fn(&str) -> Option<(usize, MetricKind)>,
    ) -> Option<Self> {
        let def = ast.iter_fn_def().find(|f| f.name == check.fn_name())?;
        // Variables a closure captures come first, as curried parameters:
        // their values are fixed at load, so they are constants here.
        let curry = check.curry();
        let (captured, [param]) = def.params.split_at(curry.len().min(def.params.len())) else {
            return None;
        };
        let captured: Vec<(&str, Dynamic)> = captured
            .iter()
            .map(|name| name.as_str())
            .zip(curry.iter().map(Dynamic::flatten_clone))
            .collect();
        let mut statements = Vec::new();
        reads::function_only(def).walk(&mut |path: &[ASTNode<'_>]| {
            if let [ASTNode::Stmt(statement)] = path {
                statements.push((*statement).clone());
            }
            true
        });
        let [statement] = statements.as_slice() else {
            return None;
        };
        let compiler = Compiler {
            param: param.as_str(),
            captured: &captured,
            metric: &metric,
        };
        let node = match statement {
            Stmt::Expr(expr) => compiler.expr(expr)?,
            Stmt::FnCall(call, _) => compiler.operator(call)?,
            _ => return None,
        };
        (node.kind()? == Kind::Bool).then_some(Self(node))
    }

    /// What the check says on the metrics `read` gives by declared
    /// position: decided wherever the missing metrics cannot change it.
    pub(crate) fn decide<'v>(&self, read: impl Fn(usize) -> Option<&'v MetricValue>) -> Native {
        match self.0.eval(&|at| read(at)) {
            Ok(Value::Bool(b)) => Native::Holds(b),
            Ok(_) | Err(Stuck::Script) => Native::Script,
            Err(Stuck::Missing) => Native::Missing,
        }
    }
}

/// What a compiled check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Native {
    /// It holds, or does not.
    Holds(bool),
    /// The answer depends on a metric that was not supplied.
    Missing,
    /// Only the script can say (an overflow, an unexpected type).
    Script,
}

/// Why evaluation stopped short of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stuck {
    Missing,
    Script,
}

/// The type a node evaluates to, as Rhai sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Text,
}

impl Kind {
    fn of_metric(kind: MetricKind) -> Self {
        match kind {
            MetricKind::Count | MetricKind::Ratio | MetricKind::Number => Self::Float,
            MetricKind::Flag => Self::Bool,
            MetricKind::Text => Self::Text,
        }
    }

    fn is_number(self) -> bool {
        matches!(self, Self::Int | Self::Float)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arithmetic {
    Add,
    Sub,
    Mul,
}

#[derive(Debug, Clone)]
enum Node {
    /// A metric, by its declared position.
    Metric(usize, MetricKind),
    Int(rhai::INT),
    Float(f64),
    Bool(bool),
    Text(String),
    Not(Box<Node>),
    All(Vec<Node>),
    Any(Vec<Node>),
    Compare(Relation, Box<[Node; 2]>),
    Arith(Arithmetic, Box<[Node; 2]>),
}

/// A value while evaluating, borrowed from the tree or the metrics.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Int(rhai::INT),
    Float(f64),
    Bool(bool),
    Text(&'a str),
}

impl Node {
    /// The node's type, or `None` where Rhai would need a function the tree
    /// does not have (or would fail).
    fn kind(&self) -> Option<Kind> {
        Some(match self {
            Self::Metric(_, kind) => Kind::of_metric(*kind),
            Self::Int(_) => Kind::Int,
            Self::Float(_) => Kind::Float,
            Self::Bool(_) => Kind::Bool,
            Self::Text(_) => Kind::Text,
            Self::Not(x) => (x.kind()? == Kind::Bool).then_some(Kind::Bool)?,
            Self::All(xs) | Self::Any(xs) => {
                let all_bool = xs.iter().all(|x| x.kind() == Some(Kind::Bool));
                all_bool.then_some(Kind::Bool)?
            }
            Self::Compare(op, pair) => {
                let (a, b) = (pair[0].kind()?, pair[1].kind()?);
                let numbers = a.is_number() && b.is_number();
                let equality = a == b && matches!(op, Relation::Eq | Relation::Ne);
                (numbers || equality).then_some(Kind::Bool)?
            }
            Self::Arith(_, pair) => match (pair[0].kind()?, pair[1].kind()?) {
                (Kind::Int, Kind::Int) => Kind::Int,
                (a, b) if a.is_number() && b.is_number() => Kind::Float,
                _ => return None,
            },
        })
    }

    /// The node's value. A metric that was not supplied makes its node
    /// `Missing`, and `&&` and `||` then follow three-valued logic: `false`
    /// and anything is `false`, `true` or anything is `true`, whatever the
    /// missing value would have been.
    fn eval<'a>(
        &'a self,
        read: &impl Fn(usize) -> Option<&'a MetricValue>,
    ) -> Result<Value<'a>, Stuck> {
        let script = |v: Option<Value<'a>>| v.ok_or(Stuck::Script);
        let boolean = |v: Value<'a>| v.as_bool().ok_or(Stuck::Script);
        Ok(match self {
            Self::Metric(at, kind) => {
                script(metric_value(*kind, read(*at).ok_or(Stuck::Missing)?))?
            }
            Self::Int(i) => Value::Int(*i),
            Self::Float(f) => Value::Float(*f),
            Self::Bool(b) => Value::Bool(*b),
            Self::Text(t) => Value::Text(t),
            Self::Not(x) => Value::Bool(!boolean(x.eval(read)?)?),
            Self::All(xs) => Value::Bool(decided(xs, read, false)?),
            Self::Any(xs) => Value::Bool(decided(xs, read, true)?),
            Self::Compare(op, pair) => {
                let (a, b) = (pair[0].eval(read)?, pair[1].eval(read)?);
                Value::Bool(compare(*op, a, b).ok_or(Stuck::Script)?)
            }
            Self::Arith(op, pair) => {
                let (a, b) = (pair[0].eval(read)?, pair[1].eval(read)?);
                script(arithmetic(*op, a, b))?
            }
        })
    }
}

/// `&&` (`decisive` false) or `||` (`decisive` true) over `xs`: the
/// decisive value as soon as one operand has it, even past a missing one;
/// missing when none has it and one is missing.
fn decided<'a>(
    xs: &'a [Node],
    read: &impl Fn(usize) -> Option<&'a MetricValue>,
    decisive: bool,
) -> Result<bool, Stuck> {
    let mut missing = false;
    for x in xs {
        match x.eval(read) {
            Ok(v) if v.as_bool() == Some(decisive) => return Ok(decisive),
            Ok(v) if v.as_bool().is_some() => {}
            Err(Stuck::Missing) => missing = true,
            Ok(_) | Err(Stuck::Script) => return Err(Stuck::Script),
        }
    }
    if missing {
        Err(Stuck::Missing)
    } else {
        Ok(!decisive)
    }
}

impl Value<'_> {
    fn as_bool(self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// A supplied value as the script sees it (see `evaluate::run::to_dynamic`).
fn metric_value(kind: MetricKind, value: &MetricValue) -> Option<Value<'_>> {
    Some(match (kind, value) {
        (MetricKind::Count | MetricKind::Ratio | MetricKind::Number, MetricValue::Number(n)) => {
            Value::Float(*n)
        }
        (MetricKind::Flag, MetricValue::Flag(b)) => Value::Bool(*b),
        (MetricKind::Text, MetricValue::Text(t)) => Value::Text(t),
        _ => return None,
    })
}

fn compare(op: Relation, a: Value<'_>, b: Value<'_>) -> Option<bool> {
    use Relation::*;
    let ordered = |o: std::cmp::Ordering| match op {
        Eq => o.is_eq(),
        Ne => o.is_ne(),
        Gt => o.is_gt(),
        Ge => o.is_ge(),
        Lt => o.is_lt(),
        Le => o.is_le(),
    };
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => ordered(x.cmp(&y)),
        (Value::Int(x), Value::Float(y)) => compare_floats(op, x as f64, y),
        (Value::Float(x), Value::Int(y)) => compare_floats(op, x, y as f64),
        (Value::Float(x), Value::Float(y)) => compare_floats(op, x, y),
        (Value::Bool(x), Value::Bool(y)) if matches!(op, Eq | Ne) => ordered(x.cmp(&y)),
        (Value::Text(x), Value::Text(y)) if matches!(op, Eq | Ne) => ordered(x.cmp(y)),
        _ => return None,
    })
}

/// Rhai's float comparisons, which treat values within a relative epsilon
/// as equal; written exactly as rhai 1.27 does, so thresholds agree.
fn compare_floats(op: Relation, x: f64, y: f64) -> bool {
    use Relation::*;
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    if max == 0.0 {
        return matches!(op, Eq | Ge | Le);
    }
    match op {
        Eq => (x - y).abs() / max <= f64::EPSILON,
        Ne => (x - y).abs() / max > f64::EPSILON,
        Gt => (x - y) / max > f64::EPSILON,
        Ge => (x - y) / max > -f64::EPSILON,
        Lt => (y - x) / max > f64::EPSILON,
        Le => (y - x) / max > -f64::EPSILON,
    }
}

/// Rhai's arithmetic: checked on integers (an overflow is the script's
/// error to report, so `None`), plain on floats.
fn arithmetic<'a>(op: Arithmetic, a: Value<'a>, b: Value<'a>) -> Option<Value<'a>> {
    let float = |x: f64, y: f64| match op {
        Arithmetic::Add => x + y,
        Arithmetic::Sub => x - y,
        Arithmetic::Mul => x * y,
    };
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Value::Int(match op {
            Arithmetic::Add => x.checked_add(y)?,
            Arithmetic::Sub => x.checked_sub(y)?,
            Arithmetic::Mul => x.checked_mul(y)?,
        }),
        (Value::Int(x), Value::Float(y)) => Value::Float(float(x as f64, y)),
        (Value::Float(x), Value::Int(y)) => Value::Float(float(x, y as f64)),
        (Value::Float(x), Value::Float(y)) => Value::Float(float(x, y)),
        _ => return None,
    })
}

/// Turns a check's body into a [`Node`], refusing what it does not cover.
struct Compiler<'a, K> {
    param: &'a str,
    /// Captured variables and their values.
    captured: &'a [(&'a str, Dynamic)],
    metric: &'a K,
}

impl<K: Fn(&str) -> Option<(usize, MetricKind)>> Compiler<'_, K> {
    fn expr(&self, expr: &Expr) -> Option<Node> {
        Some(match expr {
            Expr::IntegerConstant(i, _) => Node::Int(*i),
            Expr::FloatConstant(f, _) => Node::Float(**f),
            Expr::BoolConstant(b, _) => Node::Bool(*b),
            Expr::StringConstant(s, _) => Node::Text(s.to_string()),
            Expr::DynamicConstant(d, _) => constant(d)?,
            Expr::And(xs, _) => Node::All(self.all(xs)?),
            Expr::Or(xs, _) => Node::Any(self.all(xs)?),
            Expr::FnCall(call, _) => self.operator(call)?,
            Expr::Dot(..) | Expr::Index(..) => match self.metric(expr) {
                Some(node) => node,
                None => constant(&self.captured_value(expr)?)?,
            },
            Expr::Variable(..) => constant(&self.captured_value(expr)?)?,
            _ => return None,
        })
    }

    /// The value of a captured variable, or of a field path into one
    /// (`t.crm_adoption`, `t["x"].y`), as it was when the closure was made.
    fn captured_value(&self, expr: &Expr) -> Option<Dynamic> {
        match expr {
            Expr::Variable(var, ..) if var.2.is_empty() => self
                .captured
                .iter()
                .find(|(name, _)| *name == var.1.as_str())
                .map(|(_, value)| value.clone()),
            Expr::Dot(x, flags, _) | Expr::Index(x, flags, _)
                if !flags.contains(rhai::ASTFlags::NEGATED) =>
            {
                field(self.captured_value(&x.lhs)?, &x.rhs)
            }
            _ => None,
        }
    }

    fn all(&self, exprs: &[Expr]) -> Option<Vec<Node>> {
        exprs.iter().map(|x| self.expr(x)).collect()
    }

    /// A built-in operator: a comparison, `+`, `-`, `*` or `!`.
    fn operator(&self, call: &rhai::FnCallExpr) -> Option<Node> {
        if call.op_token.is_none() || !call.namespace.is_empty() || call.capture_parent_scope {
            return None;
        }
        let args = call.args.as_slice();
        if let [only] = args {
            return (call.name == "!").then(|| self.expr(only).map(|x| Node::Not(Box::new(x))))?;
        }
        let [a, b] = args else {
            return None;
        };
        let pair = Box::new([self.expr(a)?, self.expr(b)?]);
        let comparison = match call.name.as_str() {
            "==" => Relation::Eq,
            "!=" => Relation::Ne,
            ">" => Relation::Gt,
            ">=" => Relation::Ge,
            "<" => Relation::Lt,
            "<=" => Relation::Le,
            "+" => return Some(Node::Arith(Arithmetic::Add, pair)),
            "-" => return Some(Node::Arith(Arithmetic::Sub, pair)),
            "*" => return Some(Node::Arith(Arithmetic::Mul, pair)),
            _ => return None,
        };
        Some(Node::Compare(comparison, pair))
    }

    /// `m.name` or `m["name"]`, on the check's own parameter.
    fn metric(&self, expr: &Expr) -> Option<Node> {
        let (Expr::Dot(x, flags, _) | Expr::Index(x, flags, _)) = expr else {
            return None;
        };
        if flags.contains(rhai::ASTFlags::NEGATED) {
            return None;
        }
        let Expr::Variable(var, ..) = &x.lhs else {
            return None;
        };
        if var.1 != self.param || !var.2.is_empty() {
            return None;
        }
        let name = match (expr, &x.rhs) {
            (Expr::Dot(..), Expr::Property(p, _)) => p.2.as_str(),
            (Expr::Index(..), Expr::StringConstant(s, _)) => s.as_str(),
            _ => return None,
        };
        let (at, kind) = (self.metric)(name)?;
        Some(Node::Metric(at, kind))
    }
}

/// The field `key` (a property, a string index, or a path of them) of the
/// map `value`.
fn field(value: Dynamic, key: &Expr) -> Option<Dynamic> {
    let get = |value: Dynamic, name: &str| value.try_cast::<rhai::Map>()?.get(name).cloned();
    match key {
        Expr::Property(p, _) => get(value, p.2.as_str()),
        Expr::StringConstant(s, _) => get(value, s.as_str()),
        Expr::Dot(x, flags, _) | Expr::Index(x, flags, _)
            if !flags.contains(rhai::ASTFlags::NEGATED) =>
        {
            field(field(value, &x.lhs)?, &x.rhs)
        }
        _ => None,
    }
}

/// A constant the optimiser folded, if it is of a type the tree has.
fn constant(value: &Dynamic) -> Option<Node> {
    if let Ok(i) = value.as_int() {
        Some(Node::Int(i))
    } else if let Ok(f) = value.as_float() {
        Some(Node::Float(f))
    } else if let Ok(b) = value.as_bool() {
        Some(Node::Bool(b))
    } else if value.is_string() {
        Some(Node::Text(
            value.clone().into_immutable_string().ok()?.to_string(),
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;

    /// The metrics the test checks read, in declared order: `r` ratio,
    /// `n` number, `c` count, `f` flag, `t` text.
    const NAMES: [&str; 5] = ["r", "n", "c", "f", "t"];

    fn kind_of(name: &str) -> Option<MetricKind> {
        Some(match name {
            "r" => MetricKind::Ratio,
            "n" => MetricKind::Number,
            "c" => MetricKind::Count,
            "f" => MetricKind::Flag,
            "t" => MetricKind::Text,
            _ => return None,
        })
    }

    fn metric(name: &str) -> Option<(usize, MetricKind)> {
        Some((NAMES.iter().position(|n| *n == name)?, kind_of(name)?))
    }

    fn compiled(source: &str) -> (rhai::Engine, AST, FnPtr, Option<Predicate>) {
        let engine = crate::engine::sandbox::new_engine(&Default::default());
        let ast = engine.compile(source).unwrap();
        let check: FnPtr = engine.eval_ast(&ast).unwrap();
        let predicate = Predicate::compile(&ast, &check, metric);
        (engine, ast, check, predicate)
    }

    /// What the script itself answers on `values`.
    fn by_script(
        engine: &rhai::Engine,
        ast: &AST,
        check: &FnPtr,
        values: &[(&str, MetricValue)],
    ) -> bool {
        let map: rhai::Map = values
            .iter()
            .map(|(n, v)| ((*n).into(), crate::engine::evaluate::run::to_dynamic(v)))
            .collect();
        check.call(engine, ast, (map,)).unwrap()
    }

    fn natively(predicate: &Predicate, values: &[(&str, MetricValue)]) -> Native {
        predicate.decide(|at| {
            let name = NAMES[at];
            values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
        })
    }

    #[test]
    fn compiles_comparisons_of_metrics_and_constants() {
        for source in [
            "|m| m.r >= 0.5",
            "|m| m.f && m.r >= 0.85 && m.n <= 0.2",
            "|m| m.f || !m.f",
            "|m| m[\"c\"] > 3 && m.t == \"open\"",
            "|m| m.c * 2 < m.c + 1 || m.r - 0.5 > -0.25",
            "|m| m.f == true",
            "|m| true",
            "|m| m.r != m.n",
            "let t = 0.5; |m| m.r > t",
            "let t = #{ r: #{ at: 0.5 } }; |m| m.r > t.r.at && m.c >= t[\"r\"].at",
        ] {
            assert!(compiled(source).3.is_some(), "{source} should compile");
        }
    }

    #[test]
    fn leaves_everything_else_to_the_script() {
        for source in [
            "fn high(x) { x > 1 } |m| high(m.r)",
            "|m| { let x = m.r; x > 0.5 }",
            "|m| m.r / 2.0 > 0.1",
            "|m| m?.r > 0.5",
            "|m| m.r",
            "|m| m.f < true",
            "|m| m.t > \"a\"",
            "|m| m.c == \"3\"",
            "|m| !m.r",
            "|m| m.unknown > 1",
            "|m| if m.f { true } else { false }",
            "let t = [0.5]; |m| m.r > t",
            "let t = #{}; |m| m.r > t.missing",
            "|m, x| m.r > 0.5",
        ] {
            assert!(compiled(source).3.is_none(), "{source} should not compile");
        }
    }

    #[test]
    fn answers_as_the_script_does_at_and_around_thresholds() {
        use MetricValue::{Flag, Number, Text};
        // One step either side of x in f64: within Rhai's epsilon of x.
        let step = |x: f64, by: i64| f64::from_bits((x.to_bits() as i64 + by) as u64);
        let near = |x: f64| {
            [
                x,
                step(x, -1),
                step(x, 1),
                step(x, -4),
                x - 1e-9,
                x + 1e-9,
                0.0,
                -0.0,
            ]
        };
        let sources = [
            "|m| m.r >= 0.85",
            "|m| m.r > 0.85",
            "|m| m.r <= 0.85",
            "|m| m.r < 0.85",
            "|m| m.r == 0.85",
            "|m| m.r != 0.85",
            "|m| m.r >= 0",
            "|m| m.n * 3 > 2.55",
            "|m| 0.85 <= m.n + m.r",
            "|m| m.c >= 3 && m.f",
            "|m| m.c > 2.5 || m.t != \"x\"",
            "let t = #{ at: 0.85, n: 3 }; |m| m.r >= t.at && m.c < t.n",
        ];
        for source in sources {
            let (engine, ast, check, predicate) = compiled(source);
            let predicate = predicate.unwrap();
            for r in near(0.85) {
                for c in [0.0, 2.0, 3.0, 4.0] {
                    let values = [
                        ("r", Number(r)),
                        ("n", Number(r / 3.0 + 0.0)),
                        ("c", Number(c)),
                        ("f", Flag(c > 2.0)),
                        ("t", Text(if c > 3.0 { "x".into() } else { "y".into() })),
                    ];
                    assert_eq!(
                        natively(&predicate, &values),
                        Native::Holds(by_script(&engine, &ast, &check, &values)),
                        "{source} on r={r:e}, c={c}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_integer_overflow_is_left_to_the_script() {
        let (.., predicate) = compiled("let big = 9223372036854775807; |m| m.f && big + 1 > 0");
        let values = [("f", MetricValue::Flag(true))];
        assert_eq!(natively(&predicate.unwrap(), &values), Native::Script);
    }

    #[test]
    fn counts_arrive_as_numbers_so_division_is_real() {
        let (engine, ast, check, _) = compiled("|m| m.c / 10 >= 0.7");
        let values = [("c", MetricValue::Number(7.0))];
        assert!(
            by_script(&engine, &ast, &check, &values),
            "7 / 10 must be 0.7, not 0"
        );
    }

    #[test]
    fn a_missing_metric_leaves_undecided_only_what_it_could_change() {
        use MetricValue::{Flag, Number};
        let (.., both) = compiled("|m| m.f && m.r > 0.5");
        let both = both.unwrap();
        assert_eq!(natively(&both, &[("f", Flag(true))]), Native::Missing);
        assert_eq!(natively(&both, &[("r", Number(0.9))]), Native::Missing);
        // `false` and anything is false, on either side of the missing one.
        assert_eq!(natively(&both, &[("f", Flag(false))]), Native::Holds(false));
        assert_eq!(natively(&both, &[("r", Number(0.1))]), Native::Holds(false));
        let (.., either) = compiled("|m| m.f || m.r > 0.5");
        let either = either.unwrap();
        assert_eq!(natively(&either, &[("f", Flag(true))]), Native::Holds(true));
        assert_eq!(
            natively(&either, &[("r", Number(0.9))]),
            Native::Holds(true)
        );
        assert_eq!(natively(&either, &[("r", Number(0.1))]), Native::Missing);
        let (.., negated) = compiled("|m| !(m.f && m.r > 0.5)");
        let negated = negated.unwrap();
        assert_eq!(
            natively(&negated, &[("r", Number(0.1))]),
            Native::Holds(true)
        );
    }

    #[test]
    fn every_check_of_the_built_in_models_runs_natively() {
        let engine = Engine::with_builtin_models().unwrap();
        for model in engine.models() {
            let spec = model.spec();
            assert!(model.evaluates_natively(), "{}", spec.id);
            assert_eq!(model.scripted_checks(), Vec::<String>::new(), "{}", spec.id);
        }
    }
}
