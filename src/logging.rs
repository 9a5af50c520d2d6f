//! Log lines and progress bars share stderr: a line is written through the bar that is on screen
//! (hidden, written, redrawn), so no warning cuts through a half-drawn bar.
//!
//! - [`attach`]: a stage that shows a bar registers it (the pipeline's and the crawler's bars).
//! - [`StderrThroughBar`]: the `tracing` writer of the binary (`main.rs`); the `log` records of
//!   libraries (lopdf, pdf-extract) reach it through tracing-subscriber's `log` bridge, inside the
//!   span of the document being extracted (`source{id=…}`), so every warning names its document.
//! - [`relay`]: the stderr of an extraction worker process (its own formatted log lines, written
//!   to a pipe, so without colour codes) is copied line by line through the same bar.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, WeakProgressBar};

static ACTIVE: Mutex<Option<WeakProgressBar>> = Mutex::new(None);

/// Make `pb` the bar that log lines are written through (until another is attached or it is
/// dropped or finished).
pub fn attach(pb: &ProgressBar) {
    if let Ok(mut a) = ACTIVE.lock() {
        *a = Some(pb.downgrade());
    }
}

/// The bar on screen, if any.
fn active() -> Option<ProgressBar> {
    let a = ACTIVE.lock().ok()?;
    a.as_ref()?
        .upgrade()
        .filter(|pb| !pb.is_hidden() && !pb.is_finished())
}

/// Write `buf` to stderr, through the bar on screen when there is one.
pub fn write_stderr(buf: &[u8]) -> std::io::Result<()> {
    let write = || {
        let mut e = std::io::stderr().lock();
        e.write_all(buf)?;
        e.flush()
    };
    match active() {
        Some(pb) => pb.suspend(write),
        None => write(),
    }
}

/// The `tracing` writer that writes through the bar on screen.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrThroughBar;

impl Write for StderrThroughBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_stderr(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrThroughBar {
    type Writer = StderrThroughBar;

    fn make_writer(&'a self) -> Self::Writer {
        StderrThroughBar
    }
}

/// Longest line relayed from a worker; the rest of a longer line is dropped (a library that
/// prints a whole stream must not flood the terminal).
const MAX_RELAYED_LINE: usize = 4096;

/// Copy a worker's stderr to ours, line by line, through the bar on screen, until it closes.
pub fn relay(from: impl Read) {
    let mut r = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut r)
            .take(MAX_RELAYED_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') {
            // Over-long (or the last line, unterminated): skip to the end of this line, in
            // bounded chunks.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut r)
                    .take(MAX_RELAYED_LINE as u64)
                    .read_until(b'\n', &mut rest)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            line.extend_from_slice(" …\n".as_bytes());
        }
        if write_stderr(&line).is_err() {
            return;
        }
    }
}
