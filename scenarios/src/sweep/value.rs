//! One cell of a sweep's results table, and the flattening of a JSON report into cells.

use std::fmt;

/// One value a run reports for one column of `results.csv`: a number, a string, a
/// boolean or nothing. Written to the CSV as plain text (see [`Value::to_cell`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (JSON `null`): an empty cell.
    Null,
    /// A boolean: `true` or `false`.
    Bool(bool),
    /// A signed integer (e.g. a count or a time in nanoseconds).
    Int(i64),
    /// An unsigned integer too large for [`Value::Int`].
    UInt(u64),
    /// A floating-point number (e.g. a utilisation or a wall-clock time in seconds).
    Float(f64),
    /// A string (e.g. a mode name or a trace hash).
    Text(String),
}

impl Value {
    /// The CSV cell text of this value: empty for `Null`, `true`/`false`, decimal integers,
    /// floats in Rust's shortest round-trip form (`0.25`, `1e-7`, `NaN`, `inf`), and
    /// strings with line breaks written as the two characters `\n` (or `\r`) so that every
    /// record of the CSV is exactly one line.
    pub fn to_cell(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Text(s) => one_line(s),
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_cell())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(v),
        }
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// Shortest round-trip text of a float; exponent form only for very large or small
/// magnitudes, so that ordinary values read naturally (`0.5`, `44.736`, `3`).
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

/// `s` with CR and LF replaced by the escapes `\r` and `\n`.
pub(crate) fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.replace('\r', "\\r").replace('\n', "\\n")
    } else {
        s.to_string()
    }
}

/// Flattens a JSON report into `(column, value)` pairs, in the object's key order.
///
/// Nested objects give dotted names (`primary.write_response_ns.p99`); arrays that hold
/// objects or arrays give one level per element index (`sites.0.rpo_ns.p99`). An array of
/// scalars (strings, numbers, booleans, nulls; also an empty array) is one column whose
/// value is the array's compact JSON text (`["PAYROLL.DATA","GL.MASTER"]`), so that a
/// variable-length list does not make the set of columns vary between runs. A scalar at
/// the top level is the single column `value`; an empty object gives no column.
pub fn flatten_json(report: &serde_json::Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut name = String::new();
    flatten_into(report, &mut name, &mut out);
    if out.is_empty() && !matches!(report, serde_json::Value::Object(_)) {
        out.push(("value".to_string(), scalar(report)));
    }
    out
}

fn flatten_into(v: &serde_json::Value, name: &mut String, out: &mut Vec<(String, Value)>) {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            for (k, child) in map {
                let len = name.len();
                push_segment(name, k);
                flatten_into(child, name, out);
                name.truncate(len);
            }
        }
        J::Array(items)
            if items
                .iter()
                .any(|i| matches!(i, J::Object(_) | J::Array(_))) =>
        {
            for (i, child) in items.iter().enumerate() {
                let len = name.len();
                push_segment(name, &i.to_string());
                flatten_into(child, name, out);
                name.truncate(len);
            }
        }
        other => {
            if !name.is_empty() {
                out.push((name.clone(), scalar(other)));
            }
        }
    }
}

fn push_segment(name: &mut String, seg: &str) {
    if !name.is_empty() {
        name.push('.');
    }
    name.push_str(seg);
}

fn scalar(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => Value::Text(s.clone()),
        J::Array(_) => Value::Text(v.to_string()),
        J::Object(_) => Value::Text(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_nested_objects_and_arrays_of_objects() {
        let r = json!({
            "seed": 3, "mode": "xrc", "drained": false, "disaster_at_ns": null,
            "link": {"utilization": 0.25},
            "sites": [ {"site": "S1", "rpo_ns": {"p99": 7}, "lost_datasets": ["A.B", "C"]},
                       {"site": "S2", "rpo_ns": {"p99": 9}, "lost_datasets": []} ],
            "big": 18446744073709551615u64
        });
        let f = flatten_json(&r);
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("seed"), Some(Value::Int(3)));
        assert_eq!(get("mode"), Some(Value::Text("xrc".into())));
        assert_eq!(get("drained"), Some(Value::Bool(false)));
        assert_eq!(get("disaster_at_ns"), Some(Value::Null));
        assert_eq!(get("link.utilization"), Some(Value::Float(0.25)));
        assert_eq!(get("sites.0.rpo_ns.p99"), Some(Value::Int(7)));
        assert_eq!(get("sites.1.site"), Some(Value::Text("S2".into())));
        assert_eq!(
            get("sites.0.lost_datasets"),
            Some(Value::Text("[\"A.B\",\"C\"]".into()))
        );
        assert_eq!(get("sites.1.lost_datasets"), Some(Value::Text("[]".into())));
        assert_eq!(get("big"), Some(Value::UInt(u64::MAX)));
        assert_eq!(f.len(), 12);
    }

    #[test]
    fn scalar_report_is_one_column() {
        assert_eq!(
            flatten_json(&json!(5)),
            vec![("value".to_string(), Value::Int(5))]
        );
        assert!(flatten_json(&json!({})).is_empty());
    }

    #[test]
    fn cells_are_one_line_and_round_trip_floats() {
        assert_eq!(Value::Text("a\nb\r".into()).to_cell(), "a\\nb\\r");
        assert_eq!(Value::Float(0.1).to_cell(), "0.1");
        assert_eq!(Value::Float(3.0).to_cell(), "3");
        assert_eq!(Value::Float(1e-7).to_cell(), "1e-7");
        assert_eq!(Value::Float(2.5e20).to_cell(), "2.5e20");
        assert_eq!(Value::Float(f64::NAN).to_cell(), "NaN");
        assert_eq!(Value::Null.to_cell(), "");
        for x in [0.1, 1e-7, 2.5e20, 123.456, -7.0e-12] {
            let back: f64 = Value::Float(x).to_cell().parse().unwrap();
            assert_eq!(back, x);
        }
    }
}
