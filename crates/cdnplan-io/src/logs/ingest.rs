//! The parallel ingestion driver.
//!
//! One reader thread opens the files in order, decompresses gzip, and cuts the text into
//! batches of whole lines (about [`IngestOptions::batch_bytes`] each); rayon workers take
//! batches as they come, so one large file is parsed in parallel as well as many small ones.
//! Each worker owns its scratch space: a [`DemandAggregator`], a client-address cache and a
//! GeoIP record cache. Partial results merge exactly (integer counts, sets of addresses,
//! fixed-point coordinate sums), so the result does not depend on the thread count.
//!
//! Positions in messages are resolved after the fact: a batch knows its file and sequence
//! number, and line numbers follow from the line counts of the batches before it. In strict
//! mode the earliest bad record (by file order, then line) is the one reported, whichever
//! worker met it first.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Mutex, OnceLock};

use cdnplan_core::demand::{CellIndex, geotile, geotile_centre};
use cdnplan_core::{
    CellKey, CellKind, Continent, Countries, CountryCode, Demand, DemandAggregator, GeoPoint,
    Progress,
};
use rustc_hash::FxHashMap;

use super::combined;
use super::csv::CsvColumns;
use super::filter::{LogFilter, format_ms};
use super::mapping::{FieldMapping, LogFormat, Preset, Slot};
use super::ndjson::JsonExtractor;
use super::reader::{Batcher, Counting, open_reader};
use super::record::{Bad, Captures, Filtered, Outcome, Request};
use super::report::{IngestReport, UnlocatedExample};
use crate::error::{Error, Result};
use crate::geoip::{GeoIp, GeoIpCache};

/// How to read and aggregate request logs. Start from a preset and adjust:
///
/// ```
/// use cdnplan_io::logs::{IngestOptions, LogFilter, Preset};
/// use cdnplan_core::CellKind;
///
/// let opts = IngestOptions::new(Preset::Argus)
///     .cells(CellKind::Geotile { zoom: 5 })
///     .filter(LogFilter::default().since("2023-05-12")?)
///     .lenient(true)
///     .threads(2);
/// assert_eq!(opts.threads, Some(2));
/// # Ok::<(), cdnplan_io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IngestOptions {
    /// File layout.
    pub format: LogFormat,
    /// Where the fields are.
    pub mapping: FieldMapping,
    /// What the demand cells are keyed by.
    pub cells: CellKind,
    /// What counts.
    pub filter: LogFilter,
    /// Skip and count malformed records instead of stopping at the first.
    pub lenient: bool,
    /// Worker threads; `None` uses rayon's global pool.
    pub threads: Option<usize>,
    /// Target size of the line batches handed to workers, in bytes (default 1 MiB).
    pub batch_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions::new(Preset::Argus)
    }
}

impl IngestOptions {
    /// The preset's format and mapping, country cells, default filter, strict, all threads.
    pub fn new(preset: Preset) -> Self {
        IngestOptions {
            format: preset.format(),
            mapping: preset.mapping(),
            cells: CellKind::Country,
            filter: LogFilter::default(),
            lenient: false,
            threads: None,
            batch_bytes: 1 << 20,
        }
    }

    /// Like [`IngestOptions::new`] with the preset named `name` (any case).
    ///
    /// # Errors
    /// [`Error::Config`] listing the presets when `name` is none of them.
    pub fn from_preset_name(name: &str) -> Result<Self> {
        Ok(IngestOptions::new(name.parse()?))
    }

    /// Sets the field mapping.
    pub fn mapping(mut self, mapping: FieldMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Sets the file layout.
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the cell kind.
    pub fn cells(mut self, cells: CellKind) -> Self {
        self.cells = cells;
        self
    }

    /// Sets the filter.
    pub fn filter(mut self, filter: LogFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Skips malformed records (`true`) or stops at the first (`false`, the default).
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Uses `threads` worker threads.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Sets the batch size in bytes.
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }
}

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
    let (states, reader_err) = match options.threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| Error::Config(format!("cannot start {n} worker threads: {e}")))?;
            pool.install(|| run(&shared, n.max(1), progress))
        }
        None => run(&shared, rayon::current_num_threads().max(1), progress),
    };
    progress.end();
    finish(&shared, states, reader_err)
}

/// A batch of whole lines.
struct Chunk {
    file: u32,
    seq: u32,
    data: Vec<u8>,
    /// The batch is one whole JSON document (a pretty-printed `_search` response).
    whole: bool,
}

impl Chunk {
    fn key(&self) -> u64 {
        chunk_key(self.file, self.seq)
    }
}

fn chunk_key(file: u32, seq: u32) -> u64 {
    (u64::from(file) << 32) | u64::from(seq)
}

/// What a file's first lines told the reader.
#[derive(Debug, Default)]
struct FileHead {
    csv: Option<CsvColumns>,
    /// Lines consumed before batch 0 (the CSV header).
    skip_lines: u64,
}

struct Shared<'s> {
    opts: &'s IngestOptions,
    geoip: &'s GeoIp,
    countries: &'s Countries,
    json: Option<JsonExtractor>,
    files: Vec<(PathBuf, OnceLock<FileHead>)>,
    /// Chunk key of the earliest strict-mode error so far (`u64::MAX`: none).
    min_err: AtomicU64,
    bytes_read: AtomicU64,
    bytes_decoded: AtomicU64,
}

impl Shared<'_> {
    fn stop_at(&self, key: u64) {
        self.min_err.fetch_min(key, Ordering::SeqCst);
    }
    fn stopped_before(&self, key: u64) -> bool {
        key > self.min_err.load(Ordering::Relaxed)
    }
}

/// Where a record is: file, batch, 0-based line within the batch, and for `_search`
/// responses the 1-based hit (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Pos {
    file: u32,
    seq: u32,
    line: u64,
    hit: u32,
}

/// A bad record.
#[derive(Debug, Clone)]
struct Problem {
    pos: Pos,
    /// `None` for a malformed record as a whole.
    slot: Option<Slot>,
    reason: String,
    got: Option<String>,
}

/// A reader failure, at the batch it would have produced.
struct ReaderError {
    pos: Pos,
    error: Error,
}

fn run(
    shared: &Shared<'_>,
    workers: usize,
    progress: &dyn Progress,
) -> (Vec<State>, Option<ReaderError>) {
    let (tx, rx) = sync_channel::<Chunk>(2 * workers + 2);
    let (pool_tx, pool_rx) = channel::<Vec<u8>>();
    let rx = Mutex::new(rx);
    let states = Mutex::new(Vec::with_capacity(workers));
    std::thread::scope(|s| {
        let reader = s.spawn(move || produce(shared, tx, pool_rx, progress));
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
        let mut batcher = Batcher::new(reader, opts.batch_bytes);
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

/// Where a client ended up.
#[derive(Debug, Clone, Copy)]
enum Placed {
    At(CellIndex, GeoPoint),
    Unlocated(Unlocated),
}

/// Why a client could not be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Unlocated {
    NoRecord,
    Private,
    NoCountry,
    UnknownCountry(CountryCode),
}

impl Unlocated {
    fn key(self) -> String {
        match self {
            Unlocated::NoRecord => "no GeoIP record".into(),
            Unlocated::Private => "private or reserved address".into(),
            Unlocated::NoCountry => "GeoIP record without a country".into(),
            Unlocated::UnknownCountry(c) => format!("country {c} not in the country table"),
        }
    }
}

/// A worker's partial results.
struct State {
    agg: DemandAggregator,
    lines: u64,
    records: u64,
    counted: u64,
    without_bytes: u64,
    filtered: FxHashMap<Filtered, u64>,
    by_node: FxHashMap<String, u64>,
    unlocated_by_reason: FxHashMap<Unlocated, u64>,
    unlocated_first: FxHashMap<IpAddr, (Pos, Unlocated)>,
    skipped: u64,
    skipped_by_reason: FxHashMap<String, u64>,
    /// The earliest few problems (all in strict mode: at most one per batch).
    problems: Vec<Problem>,
    chunk_lines: Vec<(u32, u32, u64)>,
    time: Option<(i64, i64)>,
    fatal: Option<Error>,
}

const EXAMPLES: usize = 5;

struct Worker<'s, 'g> {
    shared: &'s Shared<'g>,
    geo: GeoIpCache<'g>,
    clients: FxHashMap<IpAddr, Placed>,
    country_cells: FxHashMap<CountryCode, CellIndex>,
    tile_cells: FxHashMap<(u32, u32), CellIndex>,
    state: State,
}

impl<'s, 'g> Worker<'s, 'g> {
    fn new(shared: &'s Shared<'g>) -> Self {
        Worker {
            shared,
            geo: GeoIpCache::new(shared.geoip),
            clients: FxHashMap::default(),
            country_cells: FxHashMap::default(),
            tile_cells: FxHashMap::default(),
            state: State {
                agg: DemandAggregator::new(shared.opts.cells),
                lines: 0,
                records: 0,
                counted: 0,
                without_bytes: 0,
                filtered: FxHashMap::default(),
                by_node: FxHashMap::default(),
                unlocated_by_reason: FxHashMap::default(),
                unlocated_first: FxHashMap::default(),
                skipped: 0,
                skipped_by_reason: FxHashMap::default(),
                problems: Vec::new(),
                chunk_lines: Vec::new(),
                time: None,
                fatal: None,
            },
        }
    }

    fn drain(&mut self, rx: &Mutex<Receiver<Chunk>>, pool: &Sender<Vec<u8>>) {
        loop {
            let chunk = match rx.lock() {
                Ok(r) => r.recv(),
                Err(_) => return,
            };
            let Ok(chunk) = chunk else { return };
            if !self.shared.stopped_before(chunk.key()) && self.state.fatal.is_none() {
                self.process(&chunk);
            }
            let _ = pool.send(chunk.data);
        }
    }

    fn process(&mut self, chunk: &Chunk) {
        let data = &chunk.data[..];
        let mut pos = Pos {
            file: chunk.file,
            seq: chunk.seq,
            line: 0,
            hit: 0,
        };
        if chunk.whole {
            let lines = memchr::memchr_iter(b'\n', data).count() as u64
                + u64::from(data.last().is_some_and(|&b| b != b'\n'));
            self.state.lines += lines;
            self.state.chunk_lines.push((chunk.file, chunk.seq, lines));
            self.record(data, pos);
            return;
        }
        let mut start = 0;
        let mut n = 0u64;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let mut line = &data[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            pos.line = n;
            n += 1;
            start = end + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !self.record(line, pos) {
                break;
            }
        }
        self.state.lines += n;
        self.state.chunk_lines.push((chunk.file, chunk.seq, n));
    }

    /// Handles one record; `false` when the batch should stop (strict error or fatal).
    fn record(&mut self, line: &[u8], pos: Pos) -> bool {
        let shared = self.shared;
        let mut caps = Captures::default();
        let parsed = match shared.opts.format {
            LogFormat::Ndjson | LogFormat::EsHits => match &shared.json {
                Some(x) => x
                    .extract(line, &mut caps)
                    .map_err(|e| format!("malformed JSON: {e}")),
                None => Err("no JSON extractor".to_string()),
            },
            LogFormat::Csv => match (
                std::str::from_utf8(line),
                shared.files[pos.file as usize]
                    .1
                    .get()
                    .and_then(|h| h.csv.as_ref()),
            ) {
                (Ok(text), Some(cols)) => cols
                    .extract(text, &mut caps)
                    .map_err(|e| format!("malformed CSV: {e}")),
                (Err(_), _) => Err("not UTF-8 text".into()),
                (_, None) => Err("no CSV header".into()),
            },
            LogFormat::Combined => match std::str::from_utf8(line) {
                Ok(text) => combined::extract(text, &mut caps)
                    .map_err(|e| format!("malformed log line: {e}")),
                Err(_) => Err("not UTF-8 text".into()),
            },
        };
        if let Err(reason) = parsed {
            self.state.records += 1;
            return self.problem(Problem {
                pos,
                slot: None,
                reason,
                got: Some(String::from_utf8_lossy(line).into_owned()),
            });
        }
        if caps.get(Slot::Hits).is_some()
            && let Some(x) = &shared.json
        {
            let outcome = x.for_each_hit(line, |i, c| {
                let p = Pos {
                    hit: i as u32 + 1,
                    ..pos
                };
                if self.captured(c, p) { Ok(()) } else { Err(()) }
            });
            return match outcome {
                Ok(Ok(())) => true,
                Ok(Err(())) => false,
                Err(reason) => {
                    self.state.records += 1;
                    self.problem(Problem {
                        pos,
                        slot: None,
                        reason: format!("malformed _search response: {reason}"),
                        got: None,
                    })
                }
            };
        }
        self.captured(&caps, pos)
    }

    fn captured(&mut self, caps: &Captures<'_>, pos: Pos) -> bool {
        self.state.records += 1;
        match caps.request(&self.shared.opts.filter) {
            Err(Bad { slot, reason, got }) => self.problem(Problem {
                pos,
                slot: Some(slot),
                reason: reason.to_string(),
                got,
            }),
            Ok(Outcome::Filtered(f)) => {
                *self.state.filtered.entry(f).or_insert(0) += 1;
                true
            }
            Ok(Outcome::Request(r)) => self.count(&r, pos),
        }
    }

    /// Records a bad record; `false` in strict mode.
    fn problem(&mut self, p: Problem) -> bool {
        let s = &mut self.state;
        if self.shared.opts.lenient {
            s.skipped += 1;
            let key = match p.slot {
                Some(slot) => format!(
                    "field `{}`: {}",
                    self.shared
                        .opts
                        .mapping
                        .describe(slot, self.shared.opts.format),
                    p.reason
                ),
                None => p
                    .reason
                    .split(':')
                    .next()
                    .unwrap_or("malformed")
                    .to_string(),
            };
            *s.skipped_by_reason.entry(key).or_insert(0) += 1;
            if s.problems.len() < EXAMPLES || s.problems.last().is_some_and(|l| p.pos < l.pos) {
                let at = s.problems.partition_point(|q| q.pos < p.pos);
                s.problems.insert(at, p);
                s.problems.truncate(EXAMPLES);
            }
            true
        } else {
            self.shared.stop_at(chunk_key(p.pos.file, p.pos.seq));
            s.problems.push(p);
            false
        }
    }

    fn count(&mut self, r: &Request<'_>, pos: Pos) -> bool {
        let s = &mut self.state;
        s.counted += 1;
        s.time = Some(match s.time {
            None => (r.time_ms, r.time_ms),
            Some((a, b)) => (a.min(r.time_ms), b.max(r.time_ms)),
        });
        if r.bytes.is_none() {
            s.without_bytes += 1;
        }
        if let Some(node) = r.node {
            match s.by_node.get_mut(node) {
                Some(c) => *c += 1,
                None => {
                    s.by_node.insert(node.to_string(), 1);
                }
            }
        }
        let placed = if r.geo.is_some() || r.country.is_some() {
            match self.place_record(r) {
                Ok(p) => p,
                Err(e) => {
                    self.state.fatal = Some(e);
                    self.shared.stop_at(0);
                    return false;
                }
            }
        } else if let Some(p) = self.clients.get(&r.ip) {
            *p
        } else {
            let p = match self.locate(r.ip) {
                Ok(p) => p,
                Err(e) => {
                    self.state.fatal = Some(e);
                    self.shared.stop_at(0);
                    return false;
                }
            };
            self.clients.insert(r.ip, p);
            p
        };
        match placed {
            Placed::At(cell, at) => self.state.agg.record(cell, r.bytes.unwrap_or(0), r.ip, at),
            Placed::Unlocated(why) => {
                let s = &mut self.state;
                *s.unlocated_by_reason.entry(why).or_insert(0) += 1;
                s.unlocated_first
                    .entry(r.ip)
                    .and_modify(|e| {
                        if pos < e.0 {
                            *e = (pos, why);
                        }
                    })
                    .or_insert((pos, why));
            }
        }
        true
    }

    /// Places a request whose record carries a location or country: the record's values win,
    /// the database fills in what they lack (coordinates and city only when it agrees on the
    /// country).
    fn place_record(&mut self, r: &Request<'_>) -> Result<Placed> {
        let cells = self.shared.opts.cells;
        let need_db = match cells {
            CellKind::Geotile { .. } => r.geo.is_none(),
            CellKind::City => true,
            _ => r.country.is_none(),
        };
        let db = if need_db {
            self.geo.lookup(r.ip)?.cloned()
        } else {
            None
        };
        let country = r.country.or(db.as_ref().and_then(|l| l.country));
        let agrees = db.as_ref().filter(|l| l.country == country);
        let point = r.geo.or(agrees.and_then(|l| l.location));
        let city = agrees.and_then(|l| l.city.clone());
        let continent = agrees.and_then(|l| l.continent);
        if country.is_none() && point.is_none() && db.is_none() {
            return Ok(Placed::Unlocated(if is_private(r.ip) {
                Unlocated::Private
            } else {
                Unlocated::NoRecord
            }));
        }
        Ok(self.place(country, point, city.as_deref(), continent))
    }

    fn locate(&mut self, ip: IpAddr) -> Result<Placed> {
        let Some(l) = self.geo.lookup(ip)? else {
            return Ok(Placed::Unlocated(if is_private(ip) {
                Unlocated::Private
            } else {
                Unlocated::NoRecord
            }));
        };
        let (country, location, continent) = (l.country, l.location, l.continent);
        let city = l.city.clone();
        Ok(self.place(country, location, city.as_deref(), continent))
    }

    fn place(
        &mut self,
        country: Option<CountryCode>,
        point: Option<GeoPoint>,
        city: Option<&str>,
        continent: Option<Continent>,
    ) -> Placed {
        let countries = self.shared.countries;
        let known = country.map(|c| (c, countries.get(c)));
        match self.shared.opts.cells {
            CellKind::Geotile { zoom } => {
                let p = match (point, known) {
                    (Some(p), _) => p,
                    (None, Some((_, Some(c)))) => c.location,
                    (None, Some((cc, None))) => {
                        return Placed::Unlocated(Unlocated::UnknownCountry(cc));
                    }
                    (None, None) => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let (x, y) = geotile(&p, zoom);
                let agg = &mut self.state.agg;
                let cell = *self.tile_cells.entry((x, y)).or_insert_with(|| {
                    agg.intern(CellKey {
                        id: format!("{zoom}/{x}/{y}"),
                        location: geotile_centre(zoom, x, y),
                        country: None,
                        continent: None,
                    })
                });
                Placed::At(cell, p)
            }
            CellKind::City => {
                let (cc, c) = match known {
                    Some((cc, Some(c))) => (cc, c),
                    Some((cc, None)) => return Placed::Unlocated(Unlocated::UnknownCountry(cc)),
                    None => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let at = point.unwrap_or(c.location);
                let id = format!("{cc}/{}", city.unwrap_or("?"));
                let cell = self.state.agg.intern(CellKey {
                    id,
                    location: at,
                    country: Some(cc),
                    continent: continent.or(Some(c.continent)),
                });
                Placed::At(cell, at)
            }
            // Country cells (and any kind added later) sit at the country's point.
            _ => {
                let (cc, c) = match known {
                    Some((cc, Some(c))) => (cc, c),
                    Some((cc, None)) => return Placed::Unlocated(Unlocated::UnknownCountry(cc)),
                    None => return Placed::Unlocated(Unlocated::NoCountry),
                };
                let agg = &mut self.state.agg;
                let cell = *self.country_cells.entry(cc).or_insert_with(|| {
                    agg.intern(CellKey {
                        id: cc.to_string(),
                        location: c.location,
                        country: Some(cc),
                        continent: Some(c.continent),
                    })
                });
                Placed::At(cell, c.location)
            }
        }
    }
}

/// Private, loopback, link-local, shared (CGNAT), unique-local, documentation and unspecified
/// addresses.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// Merges worker states, resolves positions, and builds the result or the first error.
fn finish(
    shared: &Shared<'_>,
    states: Vec<State>,
    reader_err: Option<ReaderError>,
) -> Result<Ingested> {
    let opts = shared.opts;
    let mut agg = DemandAggregator::new(opts.cells);
    let mut report = IngestReport {
        files: shared.files.len() as u64,
        ..Default::default()
    };
    let mut problems = Vec::new();
    let mut chunk_lines = Vec::new();
    let mut unlocated_first: FxHashMap<IpAddr, (Pos, Unlocated)> = FxHashMap::default();
    let mut filtered: FxHashMap<Filtered, u64> = FxHashMap::default();
    let mut time: Option<(i64, i64)> = None;
    for s in states {
        if let Some(e) = s.fatal {
            return Err(e);
        }
        agg.merge(s.agg);
        report.lines += s.lines;
        report.records += s.records;
        report.requests_counted += s.counted;
        report.requests_without_bytes += s.without_bytes;
        report.skipped_malformed += s.skipped;
        for (k, v) in s.filtered {
            *filtered.entry(k).or_insert(0) += v;
        }
        for (k, v) in s.by_node {
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
    if demand.cells.is_empty() {
        return Err(Error::Model(cdnplan_core::Error::EmptyDemand(format!(
            "no request was placed in a demand cell: {} lines, {} records, {} requests counted ({} unlocated), {} filtered out {:?}, {} skipped as malformed; filters: {}",
            report.lines,
            report.records,
            report.requests_counted,
            report.unlocated_requests,
            report.filtered_total(),
            report.filtered_out,
            report.skipped_malformed,
            opts.filter.describe()
        ))));
    }
    Ok(Ingested { demand, report })
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

#[cfg(test)]
mod tests {
    use super::*;
    use cdnplan_core::Country;
    use proptest::prelude::*;

    fn countries() -> Countries {
        Countries::new([Country {
            code: CountryCode::new("GB").unwrap(),
            iso3: "GBR".into(),
            name: "United Kingdom".into(),
            continent: Continent::EU,
            location: GeoPoint {
                lat: 51.5,
                lon: -0.13,
            },
            population: 1,
            internet_users: 1,
        }])
        .unwrap()
    }

    /// Feeds `line` through a worker of every format, strict and lenient.
    fn feed(line: &[u8], geoip: &GeoIp, countries: &Countries) {
        for preset in Preset::ALL {
            for lenient in [false, true] {
                let opts = IngestOptions::new(preset)
                    .lenient(lenient)
                    .cells(CellKind::City);
                let head = OnceLock::new();
                let _ = head.set(FileHead {
                    csv: CsvColumns::new("timestamp,url,client_ip,status,bytes", &opts.mapping)
                        .ok(),
                    skip_lines: 1,
                });
                let shared = Shared {
                    opts: &opts,
                    geoip,
                    countries,
                    json: Some(JsonExtractor::new(&opts.mapping, opts.format)),
                    files: vec![(PathBuf::from("x.log"), head)],
                    min_err: AtomicU64::new(u64::MAX),
                    bytes_read: AtomicU64::new(0),
                    bytes_decoded: AtomicU64::new(0),
                };
                let mut w = Worker::new(&shared);
                w.process(&Chunk {
                    file: 0,
                    seq: 0,
                    data: line.to_vec(),
                    whole: false,
                });
                let want = line.iter().filter(|&&b| b == b'\n').count() as u64
                    + u64::from(line.last().is_some_and(|&b| b != b'\n'));
                if lenient {
                    // Every line is accounted for.
                    assert_eq!(w.state.lines, want);
                    let s = &w.state;
                    let filtered: u64 = s.filtered.values().sum();
                    assert_eq!(s.records, s.counted + filtered + s.skipped);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let geoip = GeoIp::from_bytes(crate::geoip::tests::geoip2_db(), "t.mmdb").unwrap();
            feed(&bytes, &geoip, &countries());
        }

        #[test]
        fn mutated_records_never_panic(cut in 0usize..400, byte in any::<u8>()) {
            let geoip = GeoIp::from_bytes(crate::geoip::tests::geoip2_db(), "t.mmdb").unwrap();
            let line = r#"{"@timestamp":"2023-05-12T00:00:01.000Z","_source":{"x":1},"fields":{"meta":{"req":{"url":"/api/v1/assets/1","headers":{"x-forwarded-for":"81.2.69.160"}},"res":{"statusCode":200,"headers":{"content-length":"12"}}}},"client":{"ip":"81.2.69.1","geo":{"location":[1,2]}}}"#;
            let mut b = line.as_bytes().to_vec();
            let i = cut % b.len();
            b[i] = byte;
            feed(&b, &geoip, &countries());
            feed(&b[..i], &geoip, &countries());
        }
    }
}
