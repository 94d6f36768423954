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

/// Cuts a stream into batches of whole lines of about `target` bytes (a batch ends after a
/// newline, or at the end of the stream; a line longer than `target` makes a longer batch).
pub(crate) struct Batcher<R> {
    inner: R,
    carry: Vec<u8>,
    target: usize,
    eof: bool,
}

impl<R: Read> Batcher<R> {
    pub(crate) fn new(inner: R, target: usize) -> Self {
        Batcher {
            inner,
            carry: Vec::new(),
            target: target.max(1),
            eof: false,
        }
    }

    /// Fills `buf` (cleared first) with the next batch; `false` at the end of the stream.
    pub(crate) fn next_batch(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        buf.append(&mut self.carry);
        let mut scanned = 0;
        let mut target = self.target;
        loop {
            if self.eof {
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
            if self.eof {
                return Ok(!buf.is_empty());
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[scanned..]) {
                let cut = scanned + i + 1;
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                return Ok(true);
            }
            // No newline yet: a long line; read on.
            scanned = buf.len();
            target = target.max(buf.len() + 64 * 1024);
        }
    }

    /// Reads everything that is left into `buf` (after what it holds).
    pub(crate) fn read_rest(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.append(&mut self.carry);
        if !self.eof {
            self.inner.read_to_end(buf)?;
            self.eof = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn batches(data: &[u8], target: usize) -> Vec<Vec<u8>> {
        let mut b = Batcher::new(data, target);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while b.next_batch(&mut buf).unwrap() {
            out.push(buf.clone());
        }
        out
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
