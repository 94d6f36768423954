//! Raw mode: the documents themselves, paged with a point in time and `search_after` where
//! the engine has one (Elasticsearch ≥ 7.12, OpenSearch ≥ 2.4), else with a scroll; sliced
//! for parallel paging, `_source` filtered to the mapped fields, and fed as whole `_search`
//! pages to the log reader's workers, so the filters, GeoIP cache and aggregation are the
//! file path's own.
//!
//! A `search_after` page is retried from the same sort values, so none is skipped. A scroll
//! cannot be re-read: when a scroll step is lost to a dropped connection the whole run starts
//! again (the partial aggregate is thrown away), up to the configured retries. Scroll contexts
//! and points in time are always released, on success and on error.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::client::Method;
use cdnplan_core::{Countries, DemandAggregator, Progress};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Engine, EsClient, Inner};
use super::error::EsError;
use super::plan::Plan;
use super::{EsQuery, Paging};
use crate::error::{Error, Result};
use crate::geoip::GeoIp;
use crate::logs::mapping::INDEX_FIELD;
use crate::logs::{FieldSpec, IngestOptions, Ingested, ingest_responses};

/// The part of a page the pager needs; `_source` is skipped unparsed.
#[derive(Deserialize)]
struct PageHead {
    #[serde(rename = "_scroll_id")]
    scroll_id: Option<String>,
    pit_id: Option<String>,
    hits: HitsHead,
}

#[derive(Deserialize)]
struct HitsHead {
    hits: Vec<HitHead>,
}

#[derive(Deserialize)]
struct HitHead {
    #[serde(default)]
    sort: Option<Value>,
}

/// Counters shared by the slice tasks.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) pages: AtomicU64,
    pub(crate) docs: AtomicU64,
    /// The documents the query matched when counted (`None`: not counted).
    matched: Option<u64>,
}

impl Counts {
    /// Counters for a read of `matched` documents: a paging that hands over far more than
    /// that (a scroll or `search_after` that never ends) is stopped with an error.
    pub(crate) fn matching(matched: u64) -> Counts {
        Counts {
            matched: Some(matched),
            ..Counts::default()
        }
    }

    /// How many documents a read may hand over before it is taken for endless: twice the
    /// count and ten pages per slice more, for documents that arrive between the count and
    /// the opening of the paging context.
    fn ceiling(&self, page_size: usize) -> Option<u64> {
        self.matched
            .map(|m| m.saturating_mul(2).saturating_add(10 * page_size as u64))
    }
}

/// What a raw read did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRun {
    pub(crate) paging: Paging,
    pub(crate) pages: u64,
    pub(crate) docs: u64,
}

/// A paging context to release at the end.
#[derive(Debug, Clone)]
enum Context {
    Pit(String),
    Scroll(Arc<Mutex<Vec<String>>>),
}

/// A paging context that is open on a cluster.
struct Open {
    key: u64,
    inner: Arc<Inner>,
    engine: Engine,
    ctx: Context,
}

/// The paging contexts open right now, for [`release_open_contexts`] to close when the
/// program is interrupted.
static OPEN: Mutex<Vec<Open>> = Mutex::new(Vec::new());

/// Registers an open context until the guard is dropped.
struct Registered(u64);

impl Registered {
    fn new(inner: &Arc<Inner>, engine: Engine, ctx: &Context) -> Registered {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let key = NEXT.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut v) = OPEN.lock() {
            v.push(Open {
                key,
                inner: Arc::clone(inner),
                engine,
                ctx: ctx.clone(),
            });
        }
        Registered(key)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut v) = OPEN.lock() {
            v.retain(|o| o.key != self.0);
        }
    }
}

/// Set once an interrupt handler releases the contexts: no paging opens another one.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Requests in flight that may open a context the program does not know yet (a point in
/// time being opened, a scroll's opening search).
static OPENING: AtomicUsize = AtomicUsize::new(0);

/// Counts one opening request in flight until dropped, once its context is registered.
struct Opening;

impl Opening {
    /// Counts an opening in, or waits forever once the program is stopping (the handler
    /// exits the process): nothing more is opened. The count is raised before the flag is
    /// read, and the handler sets the flag before it reads the count, so an opening either
    /// sees the flag or is waited for.
    async fn start() -> Opening {
        OPENING.fetch_add(1, Ordering::SeqCst);
        if STOPPING.load(Ordering::SeqCst) {
            OPENING.fetch_sub(1, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        Opening
    }
}

/// Waits forever once an interrupt handler is releasing the contexts: the paging stops
/// where it is, its context stays registered for the handler, and the handler exits.
async fn halt_when_stopping() {
    if STOPPING.load(Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        OPENING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Closes every point in time and clears every scroll that a read or a snapshot still holds
/// open on a cluster, each within `timeout`: for a SIGINT/SIGTERM handler to call before the
/// program exits, so that an interrupted run leaves no search context behind on the cluster
/// (they would otherwise live until their keep-alive ends). Returns how many it released.
/// Safe to call from any thread that is not inside a tokio runtime; the reads themselves may
/// still be running (a context released twice is harmless).
pub fn release_open_contexts(timeout: std::time::Duration) -> usize {
    // Stop new openings, then wait (within `timeout`) for those in flight, whose contexts
    // would otherwise be created on the cluster after the list was taken.
    STOPPING.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    while OPENING.load(Ordering::SeqCst) > 0 && started.elapsed() < timeout {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let open: Vec<Open> = match OPEN.lock() {
        Ok(mut v) => std::mem::take(&mut *v),
        Err(_) => return 0,
    };
    if open.is_empty() {
        return 0;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return 0;
    };
    rt.block_on(async {
        let mut released = 0;
        for o in &open {
            if tokio::time::timeout(timeout, release(&o.inner, o.engine, &o.ctx))
                .await
                .is_ok()
            {
                released += 1;
            }
        }
        released
    })
}

/// Reads the documents matching `query` (default `plan.query`; `known_total` of them when
/// counted already) into demand, joining the cells of `seed` (distinct clients counted once
/// across both).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read(
    client: &EsClient,
    plan: &Plan,
    query: Option<Value>,
    q: &EsQuery,
    opts: &IngestOptions,
    geoip: &GeoIp,
    countries: &Countries,
    seed: Option<DemandAggregator>,
    known_total: Option<u64>,
    progress: &dyn Progress,
) -> Result<(Ingested, RawRun)> {
    let query = query.unwrap_or_else(|| plan.query.clone());
    // The node from the hit's `_index` when the plan says so (data streams): for every
    // document, or for those without the node field.
    let node_opts;
    let opts = if plan.node_from_index || plan.node_index_fallback {
        let mut o = opts.clone();
        let mut paths = match &o.mapping.node {
            Some(n) if plan.node_index_fallback => n.paths.clone(),
            _ => Vec::new(),
        };
        paths.retain(|p| p != INDEX_FIELD);
        paths.push(INDEX_FIELD.to_string());
        o.mapping.node = Some(FieldSpec { paths });
        node_opts = o;
        &node_opts
    } else {
        opts
    };
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let mut paging = Paging::Scroll;
        let total = match known_total {
            Some(n) => n,
            None => client.block_on(count(client.inner(), &plan.index, &query))?,
        };
        let counts = Arc::new(Counts::matching(total));
        progress.begin(
            &format!("reading documents from {}", plan.index),
            Some(total),
        );
        let got = ingest_responses(
            &format!("elasticsearch:{}", plan.index),
            geoip,
            countries,
            opts,
            true,
            seed.clone(),
            |send| {
                let (p, r) =
                    client.block_on(page_all(client, plan, &query, q, &counts, progress, send));
                paging = p;
                r.map_err(Error::from)
            },
        );
        progress.end();
        match got {
            Err(Error::Es(EsError::ScrollLost { .. })) if attempts <= client.retries() => continue,
            Err(Error::Es(EsError::ScrollLost { .. })) => {
                return Err(Error::Es(EsError::ScrollLost { attempts }));
            }
            Err(e) => return Err(e),
            Ok(got) => {
                let run = RawRun {
                    paging,
                    pages: counts.pages.load(Ordering::Relaxed),
                    docs: counts.docs.load(Ordering::Relaxed),
                };
                return Ok((got, run));
            }
        }
    }
}

/// Documents matching `query`.
pub(crate) async fn count(inner: &Inner, index: &str, query: &Value) -> Result<u64, EsError> {
    let v = inner
        .call_json(
            Method::Post,
            &format!("/{index}/_count"),
            &[],
            Some(&json!({"query": query})),
            true,
        )
        .await?;
    Ok(v["count"].as_u64().unwrap_or(0))
}

/// Pages through every slice, handing each page to `send`; releases the paging context.
pub(crate) async fn page_all(
    client: &EsClient,
    plan: &Plan,
    query: &Value,
    q: &EsQuery,
    counts: &Arc<Counts>,
    progress: &dyn Progress,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
) -> (Paging, Result<(), EsError>) {
    let inner = client.inner();
    let engine = client.cluster().engine;
    let opening = Opening::start().await;
    let ctx = if client.cluster().has_pit() && !q.scroll {
        match open_pit(inner, engine, &plan.index, &q.keep_alive).await {
            Ok(id) => Some(Context::Pit(id)),
            // An engine without the API answers 400/404/405: fall back as an older cluster needs.
            Err(EsError::Server {
                status: 400 | 404 | 405,
                ..
            }) => None,
            Err(e) => return (Paging::Pit, Err(e)),
        }
    } else {
        None
    };
    let ctx = ctx.unwrap_or_else(|| Context::Scroll(Arc::new(Mutex::new(Vec::new()))));
    let paging = match ctx {
        Context::Pit(_) => Paging::Pit,
        Context::Scroll(_) => Paging::Scroll,
    };
    let registered = Registered::new(inner, engine, &ctx);
    drop(opening);
    halt_when_stopping().await;
    let slices = q.slices.max(1);
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<Result<(Vec<u8>, usize), EsError>>(2 * slices as usize);
    let mut tasks = Vec::new();
    for slice in 0..slices {
        let mut body = json!({
            "size": q.page_size,
            "query": query,
            "_source": plan.source,
        });
        if slices > 1 {
            body["slice"] = json!({"id": slice, "max": slices});
        }
        let job = Slice {
            inner: Arc::clone(inner),
            index: plan.index.clone(),
            body,
            keep_alive: q.keep_alive.clone(),
            ctx: ctx.clone(),
            counts: Arc::clone(counts),
            tx: tx.clone(),
            page_size: q.page_size,
        };
        tasks.push(tokio::spawn(job.run()));
    }
    drop(tx);
    let mut result = Ok(());
    while let Some(item) = rx.recv().await {
        match item {
            Ok((page, hits)) => {
                progress.advance(hits as u64);
                if !send(page) {
                    break;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    for t in &tasks {
        t.abort();
    }
    for t in tasks {
        let _ = t.await;
    }
    // Always release what was opened; a failure to release does not hide the result.
    release(inner, engine, &ctx).await;
    drop(registered);
    (paging, result)
}

struct Slice {
    inner: Arc<Inner>,
    index: String,
    body: Value,
    keep_alive: String,
    ctx: Context,
    counts: Arc<Counts>,
    tx: tokio::sync::mpsc::Sender<Result<(Vec<u8>, usize), EsError>>,
    page_size: usize,
}

impl Slice {
    async fn run(mut self) {
        let r = match self.ctx.clone() {
            Context::Pit(id) => self.pit(id).await,
            Context::Scroll(ids) => self.scroll(ids).await,
        };
        if let Err(e) = r {
            let _ = self.tx.send(Err(e)).await;
        }
    }

    fn head(&self, bytes: &[u8], request: &str) -> Result<PageHead, EsError> {
        serde_json::from_slice(bytes).map_err(|e| {
            let why = format!("not a _search page: {e}");
            let (method, path) = request.split_once(' ').unwrap_or(("", request));
            self.inner.unreadable(bytes, method, path, &why)
        })
    }

    /// Hands a page over; `false` when the reader has stopped.
    ///
    /// # Errors
    /// [`EsError::Protocol`] once the pages hold far more documents than the query matched:
    /// a paging that never ends.
    async fn deliver(&self, bytes: Vec<u8>, hits: usize, request: &str) -> Result<bool, EsError> {
        self.counts.pages.fetch_add(1, Ordering::Relaxed);
        let docs = self.counts.docs.fetch_add(hits as u64, Ordering::Relaxed) + hits as u64;
        if let (Some(ceiling), Some(matched)) =
            (self.counts.ceiling(self.page_size), self.counts.matched)
            && docs > ceiling
        {
            return Err(EsError::Protocol {
                url: self.inner.display.clone(),
                request: request.to_string(),
                reason: format!(
                    "the pages hold {docs} documents but the query matched {matched}: the \
                     paging does not end (a repeated scroll or sort position); stopped"
                ),
            });
        }
        Ok(hits == 0 || self.tx.send(Ok((bytes, hits))).await.is_ok())
    }

    async fn pit(&mut self, mut id: String) -> Result<(), EsError> {
        // `_shard_doc` alone is unique per shard; leading with the index keeps the order total
        // on engines whose `_shard_doc` values repeat across the indices of a pattern.
        self.body["sort"] = json!([{"_index": "asc"}, {"_shard_doc": "asc"}]);
        // Scrolls refuse this; a point in time needs no total.
        self.body["track_total_hits"] = json!(false);
        loop {
            self.body["pit"] = json!({"id": id, "keep_alive": self.keep_alive});
            let bytes = self
                .inner
                .call_raw(
                    Method::Post,
                    "/_search",
                    &[],
                    Some(serde_json::to_vec(&self.body).unwrap_or_default()),
                    true,
                )
                .await?;
            let head = self.head(&bytes, "POST /_search (point in time)")?;
            let n = head.hits.hits.len();
            if let Some(new) = head.pit_id {
                id = new;
            }
            let last = head.hits.hits.last().and_then(|h| h.sort.clone());
            if !self
                .deliver(bytes, n, "POST /_search (point in time)")
                .await?
                || n < self.page_size
            {
                return Ok(());
            }
            match last {
                Some(s) => self.body["search_after"] = s,
                None => {
                    return Err(EsError::Protocol {
                        url: self.inner.display.clone(),
                        request: "POST /_search (point in time)".into(),
                        reason: "hits without sort values".into(),
                    });
                }
            }
        }
    }

    async fn scroll(&mut self, ids: Arc<Mutex<Vec<String>>>) -> Result<(), EsError> {
        self.body["sort"] = json!(["_doc"]);
        let path = format!("/{}/_search", self.index);
        let query = [("scroll", self.keep_alive.clone())];
        let mut opening = Some(Opening::start().await);
        // The opening search is not a scroll step: it can be repeated.
        let mut bytes = self
            .inner
            .call_raw(
                Method::Post,
                &path,
                &query,
                Some(serde_json::to_vec(&self.body).unwrap_or_default()),
                true,
            )
            .await?;
        let mut slot: Option<usize> = None;
        loop {
            let head = self.head(&bytes, "scroll")?;
            let n = head.hits.hits.len();
            if let Some(sid) = head.scroll_id.clone()
                && let Ok(mut v) = ids.lock()
            {
                match slot {
                    Some(i) => v[i] = sid,
                    None => {
                        v.push(sid);
                        slot = Some(v.len() - 1);
                    }
                }
            }
            // The context is known now: an interrupt releases it; the paging stops here
            // once one has come.
            if opening.take().is_some() {
                halt_when_stopping().await;
            }
            if !self.deliver(bytes, n, "POST /_search/scroll").await? || n == 0 {
                return Ok(());
            }
            let Some(sid) = head.scroll_id else {
                return Err(EsError::Protocol {
                    url: self.inner.display.clone(),
                    request: format!("POST {path}?scroll"),
                    reason: "no _scroll_id".into(),
                });
            };
            let body = json!({"scroll": self.keep_alive, "scroll_id": sid});
            bytes = self
                .inner
                .call_raw(
                    Method::Post,
                    "/_search/scroll",
                    &[],
                    Some(serde_json::to_vec(&body).unwrap_or_default()),
                    false,
                )
                .await?;
        }
    }
}

async fn open_pit(
    inner: &Inner,
    engine: Engine,
    index: &str,
    keep_alive: &str,
) -> Result<String, EsError> {
    let (path, key) = match engine {
        Engine::Elasticsearch => (format!("/{index}/_pit"), "id"),
        Engine::OpenSearch => (format!("/{index}/_search/point_in_time"), "pit_id"),
    };
    let v = inner
        .call_json(
            Method::Post,
            &path,
            &[("keep_alive", keep_alive.to_string())],
            None,
            true,
        )
        .await?;
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| EsError::Protocol {
            url: inner.display.clone(),
            request: format!("POST {path}"),
            reason: format!("no `{key}` in the answer"),
        })
}

/// Closes the point in time or clears the scroll contexts.
async fn release(inner: &Inner, engine: Engine, ctx: &Context) {
    match ctx {
        Context::Pit(id) => {
            let (path, body) = match engine {
                Engine::Elasticsearch => ("/_pit", json!({"id": id})),
                Engine::OpenSearch => ("/_search/point_in_time", json!({"pit_id": [id]})),
            };
            let _ = inner
                .call_json(Method::Delete, path, &[], Some(&body), true)
                .await;
        }
        Context::Scroll(ids) => {
            let ids: Vec<String> = ids.lock().map(|v| v.clone()).unwrap_or_default();
            if !ids.is_empty() {
                let _ = inner
                    .call_json(
                        Method::Delete,
                        "/_search/scroll",
                        &[],
                        Some(&json!({"scroll_id": ids})),
                        true,
                    )
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::es::EsConnection;
    use crate::testserver::{reply, serve};
    use cdnplan_core::NoProgress;
    use std::collections::BTreeMap;

    /// Issue 15 row 10: a scroll that never ends (every step answers a full page) stops with
    /// an error once the pages hold far more documents than the query matched.
    #[test]
    fn a_scroll_that_never_ends_is_stopped() {
        let page = {
            let hits: Vec<Value> = (0..10).map(|i| json!({"_source": {"n": i}})).collect();
            json!({"_scroll_id": "same", "hits": {"hits": hits}}).to_string()
        };
        let url = serve(move |req, s| {
            if req.path == "/" {
                reply(s, 200, r#"{"version":{"number":"7.10.0"}}"#);
            } else {
                reply(s, 200, &page);
            }
        });
        let client = EsClient::connect(&EsConnection::url(&url).unwrap().retries(0)).unwrap();
        let plan = Plan {
            index: "logs".into(),
            route: super::super::plan::Route::Raw,
            fields: BTreeMap::new(),
            groups: Vec::new(),
            query: json!({"match_all": {}}),
            source: vec!["*".into()],
            node_from_index: false,
            node_index_fallback: false,
            notes: Vec::new(),
        };
        let q = EsQuery::new("logs").page_size(10).slices(1);
        let counts = Arc::new(Counts::matching(25));
        let mut pages = 0u64;
        let mut send = |_: Vec<u8>| {
            pages += 1;
            true
        };
        let (paging, r) = client.block_on(page_all(
            &client,
            &plan,
            &plan.query,
            &q,
            &counts,
            &NoProgress,
            &mut send,
        ));
        assert_eq!(paging, Paging::Scroll);
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("the query matched 25") && e.contains("does not end"),
            "{e}"
        );
        // 2 × 25 + 10 pages of 10: stopped at the first page past 150 documents.
        assert_eq!(counts.docs.load(Ordering::Relaxed), 160);
        assert!(pages <= 16, "{pages} pages handed over");
    }
}
