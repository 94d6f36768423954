//! NDJSON records: a targeted extractor that walks one JSON document and captures only the
//! mapped paths, borrowing strings from the line and skipping everything else without
//! building values.
//!
//! Elasticsearch `_search` responses (`{"hits":{"hits":[…]}}`) are recognised by a marker path
//! and re-read hit by hit (rare, so they may allocate).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::mapping::{FieldMapping, INDEX_FIELD, LogFormat, PathTrie, Slot};
use super::record::{Cap, Captures};

/// The compiled paths of a mapping for one JSON format.
#[derive(Debug, Clone)]
pub(crate) struct JsonExtractor {
    trie: PathTrie,
}

impl JsonExtractor {
    /// Compiles `mapping`; for [`LogFormat::EsHits`] paths sit under `_source` and a marker
    /// recognises whole `_search` responses.
    pub(crate) fn new(mapping: &FieldMapping, format: LogFormat) -> Self {
        let hits = format == LogFormat::EsHits;
        let mut paths: Vec<(Slot, u8, String)> = Vec::new();
        for (slot, spec) in mapping.slots() {
            for (pref, p) in spec.paths.iter().enumerate() {
                // `_index` is the hit's own metadata, not a `_source` path.
                let p = if hits && p != INDEX_FIELD {
                    format!("_source.{p}")
                } else {
                    p.clone()
                };
                paths.push((slot, pref.min(255) as u8, p));
            }
        }
        if hits {
            paths.push((Slot::Hits, 0, "hits.hits".into()));
        }
        let trie = PathTrie::new(paths.iter().map(|(s, p, x)| (*s, *p, x.as_str())));
        JsonExtractor { trie }
    }

    /// Captures the mapped fields of the JSON document in `line`.
    ///
    /// # Errors
    /// The JSON parser's message when the line is not one JSON object.
    pub(crate) fn extract<'a>(
        &self,
        line: &'a [u8],
        caps: &mut Captures<'a>,
    ) -> Result<(), String> {
        let mut de = serde_json::Deserializer::from_slice(line);
        NodeSeed {
            trie: &self.trie,
            node: 0,
            span: 0,
            caps,
        }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())
    }

    /// The hits of a `_search` response in `doc`, each re-captured; `f` gets each hit's
    /// 0-based index and captures.
    ///
    /// # Errors
    /// The JSON parser's message when `doc` is not a `_search` response; `f`'s error.
    pub(crate) fn for_each_hit<E>(
        &self,
        doc: &[u8],
        mut f: impl FnMut(usize, &Captures<'_>) -> Result<(), E>,
    ) -> Result<Result<(), E>, String> {
        #[derive(Deserialize)]
        struct Response {
            hits: Hits,
        }
        #[derive(Deserialize)]
        struct Hits {
            hits: Vec<serde_json::Value>,
        }
        let r: Response = serde_json::from_slice(doc).map_err(|e| e.to_string())?;
        for (i, hit) in r.hits.hits.into_iter().enumerate() {
            let mut caps = Captures::default();
            NodeSeed {
                trie: &self.trie,
                node: 0,
                span: 0,
                caps: &mut caps,
            }
            .deserialize(hit)
            .map_err(|e| format!("hit {i}: {e}"))?;
            if let Err(e) = f(i, &caps) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

/// Rank of a capture: earlier alternatives first, then longer literal keys.
fn rank(pref: u8, span: u8) -> u16 {
    u16::from(pref) * 256 + u16::from(255 - span)
}

struct NodeSeed<'t, 'c, 'a> {
    trie: &'t PathTrie,
    node: u32,
    /// The longest literal key (in segments) on the way here.
    span: u8,
    caps: &'c mut Captures<'a>,
}

impl NodeSeed<'_, '_, '_> {
    fn capture<'a>(trie: &PathTrie, node: u32, span: u8, caps: &mut Captures<'a>, cap: Cap<'a>) {
        let slots = &trie.node(node).slots;
        if let Some(((last_slot, last_pref), rest)) = slots.split_last() {
            for &(slot, pref) in rest {
                caps.set(slot, rank(pref, span), cap.clone());
            }
            caps.set(*last_slot, rank(*last_pref, span), cap);
        }
    }
}

impl<'de, 'a> DeserializeSeed<'de> for NodeSeed<'_, '_, 'a>
where
    'de: 'a,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($name:ident, $t:ty, $e:expr) => {
        fn $name<E: de::Error>(self, v: $t) -> Result<(), E> {
            let f: fn($t) -> Cap<'a> = $e;
            NodeSeed::capture(self.trie, self.node, self.span, self.caps, f(v));
            Ok(())
        }
    };
}

impl<'de, 'a> Visitor<'de> for NodeSeed<'_, '_, 'a>
where
    'de: 'a,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalar!(visit_u64, u64, Cap::U64);
    scalar!(visit_i64, i64, Cap::I64);
    scalar!(visit_f64, f64, Cap::F64);
    scalar!(visit_bool, bool, |_| Cap::Other("boolean"));

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        NodeSeed::capture(
            self.trie,
            self.node,
            self.span,
            self.caps,
            Cap::Str(Cow::Borrowed(v)),
        );
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if !self.trie.node(self.node).slots.is_empty() {
            NodeSeed::capture(
                self.trie,
                self.node,
                self.span,
                self.caps,
                Cap::Str(Cow::Owned(v.to_string())),
            );
        }
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        NodeSeed::capture(
            self.trie,
            self.node,
            self.span,
            self.caps,
            Cap::Str(Cow::Owned(v)),
        );
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        NodeSeed::capture(self.trie, self.node, self.span, self.caps, Cap::Null);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.trie.node(self.node).slots.is_empty() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let first = seq.next_element_seed(ScalarSeed)?;
        let second = match first {
            Some(_) => seq.next_element_seed(ScalarSeed)?,
            None => None,
        };
        let mut more = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            more = true;
        }
        let num = |c: &Cap<'_>| match c {
            Cap::U64(v) => Some(*v as f64),
            Cap::I64(v) => Some(*v as f64),
            Cap::F64(v) => Some(*v),
            _ => None,
        };
        let cap = match (first, second) {
            (Some(a), Some(b)) if !more && num(&a).is_some() && num(&b).is_some() => {
                Cap::Pair(num(&a).unwrap_or(0.0), num(&b).unwrap_or(0.0))
            }
            // A header logged as an array: the first entry counts.
            (Some(Cap::Str(s)), _) => Cap::Str(s),
            (None, _) => Cap::Null,
            _ => Cap::Other("array"),
        };
        NodeSeed::capture(self.trie, self.node, self.span, self.caps, cap);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let NodeSeed {
            trie,
            node,
            span,
            caps,
        } = self;
        let here = trie.node(node);
        let (mut lat, mut lon) = (None, None);
        while let Some(hit) = map.next_key_seed(KeySeed { trie, node })? {
            match hit {
                KeyHit::Edge(next, s) => map.next_value_seed(NodeSeed {
                    trie,
                    node: next,
                    span: span.max(s),
                    caps: &mut *caps,
                })?,
                KeyHit::Lat if !here.slots.is_empty() => {
                    lat = cap_f64(&map.next_value_seed(ScalarSeed)?)
                }
                KeyHit::Lon if !here.slots.is_empty() => {
                    lon = cap_f64(&map.next_value_seed(ScalarSeed)?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !here.slots.is_empty() {
            let cap = if lat.is_some() || lon.is_some() {
                Cap::LatLon(lat, lon)
            } else {
                Cap::Other("object")
            };
            NodeSeed::capture(trie, node, span, caps, cap);
        }
        Ok(())
    }
}

fn cap_f64(c: &Cap<'_>) -> Option<f64> {
    match c {
        Cap::U64(v) => Some(*v as f64),
        Cap::I64(v) => Some(*v as f64),
        Cap::F64(v) => Some(*v),
        Cap::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

enum KeyHit {
    Edge(u32, u8),
    Lat,
    Lon,
    Skip,
}

struct KeySeed<'t> {
    trie: &'t PathTrie,
    node: u32,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = KeyHit;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<KeyHit, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = KeyHit;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, k: &str) -> Result<KeyHit, E> {
        Ok(match self.trie.follow(self.node, k) {
            Some((n, s)) => KeyHit::Edge(n, s),
            None => match k {
                "lat" => KeyHit::Lat,
                "lon" => KeyHit::Lon,
                _ => KeyHit::Skip,
            },
        })
    }
}

/// One array element or object value as a scalar capture (containers become `Other`).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Cap<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cap<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Cap<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cap<'de>, E> {
        Ok(Cap::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cap<'de>, E> {
        Ok(Cap::I64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cap<'de>, E> {
        Ok(Cap::F64(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Cap<'de>, E> {
        Ok(Cap::Other("boolean"))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cap<'de>, E> {
        Ok(Cap::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cap<'de>, E> {
        Ok(Cap::Str(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cap<'de>, E> {
        Ok(Cap::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cap<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Cap::Other("array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cap<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Cap::Other("object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::mapping::{FieldSpec, Preset};

    fn extract(preset: Preset, line: &str) -> Vec<(Slot, Option<Cap<'static>>)> {
        let x = JsonExtractor::new(&preset.mapping(), preset.format());
        let owned: &'static str = Box::leak(line.to_string().into_boxed_str());
        let mut caps = Captures::default();
        x.extract(owned.as_bytes(), &mut caps).unwrap();
        [
            Slot::Timestamp,
            Slot::Url,
            Slot::ClientIp,
            Slot::Status,
            Slot::Bytes,
            Slot::GeoLocation,
            Slot::Country,
            Slot::Node,
            Slot::Hits,
        ]
        .into_iter()
        .map(|s| (s, caps.get(s).cloned()))
        .collect()
    }

    fn get(v: &[(Slot, Option<Cap<'static>>)], s: Slot) -> Option<Cap<'static>> {
        v.iter().find(|(x, _)| *x == s).and_then(|(_, c)| c.clone())
    }

    fn st(s: &str) -> Option<Cap<'static>> {
        Some(Cap::Str(Cow::Owned(s.to_string())))
    }

    const ARGUS: &str = r#"{"@timestamp":"2023-05-12T00:00:01.000Z","message":"HTTP GET /api/v1/assets/1","severity":"http","fields":{"label":"PublicApi","meta":{"req":{"url":"/api/v1/assets/1","headers":{"host":"n1","x-forwarded-for":"81.2.69.160, 10.0.0.1"},"method":"GET","query":{}},"res":{"statusCode":200,"headers":{"content-length":"1234"}},"responseTime":3}}}"#;

    #[test]
    fn captures_the_argus_paths() {
        let v = extract(Preset::Argus, ARGUS);
        assert_eq!(get(&v, Slot::Timestamp), st("2023-05-12T00:00:01.000Z"));
        assert_eq!(get(&v, Slot::Url), st("/api/v1/assets/1"));
        assert_eq!(get(&v, Slot::ClientIp), st("81.2.69.160, 10.0.0.1"));
        assert_eq!(get(&v, Slot::Status), Some(Cap::U64(200)));
        assert_eq!(get(&v, Slot::Bytes), st("1234"));
        assert_eq!(get(&v, Slot::Node), st("n1"));
    }

    #[test]
    fn dotted_keys_resolve_like_nested_ones() {
        let flat = r#"{"@timestamp":"2023-05-12T00:00:01Z","fields.meta":{"req.url":"/api/v1/assets/1","req":{"headers":{"x-forwarded-for":"1.2.3.4"}}},"fields.meta.res.statusCode":"206"}"#;
        let v = extract(Preset::Argus, flat);
        assert_eq!(get(&v, Slot::Url), st("/api/v1/assets/1"));
        assert_eq!(get(&v, Slot::ClientIp), st("1.2.3.4"));
        assert_eq!(get(&v, Slot::Status), st("206"));
    }

    #[test]
    fn ecs_alternatives_and_geo_shapes() {
        let line = r#"{"@timestamp":"2023-05-12T00:00:01Z","url":{"original":"/api/v1/assets/9?x","path":"/api/v1/assets/9"},"client":{"ip":"81.2.69.160","geo":{"location":{"lat":51.5,"lon":-0.1},"country_iso_code":"GB"}},"http":{"response":{"status_code":200,"body":{"bytes":77}}}}"#;
        let v = extract(Preset::Ecs, line);
        assert_eq!(
            get(&v, Slot::Url),
            st("/api/v1/assets/9"),
            "url.path preferred"
        );
        assert_eq!(
            get(&v, Slot::Bytes),
            Some(Cap::U64(77)),
            "body.bytes alternative"
        );
        assert_eq!(
            get(&v, Slot::GeoLocation),
            Some(Cap::LatLon(Some(51.5), Some(-0.1)))
        );
        let arr = r#"{"client":{"geo":{"location":[-0.1,51.5]}}}"#;
        assert_eq!(
            get(&extract(Preset::Ecs, arr), Slot::GeoLocation),
            Some(Cap::Pair(-0.1, 51.5))
        );
    }

    #[test]
    fn escaped_strings_are_owned_and_unmapped_values_skipped() {
        let line = r#"{"@timestamp":"x","fields":{"meta":{"req":{"url":"\/api\/v1\/assets\/5","big":[1,2,{"a":[true,null]}]}}}}"#;
        let v = extract(Preset::Argus, line);
        assert_eq!(get(&v, Slot::Url), st("/api/v1/assets/5"));
    }

    #[test]
    fn es_hits_read_under_source_and_mark_responses() {
        let hit = format!(r#"{{"_index":"distributor-node","_id":"a","_source":{ARGUS}}}"#);
        let v = extract(Preset::EsHits, &hit);
        assert_eq!(get(&v, Slot::Status), Some(Cap::U64(200)));
        let resp = format!(r#"{{"took":1,"hits":{{"total":{{"value":2}},"hits":[{hit},{hit}]}}}}"#);
        let v = extract(Preset::EsHits, &resp);
        assert!(get(&v, Slot::Hits).is_some());
        let x = JsonExtractor::new(&Preset::EsHits.mapping(), LogFormat::EsHits);
        let mut n = 0;
        x.for_each_hit(resp.as_bytes(), |_, c| {
            assert_eq!(c.get(Slot::Url), st("/api/v1/assets/1").as_ref());
            n += 1;
            Ok::<(), ()>(())
        })
        .unwrap()
        .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn index_is_hit_metadata_not_a_source_path() {
        let mut m = Preset::EsHits.mapping();
        m.node = Some(FieldSpec::new(INDEX_FIELD));
        let x = JsonExtractor::new(&m, LogFormat::EsHits);
        let hit =
            format!(r#"{{"_index":".ds-logs-argus-n7-2024.01.31-000001","_source":{ARGUS}}}"#);
        let resp = format!(r#"{{"hits":{{"hits":[{hit}]}}}}"#);
        let mut seen = Vec::new();
        x.for_each_hit(resp.as_bytes(), |_, c| {
            seen.push(format!("{:?}", c.get(Slot::Node)));
            Ok::<(), ()>(())
        })
        .unwrap()
        .unwrap();
        let want = st(".ds-logs-argus-n7-2024.01.31-000001");
        assert_eq!(seen, [format!("{:?}", want.as_ref())]);
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        let x = JsonExtractor::new(&Preset::Argus.mapping(), LogFormat::Ndjson);
        for bad in [
            &b"{\"a\":"[..],
            b"[1,2",
            b"{} trailing",
            b"\xff\xfe",
            b"{\"@timestamp\":\"\xff\"}",
        ] {
            let mut caps = Captures::default();
            assert!(x.extract(bad, &mut caps).is_err(), "{bad:?}");
        }
    }
}
