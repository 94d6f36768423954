//! The parallel ingestion driver.
//!
//! One reader thread opens the files in order, decompresses gzip, and cuts the text into
//! batches of whole lines (about [`IngestOptions::batch_bytes`] each); rayon workers take
//! batches as they come, so one large file is parsed in parallel as well as many small ones.
//! Each worker owns its scratch space: a [`DemandAggregator`], a client-address cache and a
//! GeoIP record cache. Partial results merge exactly (integer counts, sets of addresses,
//! fixed-point coordinate sums, requests and bytes per hour), so the result does not depend on
//! the thread count. Each located request counts in the demand's hourly profile under the UTC
//! clock hour of its timestamp.
//!
//! Positions in messages are resolved after the fact: a batch knows its file and sequence
//! number, and line numbers follow from the line counts of the batches before it. In strict
//! mode the earliest bad record (by file order, then line) is the one reported, whichever
//! worker met it first.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Mutex, OnceLock};

use cdnplan_core::{CellKind, Countries, Demand, DemandAggregator, Progress};
use rustc_hash::FxHashMap;

use super::csv::CsvColumns;
use super::filter::format_ms;
use super::mapping::{INDEX_FIELD, LogFormat, node_from_index};
use super::ndjson::JsonExtractor;
use super::options::IngestOptions;
use super::pool::{Chunk, FileHead, Pos, Problem, Shared, chunk_key};
use super::reader::{Batcher, Counting, OVERLONG_LINE, open_reader, overlong_reason};
use super::record::Filtered;
use super::report::{IngestReport, UnlocatedExample};
use super::worker::{EXAMPLES, State, Unlocated, Worker};
use crate::error::{Error, Result};
use crate::geoip::GeoIp;

/// The demand read from logs, and the report of what was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// The demand cells.
    pub demand: Demand,
    /// What was counted, filtered, skipped and left unlocated.
    pub report: IngestReport,
}

/// Reads request logs into demand cells.
///
/// Files are gzip or plain (told apart by content); `geoip` places clients that the records do
/// not place themselves, and `countries` gives each country cell its representative point.
/// Progress is reported in bytes read from disk, out of the files' total size.
///
/// # Errors
/// * [`Error::Io`] naming a file that cannot be opened or read (including corrupt gzip);
/// * [`Error::Field`] naming file, line, field and value of the first bad record (strict mode);
/// * [`Error::Format`] naming the GeoIP database when one of its records cannot be decoded;
/// * [`Error::Config`] when `paths` is empty or the thread pool cannot be built;
/// * [`Error::Model`] with [`EmptyDemand`](cdnplan_core::Error::EmptyDemand), naming the
///   filters and counts, when no request was placed in a cell.
pub fn ingest(
    paths: &[PathBuf],
    geoip: &GeoIp,
    countries: &Countries,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<Ingested> {
    if paths.is_empty() {
        return Err(Error::Config("no log files given".into()));
    }
    check_cells_against(geoip, options.cells)?;
    let mut total = 0u64;
    for p in paths {
        let m = std::fs::metadata(p).map_err(|e| Error::io(p, "cannot open log file", e))?;
        total += m.len();
    }
    let shared = Shared {
        opts: options,
        geoip,
        countries,
        json: matches!(options.format, LogFormat::Ndjson | LogFormat::EsHits)
            .then(|| JsonExtractor::new(&options.mapping, options.format)),
        files: paths.iter().map(|p| (p.clone(), OnceLock::new())).collect(),
        min_err: AtomicU64::new(u64::MAX),
        bytes_read: AtomicU64::new(0),
        bytes_decoded: AtomicU64::new(0),
    };
    progress.begin("reading request logs", Some(total));
    let produce_files = |tx, pool| produce(&shared, tx, pool, progress);
    let ran = run_pool(&shared, produce_files);
    progress.end();
    let (states, reader_err) = ran?;
    finish(&shared, states, reader_err, false, None)
}

/// City cells need a city-level database: a country one would name every cell `CC/?` and
/// put it at the country's point.
///
/// # Errors
/// [`Error::Config`] naming the database, its type and the fix.
pub fn check_cells_against(geoip: &GeoIp, cells: CellKind) -> Result<()> {
    if cells == CellKind::City && !geoip.has_cities() {
        return Err(Error::Config(format!(
            "[demand] cells = \"city\" needs a city-level GeoIP database, but {} is a {:?} \
             database without cities (every client would land at its country's point as \
             `CC/?`); give a MaxMind-format city database (GeoLite2-City, DB-IP City Lite: \
             `scripts/city-db.sh` installs the latter in .cache/geoip/) as `geoip`, or use \
             country cells",
            geoip.path().display(),
            geoip.database_type()
        )));
    }
    Ok(())
}

/// Runs the workers on the configured pool with `producer` feeding them.
fn run_pool<'s, P>(shared: &'s Shared<'s>, producer: P) -> Result<(Vec<State>, Option<ReaderError>)>
where
    P: FnOnce(SyncSender<Chunk>, Receiver<Vec<u8>>) -> Option<ReaderError> + Send,
{
    Ok(match shared.opts.threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| Error::Config(format!("cannot start {n} worker threads: {e}")))?;
            pool.install(|| run(shared, n.max(1), producer))
        }
        None => run(shared, rayon::current_num_threads().max(1), producer),
    })
}

/// Aggregates whole `_search` responses (`{"hits":{"hits":[…]}}`, mapping paths under
/// `_source`) handed over by `feed`, with the same workers, filters, GeoIP cache and report as
/// [`ingest`]. `feed` calls its argument once per response body; the argument returns `false`
/// when the run has stopped (a strict-mode error) and `feed` should stop too. `name` stands for
/// the file in positions (`name:P hit H`, P being the 1-based response). With `allow_empty`
/// an empty demand is a result rather than an error. `seed` holds cells counted elsewhere
/// (a push-down's): the responses' requests join them, distinct clients counted once across
/// both.
///
/// # Errors
/// `feed`'s error, and those of [`ingest`].
#[cfg(feature = "es")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn ingest_responses<F>(
    name: &str,
    geoip: &GeoIp,
    countries: &Countries,
    options: &IngestOptions,
    allow_empty: bool,
    seed: Option<DemandAggregator>,
    feed: F,
) -> Result<Ingested>
where
    F: FnOnce(&mut dyn FnMut(Vec<u8>) -> bool) -> Result<()> + Send,
{
    check_cells_against(geoip, options.cells)?;
    let mut opts = options.clone();
    opts.format = LogFormat::EsHits;
    let shared = Shared {
        opts: &opts,
        geoip,
        countries,
        json: Some(JsonExtractor::new(&opts.mapping, LogFormat::EsHits)),
        files: vec![(PathBuf::from(name), OnceLock::from(FileHead::default()))],
        min_err: AtomicU64::new(u64::MAX),
        bytes_read: AtomicU64::new(0),
        bytes_decoded: AtomicU64::new(0),
    };
    let producer = |tx: SyncSender<Chunk>, pool: Receiver<Vec<u8>>| {
        let mut seq = 0u32;
        let mut send = |data: Vec<u8>| {
            // The workers hand every batch's buffer back for reuse; pages arrive in buffers of
            // their own, so the returned ones are dropped here rather than left to pile up
            // in the pool (which made memory grow with every byte received).
            while pool.try_recv().is_ok() {}
            let chunk = Chunk {
                file: 0,
                seq,
                data,
                whole: true,
            };
            seq += 1;
            shared
                .bytes_decoded
                .fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
            !shared.stopped_before(chunk.key()) && tx.send(chunk).is_ok()
        };
        feed(&mut send).err().map(|error| ReaderError {
            pos: Pos {
                file: 0,
                seq: u32::MAX,
                line: 0,
                hit: 0,
            },
            error,
        })
    };
    let (states, reader_err) = run_pool(&shared, producer)?;
    let mut got = finish(&shared, states, reader_err, allow_empty, seed)?;
    got.report.files = 0;
    got.report.bytes_read = got.report.bytes_decoded;
    Ok(got)
}

/// A reader failure, at the batch it would have produced.
struct ReaderError {
    pos: Pos,
    error: Error,
}

fn run<'s, P>(
    shared: &'s Shared<'s>,
    workers: usize,
    producer: P,
) -> (Vec<State>, Option<ReaderError>)
where
    P: FnOnce(SyncSender<Chunk>, Receiver<Vec<u8>>) -> Option<ReaderError> + Send,
{
    let (tx, rx) = sync_channel::<Chunk>(2 * workers + 2);
    let (pool_tx, pool_rx) = channel::<Vec<u8>>();
    let rx = Mutex::new(rx);
    let states = Mutex::new(Vec::with_capacity(workers));
    std::thread::scope(|s| {
        let reader = s.spawn(move || producer(tx, pool_rx));
        rayon::scope(|rs| {
            for _ in 0..workers {
                let pool_tx = pool_tx.clone();
                let (rx, states) = (&rx, &states);
                rs.spawn(move |_| {
                    let mut w = Worker::new(shared);
                    w.drain(rx, &pool_tx);
                    if let Ok(mut v) = states.lock() {
                        v.push(w.state);
                    }
                });
            }
        });
        // Workers are gone: a reader still sending sees the channel closed.
        drop(rx);
        let reader_err = reader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (states.into_inner().unwrap_or_default(), reader_err)
    })
}

/// The reader thread: files in order, batches in order.
fn produce(
    shared: &Shared<'_>,
    tx: SyncSender<Chunk>,
    pool: Receiver<Vec<u8>>,
    progress: &dyn Progress,
) -> Option<ReaderError> {
    let opts = shared.opts;
    let fresh = |pool: &Receiver<Vec<u8>>| {
        pool.try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(opts.batch_bytes + (64 << 10)))
    };
    for (fi, (path, head)) in shared.files.iter().enumerate() {
        let fi = fi as u32;
        let fail = |seq: u32, error: Error| {
            Some(ReaderError {
                pos: Pos {
                    file: fi,
                    seq,
                    line: 0,
                    hit: 0,
                },
                error,
            })
        };
        if shared.stopped_before(chunk_key(fi, 0)) {
            return None;
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return fail(0, Error::io(path, "cannot open log file", e)),
        };
        let counting = Counting {
            inner: file,
            on_read: move |n: u64| {
                shared.bytes_read.fetch_add(n, Ordering::Relaxed);
                progress.advance(n);
            },
        };
        let reader = match open_reader(path, counting) {
            Ok(r) => r,
            Err(e) => return fail(0, e),
        };
        let mut batcher = Batcher::new(reader, opts.batch_bytes, opts.max_line_bytes);
        let mut seq = 0u32;
        let mut buf = fresh(&pool);
        let read_err = |e: std::io::Error| Error::io(path, "cannot read log file", e);
        match batcher.next_batch(&mut buf) {
            Err(e) => return fail(0, read_err(e)),
            Ok(false) => {
                let _ = head.set(FileHead::default());
                continue;
            }
            Ok(true) => {}
        }
        let mut whole = false;
        let mut file_head = FileHead::default();
        match opts.format {
            LogFormat::Csv => {
                let end = memchr::memchr(b'\n', &buf).map_or(buf.len(), |i| i + 1);
                let raw = buf[..end].strip_suffix(b"\n").unwrap_or(&buf[..end]);
                if raw == OVERLONG_LINE || raw.len() > opts.max_line_bytes {
                    let reason = overlong_reason(opts.max_line_bytes);
                    return fail(0, Error::field(path, 1, "header", reason, None));
                }
                let line = String::from_utf8_lossy(&buf[..end]);
                let line = line.trim_end_matches(['\n', '\r']);
                match CsvColumns::new(line, &opts.mapping) {
                    Ok(c) => file_head.csv = Some(c),
                    Err(reason) => {
                        let e = Error::field(path, 1, "header", reason, Some(line));
                        return fail(0, e);
                    }
                }
                file_head.skip_lines = 1;
                buf.drain(..end);
            }
            LogFormat::EsHits => {
                // A pretty-printed `_search` response spans lines: read the file as one document.
                let first = buf
                    .split(|&b| b == b'\n')
                    .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
                    .unwrap_or(&[]);
                let r = serde_json::from_slice::<serde::de::IgnoredAny>(first);
                if matches!(&r, Err(e) if e.is_eof()) {
                    if let Err(e) = batcher.read_rest(&mut buf) {
                        return fail(0, read_err(e));
                    }
                    whole = true;
                }
            }
            LogFormat::Ndjson | LogFormat::Combined => {}
        }
        let _ = head.set(file_head);
        loop {
            shared
                .bytes_decoded
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            let chunk = Chunk {
                file: fi,
                seq,
                data: buf,
                whole,
            };
            if shared.stopped_before(chunk.key()) || tx.send(chunk).is_err() {
                return None;
            }
            seq += 1;
            if whole {
                break;
            }
            buf = fresh(&pool);
            match batcher.next_batch(&mut buf) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return fail(seq, read_err(e)),
            }
        }
    }
    None
}

/// Merges worker states, resolves positions, and builds the result or the first error.
fn finish(
    shared: &Shared<'_>,
    states: Vec<State>,
    reader_err: Option<ReaderError>,
    allow_empty: bool,
    seed: Option<DemandAggregator>,
) -> Result<Ingested> {
    let opts = shared.opts;
    let mut agg = seed.unwrap_or_else(|| DemandAggregator::new(opts.cells));
    let mut report = IngestReport {
        files: shared.files.len() as u64,
        ..Default::default()
    };
    let mut problems = Vec::new();
    let mut chunk_lines = Vec::new();
    let mut unlocated_first: FxHashMap<IpAddr, (Pos, Unlocated)> = FxHashMap::default();
    let mut filtered: FxHashMap<Filtered, u64> = FxHashMap::default();
    let mut time: Option<(i64, i64)> = None;
    // Nodes read from `_index` are index names: count them by the node they stand for.
    let node_from_hit_index = opts.format == LogFormat::EsHits
        && opts
            .mapping
            .node
            .as_ref()
            .is_some_and(|n| n.paths.iter().any(|p| p == INDEX_FIELD));
    for s in states {
        if let Some(e) = s.fatal {
            return Err(e);
        }
        agg.merge(s.agg);
        report.lines += s.lines;
        report.records += s.records;
        report.requests_counted += s.counted;
        report.requests_without_bytes += s.without_bytes;
        report.requests_at_country_point += s.at_country_point;
        report.skipped_malformed += s.skipped;
        for (k, v) in s.filtered {
            *filtered.entry(k).or_insert(0) += v;
        }
        for (k, v) in s.by_node {
            let k = if node_from_hit_index {
                node_from_index(&k).to_string()
            } else {
                k
            };
            *report.requests_by_node.entry(k).or_insert(0) += v;
        }
        for (k, v) in s.unlocated_by_reason {
            report.unlocated_requests += v;
            *report.unlocated_by_reason.entry(k.key()).or_insert(0) += v;
        }
        for (ip, first) in s.unlocated_first {
            unlocated_first
                .entry(ip)
                .and_modify(|e| {
                    if first.0 < e.0 {
                        *e = first
                    }
                })
                .or_insert(first);
        }
        for (k, v) in s.skipped_by_reason {
            *report.skipped_by_reason.entry(k).or_insert(0) += v;
        }
        problems.extend(s.problems);
        chunk_lines.extend(s.chunk_lines);
        if let Some((a, b)) = s.time {
            time = Some(time.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }
    report.filtered_out = filtered.into_iter().map(|(k, v)| (k.key(), v)).collect();
    report.lines += shared
        .files
        .iter()
        .filter_map(|f| f.1.get())
        .map(|h| h.skip_lines)
        .sum::<u64>();
    problems.sort_by_key(|p| p.pos);
    let lines = LineIndex::new(shared, chunk_lines);
    if !opts.lenient {
        let first = problems.first();
        match (first, reader_err) {
            (Some(p), Some(r)) if r.pos < p.pos => return Err(r.error),
            (Some(p), _) => return Err(lines.error(shared, p)),
            (None, Some(r)) => return Err(r.error),
            (None, None) => {}
        }
    } else if let Some(r) = reader_err {
        return Err(r.error);
    }
    report.skipped_examples = problems
        .iter()
        .take(EXAMPLES)
        .map(|p| lines.error(shared, p).to_string())
        .collect();
    report.unlocated_clients = unlocated_first.len() as u64;
    let mut firsts: Vec<(Pos, IpAddr, Unlocated)> = unlocated_first
        .into_iter()
        .map(|(ip, (p, u))| (p, ip, u))
        .collect();
    firsts.sort_by_key(|&(p, ip, _)| (p, ip));
    report.unlocated_examples = firsts
        .into_iter()
        .take(EXAMPLES)
        .map(|(p, ip, u)| UnlocatedExample {
            ip,
            reason: u.key(),
            first_seen: lines.place(shared, p),
        })
        .collect();
    report.bytes_read = shared.bytes_read.load(Ordering::Relaxed);
    report.bytes_decoded = shared.bytes_decoded.load(Ordering::Relaxed);
    if let Some((a, b)) = time {
        report.first_request = Some(format_ms(a));
        report.last_request = Some(format_ms(b));
    }
    let demand = agg.finish();
    report.busiest_hour = demand.busiest_hour();
    if demand.cells.is_empty() && !allow_empty {
        return Err(Error::Model(cdnplan_core::Error::EmptyDemand(
            format!(
                "no request was placed in a demand cell: {} lines, {} records, {} requests counted ({} unlocated){}, {} skipped as malformed; filters: {}",
                report.lines,
                report.records,
                report.requests_counted,
                report.unlocated_requests,
                report.filtered_phrase(),
                report.skipped_malformed,
                opts.filter.describe()
            ) + &all_paths_hint(&report, opts),
        )));
    }
    Ok(Ingested { demand, report })
}

/// When the asset-path test rejected requests and nothing was counted: which setting keeps
/// every path (the filter's `all_paths`, `[demand] all_paths` in a scenario).
pub(crate) fn all_paths_hint(report: &IngestReport, opts: &IngestOptions) -> String {
    let not_asset = report
        .filtered_out
        .get(&Filtered::NotAsset.key())
        .copied()
        .unwrap_or(0);
    if report.requests_counted == 0 && not_asset > 0 && opts.filter.assets_only {
        format!(
            "; the asset-path filter rejected {not_asset} request{} (only \
             `/api/v1/assets/<id>` paths count): set `all_paths` to count every path",
            if not_asset == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    }
}

/// Absolute line numbers from batch line counts.
struct LineIndex {
    /// First line (1-based) of each batch, by (file, seq).
    base: FxHashMap<(u32, u32), u64>,
}

impl LineIndex {
    fn new(shared: &Shared<'_>, mut chunk_lines: Vec<(u32, u32, u64)>) -> Self {
        chunk_lines.sort_unstable();
        let mut base = FxHashMap::default();
        let mut cur: Option<(u32, u64)> = None;
        for (file, seq, n) in chunk_lines {
            let start = match cur {
                Some((f, next)) if f == file => next,
                _ => {
                    shared.files[file as usize]
                        .1
                        .get()
                        .map_or(0, |h| h.skip_lines)
                        + 1
                }
            };
            base.insert((file, seq), start);
            cur = Some((file, start + n));
        }
        LineIndex { base }
    }

    fn line(&self, p: Pos) -> u64 {
        self.base.get(&(p.file, p.seq)).map_or(0, |b| b + p.line)
    }

    fn path<'a>(shared: &'a Shared<'_>, p: Pos) -> &'a Path {
        &shared.files[p.file as usize].0
    }

    fn place(&self, shared: &Shared<'_>, p: Pos) -> String {
        let mut s = format!("{}:{}", Self::path(shared, p).display(), self.line(p));
        if p.hit > 0 {
            s.push_str(&format!(" hit {}", p.hit));
        }
        s
    }

    fn error(&self, shared: &Shared<'_>, p: &Problem) -> Error {
        let opts = shared.opts;
        let mut field = match p.slot {
            Some(slot) => opts.mapping.describe(slot, opts.format),
            None => "record".to_string(),
        };
        if p.pos.hit > 0 {
            field = format!("hits.hits[{}].{field}", p.pos.hit - 1);
        }
        Error::field(
            Self::path(shared, p.pos),
            self.line(p.pos),
            field,
            p.reason.clone(),
            p.got.as_deref(),
        )
    }
}
