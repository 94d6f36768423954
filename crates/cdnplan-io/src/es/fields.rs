//! The index mapping as the query needs it: each mapped request field resolved to one
//! searchable, aggregatable field of the right type (a `text` field's `.keyword` sub-field
//! where there is one), through `_field_caps`.

use std::collections::BTreeMap;

use super::client::Method;
use serde_json::Value;

use super::client::Inner;
use super::error::EsError;
use crate::logs::FieldSpec;

/// What a field must be for its use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// `date` / `date_nanos` (range queries).
    Date,
    /// Exact text: `keyword`, `constant_keyword`, `wildcard` (terms, regexp).
    Keyword,
    /// A number (sum).
    Number,
    /// A number or exact text (status ranges).
    NumberOrKeyword,
    /// An `ip` or exact text (client addresses).
    IpOrKeyword,
    /// A `geo_point` (geotile_grid).
    GeoPoint,
}

impl Want {
    pub(crate) fn accepts(self, ty: &str) -> bool {
        let keyword = matches!(ty, "keyword" | "constant_keyword" | "wildcard");
        let number = matches!(
            ty,
            "long"
                | "integer"
                | "short"
                | "byte"
                | "double"
                | "float"
                | "half_float"
                | "scaled_float"
                | "unsigned_long"
        );
        match self {
            Want::Date => matches!(ty, "date" | "date_nanos"),
            Want::Keyword => keyword,
            Want::Number => number,
            Want::NumberOrKeyword => number || keyword,
            Want::IpOrKeyword => keyword || ty == "ip",
            Want::GeoPoint => ty == "geo_point",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Want::Date => "`date` or `date_nanos`",
            Want::Keyword => "`keyword` (or `text` with a `.keyword` sub-field)",
            Want::Number => "a numeric type (`long`, `integer`, …)",
            Want::NumberOrKeyword => "a numeric type or `keyword`",
            Want::IpOrKeyword => "`ip` or `keyword`",
            Want::GeoPoint => {
                "`geo_point` (map it so, or set the Elasticsearch mode `raw` to place clients by GeoIP)"
            }
        }
    }
}

/// Field name → the types it has across the matched indices.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldCaps {
    pub(crate) index: String,
    pub(crate) fields: BTreeMap<String, Vec<String>>,
    /// The concrete indices the pattern matched.
    pub(crate) indices: Vec<String>,
}

impl FieldCaps {
    /// Asks `_field_caps` for every field of `index`.
    ///
    /// # Errors
    /// [`EsError::IndexNotFound`] when the pattern matches nothing, [`EsError::Protocol`]
    /// (with a redacted excerpt) when the answer is not a `_field_caps` answer, and the
    /// client's errors.
    pub(crate) async fn fetch(inner: &Inner, index: &str) -> Result<FieldCaps, EsError> {
        let path = format!("/{index}/_field_caps");
        let bytes = inner
            .call_raw(Method::Get, &path, &[("fields", "*".into())], None, true)
            .await?;
        let v = inner.json(&bytes, "GET", &path)?;
        // A cluster's answer always has a `fields` object (empty when nothing matches); an
        // answer without one is not from a cluster that understood the question.
        let Some(obj) = v.get("fields").and_then(Value::as_object) else {
            return Err(inner.unreadable(
                &bytes,
                "GET",
                &path,
                &"no `fields` object: not a _field_caps answer",
            ));
        };
        let shape = if v.get("indices").is_some_and(|i| !i.is_array()) {
            Some("`indices` is not a list")
        } else if obj.values().any(|t| !t.is_object()) {
            Some("a field's types are not an object")
        } else {
            None
        };
        if let Some(why) = shape {
            return Err(inner.unreadable(&bytes, "GET", &path, &why));
        }
        let mut fields = BTreeMap::new();
        for (name, types) in obj {
            if name.starts_with('_') {
                continue;
            }
            let Some(types) = types.as_object() else {
                continue;
            };
            let tys: Vec<String> = types
                .keys()
                .filter(|t| t.as_str() != "object" && t.as_str() != "nested")
                .cloned()
                .collect();
            if !tys.is_empty() {
                fields.insert(name.clone(), tys);
            }
        }
        let no_indices = v
            .get("indices")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
        if fields.is_empty() || no_indices {
            return Err(EsError::IndexNotFound {
                index: index.to_string(),
                url: inner.display.clone(),
            });
        }
        let indices = v
            .get("indices")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(FieldCaps {
            index: index.to_string(),
            fields,
            indices,
        })
    }

    /// The first alternative of `spec` the mapping has, as a field usable for `want`:
    /// `Ok(None)` when the mapping has none of them.
    ///
    /// # Errors
    /// [`EsError::FieldType`] when the field exists with an unusable type.
    pub(crate) fn resolve(
        &self,
        spec: &FieldSpec,
        slot: &'static str,
        want: Want,
    ) -> Result<Option<String>, EsError> {
        for path in &spec.paths {
            let Some(types) = self.fields.get(path) else {
                continue;
            };
            if types.iter().all(|t| want.accepts(t)) {
                return Ok(Some(path.clone()));
            }
            // A text field with an exact sub-field (dynamic mappings give `x.keyword`).
            if types.iter().any(|t| t == "text" || t == "match_only_text") {
                let sub = format!("{path}.keyword");
                if let Some(st) = self.fields.get(&sub)
                    && st.iter().all(|t| want.accepts(t))
                {
                    return Ok(Some(sub));
                }
            }
            return Err(EsError::FieldType {
                field: path.clone(),
                slot,
                index: self.index.clone(),
                got: types.join(" / "),
                want: want.describe(),
            });
        }
        Ok(None)
    }

    /// Like [`FieldCaps::resolve`], but a missing field is an error listing the fields the
    /// mapping has.
    ///
    /// # Errors
    /// [`EsError::FieldMissing`] or [`EsError::FieldType`].
    pub(crate) fn require(
        &self,
        spec: &FieldSpec,
        slot: &'static str,
        want: Want,
    ) -> Result<String, EsError> {
        self.resolve(spec, slot, want)?
            .ok_or_else(|| EsError::FieldMissing {
                field: spec.display(),
                slot,
                index: self.index.clone(),
                available: self.listing(40),
            })
    }

    /// The mapped fields (`keyword` sub-fields left out), at most `max`, with a count of the
    /// rest.
    pub(crate) fn listing(&self, max: usize) -> String {
        let names: Vec<&str> = self
            .fields
            .keys()
            .filter(|k| !k.ends_with(".keyword"))
            .map(String::as_str)
            .collect();
        let mut s = names
            .iter()
            .take(max)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > max {
            s.push_str(&format!(", … ({} more)", names.len() - max));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> FieldCaps {
        let mut fields = BTreeMap::new();
        for (k, t) in [
            ("@timestamp", "date"),
            ("fields.meta.req.url", "text"),
            ("fields.meta.req.url.keyword", "keyword"),
            ("client.ip", "ip"),
            ("client.geo.location", "keyword"),
            ("bytes", "long"),
        ] {
            fields.insert(k.to_string(), vec![t.to_string()]);
        }
        FieldCaps {
            index: "logs".into(),
            fields,
            indices: vec!["logs".into()],
        }
    }

    /// Row 17 of issue 15: an answer that is not a `_field_caps` answer is reported as such,
    /// with a redacted excerpt, not as "no index matches".
    #[test]
    fn garbage_field_caps_is_an_unreadable_answer() {
        use crate::es::{EsAuth, EsClient, EsConnection, Secret};
        use crate::testserver::{reply, serve};
        let answers = [
            ("<html>proxy error: hunter2pw</html>", "not JSON"),
            (r#"{"hello":"world"}"#, "no `fields` object"),
            (
                r#"{"fields":{"a":1},"indices":["x"]}"#,
                "types are not an object",
            ),
            (r#"{"fields":{},"indices":"x"}"#, "`indices` is not a list"),
        ];
        for (answer, why) in answers {
            let url = serve(move |req, s| {
                if !req.path.contains("_field_caps") {
                    reply(s, 200, r#"{"version":{"number":"8.15.0"}}"#);
                } else {
                    reply(s, 200, answer);
                }
            });
            let auth = EsAuth::Basic {
                username: "u".into(),
                password: Secret::new("hunter2pw"),
            };
            let conn = EsConnection::url(&url).unwrap().auth(auth).retries(0);
            let client = EsClient::connect(&conn).unwrap();
            let e = client
                .block_on(FieldCaps::fetch(client.inner(), "logs"))
                .unwrap_err();
            assert!(matches!(e, EsError::Protocol { .. }), "{e}");
            let e = e.to_string();
            assert!(
                e.contains("GET /logs/_field_caps: unreadable answer") && e.contains(why),
                "{e}"
            );
            assert!(!e.contains("hunter2pw") && !e.contains("no index"), "{e}");
        }
        // A cluster's answer for a pattern that matches nothing is still that.
        let url = serve(|req, s| {
            if !req.path.contains("_field_caps") {
                reply(s, 200, r#"{"version":{"number":"8.15.0"}}"#);
            } else {
                reply(s, 200, r#"{"indices":[],"fields":{}}"#);
            }
        });
        let client = EsClient::connect(&EsConnection::url(&url).unwrap()).unwrap();
        let e = client
            .block_on(FieldCaps::fetch(client.inner(), "logs"))
            .unwrap_err();
        assert!(matches!(e, EsError::IndexNotFound { .. }), "{e}");
    }

    #[test]
    fn text_fields_resolve_to_their_keyword_sub_field() {
        let c = caps();
        let url = FieldSpec::new("fields.meta.req.url");
        assert_eq!(
            c.resolve(&url, "url", Want::Keyword).unwrap().as_deref(),
            Some("fields.meta.req.url.keyword")
        );
        let alt: FieldSpec = "http.response.bytes|bytes".parse().unwrap();
        assert_eq!(c.require(&alt, "bytes", Want::Number).unwrap(), "bytes");
    }

    #[test]
    fn wrong_types_and_missing_fields_are_named() {
        let c = caps();
        let geo = FieldSpec::new("client.geo.location");
        let e = c.resolve(&geo, "geo_location", Want::GeoPoint).unwrap_err();
        assert!(
            e.to_string().contains("is `keyword`, expected `geo_point`"),
            "{e}"
        );
        let e = c
            .require(&FieldSpec::new("source.ip"), "client_ip", Want::IpOrKeyword)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`source.ip`") && e.contains("client.ip, "),
            "{e}"
        );
        assert!(!e.contains(".keyword"), "{e}");
    }
}
