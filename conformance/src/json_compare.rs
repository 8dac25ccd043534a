//! Comparing what a peer returned with what it should hold, field by field,
//! with every difference named by its path.

use serde_json::{Map, Value};

/// Keys whose values are the content of a oneof or a tag: kept even when
/// they hold a default (`{"intValue":"0"}`, `{"boolValue":false}`,
/// `{"key":"k","value":""}`), because there the default is data.
const DATA_KEYS: &[&str] = &[
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
    "value",
];

/// `value` with every field that holds its type's default removed (`null`,
/// `false`, `0`, `""`, `[]`, `{}`), except the values of an attribute or tag
/// (`stringValue`, `intValue`, ..., `value`), where a default is data. Proto3 JSON
/// lets a writer omit default fields, so `{"droppedLinksCount":0}` and `{}`
/// say the same thing; after this both are `{}`.
pub fn without_defaults(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                let v = without_defaults(v);
                if DATA_KEYS.contains(&key.as_str()) || !is_default(&v) {
                    out.insert(key.clone(), v);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(without_defaults).collect()),
        other => other.clone(),
    }
}

fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Every difference between `expected` and `actual`, as
/// `"<path>: expected <e>, got <a>"`. Numbers compare by value (`2` equals
/// `2.0`); everything else exactly, arrays in order.
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("$", expected, actual, &mut out);
    out
}

fn diff(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let child = format!("{path}.{key}");
                match a.get(key) {
                    Some(av) => diff(&child, ev, av, out),
                    None => out.push(format!("{child}: expected {ev}, missing")),
                }
            }
            for (key, av) in a {
                if !e.contains_key(key) {
                    out.push(format!("{path}.{key}: not expected, got {av}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: expected {} elements, got {}",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                diff(&format!("{path}[{i}]"), ev, av, out);
            }
            for (i, ev) in e.iter().enumerate().skip(a.len()) {
                out.push(format!("{path}[{i}]: expected {ev}, missing"));
            }
            for (i, av) in a.iter().enumerate().skip(e.len()) {
                out.push(format!("{path}[{i}]: not expected, got {av}"));
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64(), e.as_u64(), a.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => e.as_f64() == a.as_f64(),
            };
            if !same {
                out.push(format!("{path}: expected {e}, got {a}"));
            }
        }
        _ => {
            if expected != actual {
                out.push(format!("{path}: expected {expected}, got {actual}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_removed_but_oneof_and_tag_values_stay() {
        let v = json!({
            "droppedAttributesCount": 0, "status": {}, "events": [], "traceState": "",
            "attributes": [{"key": "k", "value": {"intValue": "0"}}, {"key": "b", "value": {"boolValue": false}}],
            "tags": [{"key": "t", "type": "string", "value": ""}],
            "kind": 2
        });
        assert_eq!(
            without_defaults(&v),
            json!({
                "attributes": [{"key": "k", "value": {"intValue": "0"}}, {"key": "b", "value": {"boolValue": false}}],
                "tags": [{"key": "t", "type": "string", "value": ""}],
                "kind": 2
            })
        );
    }

    #[test]
    fn differences_name_the_path() {
        let e = json!({"a": [1, {"b": "x"}], "c": 1.5, "gone": true});
        let a = json!({"a": [1, {"b": "y"}], "c": 1.5, "extra": 0});
        assert_eq!(
            differences(&e, &a),
            vec![
                "$.a[1].b: expected \"x\", got \"y\"".to_owned(),
                "$.gone: expected true, missing".to_owned(),
                "$.extra: not expected, got 0".to_owned(),
            ]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(differences(&json!(2.0), &json!(2)).is_empty());
        assert!(differences(&json!(i64::MIN), &json!(i64::MIN)).is_empty());
        assert!(!differences(&json!(u64::MAX), &json!(u64::MAX - 1)).is_empty());
        assert!(!differences(&json!(0.1), &json!(0.10000000000000002)).is_empty());
    }

    #[test]
    fn arrays_compare_in_order_and_by_length() {
        assert_eq!(differences(&json!([1, 2]), &json!([2, 1])).len(), 2);
        assert_eq!(
            differences(&json!([1]), &json!([1, 2])),
            vec![
                "$: expected 1 elements, got 2".to_owned(),
                "$[1]: not expected, got 2".to_owned()
            ]
        );
        assert_eq!(
            differences(&json!([1, 2]), &json!([1])),
            vec![
                "$: expected 2 elements, got 1".to_owned(),
                "$[1]: expected 2, missing".to_owned()
            ]
        );
    }
}
