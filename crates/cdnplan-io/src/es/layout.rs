//! Each matched index's own mapping, from `GET <pattern>/_mapping`, and what it means for
//! each request field: which cluster field holds a document's value, and for which documents
//! the cluster can tell that value exactly as the log reader reads it from `_source`.
//!
//! The log reader takes, per document, the first alternative of a mapped field that is present
//! (`url.path|url.original`). In the cluster an alternative can be
//!
//! * indexed whole (`keyword`, a number, `ip`, `geo_point`, `date`): present exactly when the
//!   field `exists`;
//! * a `keyword` with `ignore_above`: a longer value is kept in `_source` but not indexed, so
//!   `exists` proves presence and its absence proves nothing;
//! * `text`: `exists` tells presence, and only a `keyword` sub-field (dynamic mappings make
//!   `x.keyword`, with `ignore_above: 256`) holds the value;
//! * unmapped: absent from every document, unless the index keeps unmapped fields in
//!   `_source` (`dynamic: false`, `enabled: false`), when nothing can be told.
//!
//! A [`SlotRes`] lists, per alternative, the queries proving the earlier alternatives absent
//! and the field holding its value. A document is *clean* for a field when one alternative
//! holds its value and every earlier one is proven absent (or, where allowed, when every
//! alternative is proven absent); the push-down aggregates clean documents only and reads the
//! rest raw. Indices whose resolutions agree form one [`Group`].

use std::collections::BTreeMap;

use super::client::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::client::Inner;
use super::error::EsError;
use super::fields::Want;
use crate::logs::FieldSpec;

/// One mapped field of one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MField {
    /// The mapped type (`keyword`, `text`, `long`, …).
    pub(crate) ty: String,
    /// `ignore_above` of a `keyword`.
    pub(crate) ignore_above: Option<u64>,
}

/// One concrete index's mapping, flattened to dotted names (multi-fields as `name.sub`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexMap {
    /// The concrete index (a `.ds-` backing index for a data stream).
    pub(crate) name: String,
    /// Dotted field name → field.
    pub(crate) fields: BTreeMap<String, MField>,
    /// Unmapped fields may sit in `_source` (`dynamic: false` or `enabled: false` somewhere).
    pub(crate) hides: bool,
}

/// Asks `GET <index>/_mapping` for the mapping of every index `index` matches.
///
/// # Errors
/// The client's errors ([`EsError::IndexNotFound`] for a pattern matching nothing).
pub(crate) async fn fetch(inner: &Inner, index: &str) -> Result<Vec<IndexMap>, EsError> {
    let path = format!("/{index}/_mapping");
    let v = inner.call_json(Method::Get, &path, &[], None, true).await?;
    Ok(parse(&v))
}

/// The indices of a `_mapping` answer.
pub(crate) fn parse(v: &Value) -> Vec<IndexMap> {
    let mut out = Vec::new();
    for (name, body) in v.as_object().into_iter().flatten() {
        let mut m = IndexMap {
            name: name.clone(),
            ..Default::default()
        };
        let mut root = &body["mappings"];
        // Elasticsearch 6 nests the mapping under its one type name.
        if root.get("properties").is_none()
            && let Some(obj) = root.as_object()
            && obj.len() == 1
            && let Some(inner) = obj.values().next()
            && inner.get("properties").is_some()
        {
            root = inner;
        }
        walk(root, "", &mut m);
        // Aliases point at another field: they hold its type.
        let aliases: Vec<(String, String)> = m
            .fields
            .iter()
            .filter(|(_, f)| f.ty.starts_with("alias:"))
            .map(|(k, f)| (k.clone(), f.ty["alias:".len()..].to_string()))
            .collect();
        for (k, target) in aliases {
            match m.fields.get(&target).cloned() {
                Some(t) => {
                    m.fields.insert(k, t);
                }
                None => {
                    m.fields.remove(&k);
                }
            }
        }
        out.push(m);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn hides(obj: &Value) -> bool {
    let dynamic_off = match obj.get("dynamic") {
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s == "false" || s == "runtime",
        _ => false,
    };
    let disabled = match obj.get("enabled") {
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s == "false",
        _ => false,
    };
    dynamic_off || disabled
}

fn walk(obj: &Value, prefix: &str, m: &mut IndexMap) {
    if hides(obj) {
        m.hides = true;
    }
    let Some(props) = obj.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, f) in props {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let ty = f.get("type").and_then(Value::as_str);
        match ty {
            None | Some("object" | "nested") => walk(f, &name, m),
            Some("alias") => {
                let target = f.get("path").and_then(Value::as_str).unwrap_or_default();
                m.fields.insert(
                    name.clone(),
                    MField {
                        ty: format!("alias:{target}"),
                        ignore_above: None,
                    },
                );
            }
            Some(t) => {
                m.fields.insert(name.clone(), field(t, f));
                for (sub, sf) in f
                    .get("fields")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if let Some(st) = sf.get("type").and_then(Value::as_str) {
                        m.fields.insert(format!("{name}.{sub}"), field(st, sf));
                    }
                }
            }
        }
        if hides(f) {
            m.hides = true;
        }
    }
}

fn field(ty: &str, f: &Value) -> MField {
    MField {
        ty: ty.to_string(),
        ignore_above: f.get("ignore_above").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        }),
    }
}

/// `{"exists": {"field": f}}`.
pub(crate) fn exists(f: &str) -> Value {
    json!({"exists": {"field": f}})
}

/// The negation of `q`, simplified where `q` matches all or nothing.
pub(crate) fn not(q: Value) -> Value {
    if q == match_all() {
        match_none()
    } else if q == match_none() {
        match_all()
    } else {
        json!({"bool": {"must_not": [q]}})
    }
}

/// All of `qs` (match-all when empty), simplified.
pub(crate) fn and(qs: Vec<Value>) -> Value {
    let mut qs: Vec<Value> = qs.into_iter().filter(|q| *q != match_all()).collect();
    if qs.contains(&match_none()) {
        return match_none();
    }
    match qs.len() {
        0 => match_all(),
        1 => qs.pop().unwrap_or_else(match_all),
        _ => json!({"bool": {"filter": qs}}),
    }
}

/// Any of `qs` (match-none when empty), simplified.
pub(crate) fn or(qs: Vec<Value>) -> Value {
    let mut qs: Vec<Value> = qs.into_iter().filter(|q| *q != match_none()).collect();
    if qs.contains(&match_all()) {
        return match_all();
    }
    match qs.len() {
        0 => match_none(),
        1 => qs.pop().unwrap_or_else(match_none),
        _ => json!({"bool": {"should": qs, "minimum_should_match": 1}}),
    }
}

/// `{"match_all": {}}`.
pub(crate) fn match_all() -> Value {
    json!({"match_all": {}})
}

/// A query matching nothing.
pub(crate) fn match_none() -> Value {
    json!({"bool": {"must_not": [match_all()]}})
}

/// One alternative path of a request field in one index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Alt {
    /// Queries proving every earlier alternative absent.
    pub(crate) before: Vec<Value>,
    /// The field holding this alternative's value, when one does.
    pub(crate) field: Option<String>,
    /// `field` exists exactly when the alternative is present (indexed whole, and its
    /// absence provable by the same `exists`).
    pub(crate) whole: bool,
}

/// A request field resolved in one index.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub(crate) struct SlotRes {
    /// The alternatives a document may take its value from, in order.
    pub(crate) alts: Vec<Alt>,
    /// Queries proving every alternative absent, when that can be proven.
    pub(crate) none: Option<Vec<Value>>,
}

impl SlotRes {
    /// Resolves `spec` in `index` for `want`.
    pub(crate) fn new(index: &IndexMap, spec: &FieldSpec, want: Want) -> SlotRes {
        let mut alts = Vec::new();
        let mut before: Vec<Value> = Vec::new();
        for p in &spec.paths {
            let (field, absent) = access(index, p, want);
            let unmapped = !index.fields.contains_key(p) && field.is_none();
            let whole = field.as_deref() == Some(p.as_str()) && matches!(absent, Some(Some(_)));
            if !(unmapped && absent.is_some()) {
                alts.push(Alt {
                    before: before.clone(),
                    field,
                    whole,
                });
            }
            match absent {
                Some(Some(q)) => before.push(q),
                Some(None) => {}
                None => {
                    return SlotRes { alts, none: None };
                }
            }
        }
        SlotRes {
            alts,
            none: Some(before),
        }
    }

    /// The documents whose value the cluster holds exactly (with `none_ok`, also those
    /// proven to have none).
    pub(crate) fn clean(&self, none_ok: bool) -> Value {
        // Every document takes its value from a whole alternative or has none.
        if none_ok && self.none.is_some() && self.alts.iter().all(|a| a.whole) {
            return match_all();
        }
        let mut any: Vec<Value> = self
            .alts
            .iter()
            .filter_map(|a| {
                let f = a.field.as_ref()?;
                let mut all = a.before.clone();
                all.push(exists(f));
                Some(and(all))
            })
            .collect();
        if none_ok && let Some(n) = &self.none {
            any.push(and(n.clone()));
        }
        or(any)
    }

    /// True when no document can be clean ([`SlotRes::clean`] matches nothing).
    pub(crate) fn never_clean(&self, none_ok: bool) -> bool {
        self.alts.iter().all(|a| a.field.is_none()) && !(none_ok && self.none.is_some())
    }

    /// Among clean documents, those whose value passes `test` (given the field holding it).
    pub(crate) fn test(&self, test: impl Fn(&str) -> Value) -> Value {
        or(self
            .alts
            .iter()
            .filter_map(|a| {
                let f = a.field.as_ref()?;
                let mut all = a.before.clone();
                all.push(test(f));
                Some(and(all))
            })
            .collect())
    }

    /// A superset of the documents whose value passes the log reader's test: `test` where the
    /// cluster holds the value, every document where it does not.
    pub(crate) fn loose(&self, test: impl Fn(&str) -> Value) -> Value {
        or(vec![self.test(test), not(self.clean(true))])
    }
}

/// The field holding `path`'s value in `index` for `want`, and the query proving it absent:
/// `Some(None)` when no document can have it, `None` when absence cannot be proven.
fn access(index: &IndexMap, path: &str, want: Want) -> (Option<String>, Option<Option<Value>>) {
    let Some(f) = index.fields.get(path) else {
        return (None, if index.hides { None } else { Some(None) });
    };
    let absent = Some(Some(not(exists(path))));
    if want.accepts(&f.ty) {
        if f.ignore_above.is_some() {
            return (Some(path.to_string()), None);
        }
        return (Some(path.to_string()), absent);
    }
    if f.ty == "text" || f.ty == "match_only_text" {
        let sub = format!("{path}.keyword");
        let field = index
            .fields
            .get(&sub)
            .filter(|s| want.accepts(&s.ty))
            .map(|_| sub);
        return (field, absent);
    }
    (None, absent)
}

/// The resolution of every request field a read needs, in one set of indices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Group {
    /// The concrete indices.
    #[serde(skip)]
    pub(crate) indices: Vec<String>,
    pub(crate) timestamp: SlotRes,
    pub(crate) url: Option<SlotRes>,
    pub(crate) status: Option<SlotRes>,
    pub(crate) client_ip: SlotRes,
    pub(crate) bytes: SlotRes,
    pub(crate) cell: Option<SlotRes>,
    pub(crate) node: Option<SlotRes>,
}

/// Groups indices with equal resolutions, built by `resolve` per index.
pub(crate) fn group(indices: &[IndexMap], resolve: impl Fn(&IndexMap) -> Group) -> Vec<Group> {
    let mut by_key: BTreeMap<String, Group> = BTreeMap::new();
    for i in indices {
        let g = resolve(i);
        let key = serde_json::to_string(&g).unwrap_or_default();
        by_key
            .entry(key)
            .or_insert_with(|| Group {
                indices: Vec::new(),
                ..g
            })
            .indices
            .push(i.name.clone());
    }
    by_key.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> Vec<IndexMap> {
        parse(&json!({
            "a": {"mappings": {"properties": {
                "url": {"properties": {"path": {"type": "keyword"}, "original": {"type": "keyword"}}},
                "host": {"properties": {"name": {"type": "keyword", "ignore_above": 64}}}}}},
            "b": {"mappings": {"dynamic": "false", "properties": {
                "url": {"properties": {"path": {"type": "text",
                    "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}}}}},
        }))
    }

    #[test]
    fn mappings_flatten_with_multi_fields_and_hidden_fields() {
        let m = maps();
        assert_eq!(m[0].name, "a");
        assert!(!m[0].hides && m[1].hides);
        assert_eq!(m[0].fields["host.name"].ignore_above, Some(64));
        assert_eq!(m[1].fields["url.path.keyword"].ty, "keyword");
    }

    #[test]
    fn alternatives_resolve_per_index() {
        let m = maps();
        let url: FieldSpec = "url.path|url.original".parse().unwrap();
        let a = SlotRes::new(&m[0], &url, Want::Keyword);
        assert_eq!(a.alts.len(), 2);
        assert_eq!(a.alts[1].before, vec![not(exists("url.path"))]);
        assert!(a.none.is_some() && a.alts.iter().all(|x| x.field.is_some()));
        // Text with a keyword sub-field in an index that hides unmapped fields: url.original
        // may be in `_source`, so documents without url.path are not clean.
        let b = SlotRes::new(&m[1], &url, Want::Keyword);
        assert_eq!(b.alts.len(), 2);
        assert_eq!(b.alts[0].field.as_deref(), Some("url.path.keyword"));
        assert_eq!(b.alts[1].field, None);
        assert!(b.none.is_none());
        // A keyword with ignore_above proves presence only.
        let node = SlotRes::new(&m[0], &FieldSpec::new("host.name"), Want::Keyword);
        assert!(node.none.is_none());
        assert_eq!(node.alts[0].field.as_deref(), Some("host.name"));
    }
}
