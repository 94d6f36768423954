//! Opening log files (gzip or plain, told apart by the gzip magic bytes `1f 8b`, never by the
//! file name) and cutting them into batches of whole lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// True when `head` starts with the gzip magic bytes.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Opens `path` for reading, decompressing it when it is gzip (by magic bytes; concatenated
/// gzip members are read as one stream).
///
/// # Errors
/// [`Error::Io`] naming `path` when it cannot be opened or read.
pub fn open_log(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open log file", e))?;
    open_reader(path, file)
}

/// Like [`open_log`] for an already opened reader; `path` is used in messages.
pub(crate) fn open_reader<'r>(
    path: &Path,
    inner: impl Read + Send + 'r,
) -> Result<Box<dyn BufRead + Send + 'r>> {
    let mut buf = BufReader::with_capacity(256 * 1024, inner);
    let gz = starts_gzip(&mut buf).map_err(|e| Error::io(path, "cannot read log file", e))?;
    if gz {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(buf),
        )))
    } else {
        Ok(Box::new(buf))
    }
}

fn starts_gzip<R: Read>(r: &mut BufReader<R>) -> io::Result<bool> {
    loop {
        match r.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(head) => return Ok(is_gzip(head)),
        }
    }
}

/// A reader that reports the raw bytes it reads.
pub(crate) struct Counting<R, F> {
    pub(crate) inner: R,
    pub(crate) on_read: F,
}

impl<R: Read, F: FnMut(u64)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_read)(n as u64);
        Ok(n)
    }
}

/// What stands in a batch for a line longer than the line limit: the line itself is read
/// past, never held. (A log line holding NUL bytes and exactly this text is not a record
/// either.)
pub(crate) const OVERLONG_LINE: &[u8] = b"\0cdnplan: a line over the line limit\0";

/// Why a line over the limit `max` is not a record.
pub(crate) fn overlong_reason(max: usize) -> String {
    format!("line longer than {max} bytes (the line limit, `max_line_bytes`); not read")
}

/// Cuts a stream into batches of whole lines of about `target` bytes (a batch ends after a
/// newline, or at the end of the stream; a line longer than `target` makes a longer batch). A
/// line longer than `max_line` bytes is replaced by [`OVERLONG_LINE`] and read past without
/// being kept, so memory stays within about `target + max_line` whatever the input.
pub(crate) struct Batcher<R> {
    inner: R,
    carry: Vec<u8>,
    target: usize,
    max_line: usize,
    eof: bool,
}

impl<R: Read> Batcher<R> {
    pub(crate) fn new(inner: R, target: usize, max_line: usize) -> Self {
        Batcher {
            inner,
            carry: Vec::new(),
            target: target.max(1),
            max_line: max_line.max(1),
            eof: false,
        }
    }

    /// Fills `buf` (cleared first) with the next batch; `false` at the end of the stream.
    pub(crate) fn next_batch(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        buf.append(&mut self.carry);
        // `buf[..scanned]` has been searched for newlines; the line in progress starts at
        // `line_start` (every line before it is whole).
        let (mut scanned, mut line_start) = (0, 0);
        let mut target = self.target;
        loop {
            if self.eof && scanned == buf.len() {
                return Ok(!buf.is_empty());
            }
            // Read until the batch is full.
            while buf.len() < target && !self.eof {
                let want = (target - buf.len()).max(64 * 1024);
                // Reads into spare capacity (no zero-filling); short only at the end.
                let n = (&mut self.inner).take(want as u64).read_to_end(buf)?;
                if n < want {
                    self.eof = true;
                }
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[scanned..]) {
                line_start = scanned + i + 1;
            }
            scanned = buf.len();
            if buf.len() - line_start > self.max_line {
                buf.truncate(line_start);
                buf.extend_from_slice(OVERLONG_LINE);
                buf.push(b'\n');
                self.skip_line()?;
                return Ok(true);
            }
            if self.eof {
                return Ok(!buf.is_empty());
            }
            if line_start > 0 {
                self.carry.extend_from_slice(&buf[line_start..]);
                buf.truncate(line_start);
                return Ok(true);
            }
            // No newline yet: a long line; read on.
            target = target.max(buf.len() + 64 * 1024);
        }
    }

    /// Reads past the rest of the line in progress (through its newline, or to the end),
    /// keeping what follows the newline as the start of the next batch.
    fn skip_line(&mut self) -> io::Result<()> {
        let mut scratch = vec![0u8; 64 * 1024];
        while !self.eof {
            let n = match self.inner.read(&mut scratch) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', &scratch[..n]) {
                self.carry.extend_from_slice(&scratch[i + 1..n]);
                break;
            }
        }
        Ok(())
    }

    /// Reads everything that is left into `buf` (after what it holds).
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidData`] when that is more than the line limit: a document read
    /// whole counts as one line.
    pub(crate) fn read_rest(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.append(&mut self.carry);
        if !self.eof {
            let room = (self.max_line + 1).saturating_sub(buf.len());
            (&mut self.inner).take(room as u64).read_to_end(buf)?;
            self.eof = true;
        }
        if buf.len() > self.max_line {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a document read whole is longer than {} bytes (the line limit, \
                     `max_line_bytes`)",
                    self.max_line
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn batches(data: &[u8], target: usize) -> Vec<Vec<u8>> {
        let mut b = Batcher::new(data, target, usize::MAX);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while b.next_batch(&mut buf).unwrap() {
            out.push(buf.clone());
        }
        out
    }

    #[test]
    fn a_line_over_the_limit_is_replaced_and_read_past_unkept() {
        // Issue 15 row 13: one very long line between short ones, at batch sizes below the
        // limit (above it the line is held whole within the batch, and the worker refuses it
        // by its length).
        let long = vec![b'x'; 300_000];
        let mut data = b"first\n".to_vec();
        data.extend_from_slice(&long);
        data.extend_from_slice(b"\nlast\n");
        for target in [1, 7, 500, 4096] {
            let mut b = Batcher::new(&data[..], target, 100_000);
            let (mut buf, mut lines, mut biggest) = (Vec::new(), Vec::new(), 0);
            while b.next_batch(&mut buf).unwrap() {
                biggest = biggest.max(buf.len());
                lines.extend(
                    buf.split(|&c| c == b'\n')
                        .filter(|l| !l.is_empty())
                        .map(<[u8]>::to_vec),
                );
            }
            let want = vec![b"first".to_vec(), OVERLONG_LINE.to_vec(), b"last".to_vec()];
            assert!(lines == want, "target {target}: {} lines", lines.len());
            assert!(biggest < 200_000, "target {target}: held {biggest} bytes");
        }
        // Without a newline at the end, too.
        let mut b = Batcher::new(&long[..], 10, 1000);
        let mut buf = Vec::new();
        assert!(b.next_batch(&mut buf).unwrap());
        assert!(
            buf == [OVERLONG_LINE, b"\n"].concat(),
            "{} bytes",
            buf.len()
        );
        assert!(!b.next_batch(&mut buf).unwrap());
    }

    #[test]
    fn a_document_read_whole_over_the_limit_is_refused() {
        let mut doc = b"{\n".to_vec();
        for _ in 0..500 {
            doc.extend_from_slice(b"  \"a\": 1,\n");
        }
        doc.extend_from_slice(b"}\n");
        let mut b = Batcher::new(&doc[..], 100, 1000);
        let mut buf = Vec::new();
        assert!(b.next_batch(&mut buf).unwrap());
        let e = b.read_rest(&mut buf).unwrap_err();
        assert!(e.to_string().contains("max_line_bytes"), "{e}");
        let mut b = Batcher::new(&doc[..], 100, 10_000);
        assert!(b.next_batch(&mut buf).unwrap());
        b.read_rest(&mut buf).unwrap();
        assert_eq!(buf.len(), doc.len());
    }

    #[test]
    fn batches_end_on_newlines_and_cover_everything() {
        let data: Vec<u8> = (0..1000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for target in [1, 7, 100, 4096, 1 << 20] {
            let bs = batches(&data, target);
            assert_eq!(bs.concat(), data, "target {target}");
            for b in &bs {
                assert_eq!(b.last(), Some(&b'\n'));
            }
        }
        assert_eq!(
            batches(b"a\nno newline at end", 2).concat(),
            b"a\nno newline at end"
        );
        assert!(batches(b"", 10).is_empty());
    }

    #[test]
    fn long_lines_make_long_batches() {
        let mut data = vec![b'x'; 300_000];
        data.push(b'\n');
        data.extend_from_slice(b"short\n");
        let bs = batches(&data, 1000);
        assert!(bs[0].len() >= 300_001);
        assert_eq!(bs.concat(), data);
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes_not_name() {
        let d = tempfile::tempdir().unwrap();
        let gz = d.path().join("plain-looking.log");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"hello\n").unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let plain = d.path().join("looks.gz");
        std::fs::write(&plain, b"hello\n").unwrap();
        for p in [&gz, &plain] {
            let mut s = String::new();
            open_log(p).unwrap().read_to_string(&mut s).unwrap();
            assert_eq!(s, "hello\n", "{}", p.display());
        }
        assert!(matches!(
            open_log(&d.path().join("missing")),
            Err(Error::Io { .. })
        ));
    }
}
