//! A budget per document: wall time, memory and output size, with extraction isolated in worker
//! processes so that one document's allocation failure or runaway loop cannot take down a build.
//!
//! The `cyberlex` binary re-executes itself as `cyberlex extract-worker` (a hidden subcommand):
//! the worker caps its own address space (`RLIMIT_AS`), then reads requests from stdin — a JSON
//! line `{"source": …, "len": N}` followed by the document's N raw bytes — and answers each with
//! one JSON line per document (`{"doc": …}`, written as soon as it is segmented, so that neither
//! side holds a bulk archive's passages), then `"done"` or `{"error": reason}`. A build keeps up to
//! `--threads` workers alive and reuses them; a worker that overruns the wall-time budget is
//! killed, one that dies (an allocation refused under the memory cap aborts it, a stack
//! overflow, a signal) is reported with its exit status, and an answer larger than the output
//! budget is refused — each of these fails that document only, and the next document gets a fresh
//! worker.
//!
//! Library callers without the binary ([`DocBudget::default`]) extract in-process, on a thread of
//! their own with the same wall-time budget: the document fails when its time is up and the build
//! goes on, though the abandoned thread runs until its extractor returns; memory is then bounded
//! only by the per-format limits of [`crate::extract`].

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::corpus::{Format, Source, Taxonomy};
use crate::extract::ExtractError;
use crate::segment::{Passage, Profiles, Segmented};

/// Default wall time per document (`build --doc-timeout`).
pub const DEFAULT_DOC_TIMEOUT: Duration = Duration::from_secs(30);
/// Default address-space cap of a worker process (`build --doc-memory`), in MiB.
pub const DEFAULT_DOC_MEMORY_MIB: u64 = 3072;
/// Default cap on what one document's extraction may return (passages serialized as JSON).
pub const DEFAULT_DOC_OUTPUT_BYTES: u64 = 512 * 1024 * 1024;
/// A bulk archive's wall-time budget grows by one `doc_timeout` per this many compressed bytes.
pub const ARCHIVE_BYTES_PER_TIMEOUT: u64 = 4 * 1024 * 1024;

/// The budget of one document and where its extraction runs.
#[derive(Debug, Clone)]
pub struct DocBudget {
    /// Wall time of one document (bulk archives: one per [`ARCHIVE_BYTES_PER_TIMEOUT`] started).
    pub timeout: Duration,
    /// Address-space cap of a worker process, in bytes (isolated extraction only).
    pub memory_bytes: u64,
    /// Largest answer of one document, in bytes of JSON (isolated extraction only).
    pub output_bytes: u64,
    /// The executable to run as `EXE extract-worker`; `None`: extract in-process.
    pub worker_exe: Option<PathBuf>,
    /// Threads of the extraction inside one worker (a bulk archive's members run in parallel).
    pub worker_threads: usize,
}

impl Default for DocBudget {
    fn default() -> DocBudget {
        DocBudget {
            timeout: DEFAULT_DOC_TIMEOUT,
            memory_bytes: DEFAULT_DOC_MEMORY_MIB << 20,
            output_bytes: DEFAULT_DOC_OUTPUT_BYTES,
            worker_exe: None,
            worker_threads: 1,
        }
    }
}

impl DocBudget {
    /// Isolated extraction in worker processes of this very executable (the `cyberlex` binary).
    pub fn isolated_in_this_binary(timeout: Duration, memory_mib: u64) -> DocBudget {
        DocBudget {
            timeout,
            memory_bytes: memory_mib << 20,
            worker_exe: std::env::current_exe().ok(),
            ..DocBudget::default()
        }
    }

    /// The wall time of `source` with `len` bytes.
    pub fn timeout_for(&self, source: &Source, len: usize) -> Duration {
        if source.format == Format::TarGz {
            let units = (len as u64).div_ceil(ARCHIVE_BYTES_PER_TIMEOUT).max(1);
            self.timeout
                .saturating_mul(units.min(u32::MAX as u64) as u32)
        } else {
            self.timeout
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Request {
    source: Source,
    len: usize,
    /// Tag the passages with the built-in taxonomy's concepts as they are segmented.
    #[serde(default)]
    tag: bool,
}

/// [`Segmented`] on the wire.
#[derive(Serialize, Deserialize)]
struct WireDoc {
    doc_id: String,
    passages: Vec<Passage>,
    body_chars: usize,
    covered_chars: usize,
}

/// One line of a worker's answer: a request is answered by one `doc` line per document, in
/// order, as each is segmented, then (when it asked for tags) one `tagged` line with the
/// nanoseconds spent tagging, then one `done` or `error` line.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Doc(WireDoc),
    Tagged(u64),
    Done,
    Error(String),
}

/// Documents a worker answer holds in its channel before the reader waits for the build.
const ANSWER_BACKLOG: usize = 64;

/// The hidden `extract-worker` subcommand: cap the address space, then answer requests on stdin
/// until it closes.
pub fn serve(memory_bytes: u64, threads: usize) -> anyhow::Result<()> {
    limit_address_space(memory_bytes)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()?;
    let profiles = Profiles::builtin();
    // Built on the first request that asks for tags.
    let mut taxonomy: Option<Taxonomy> = None;
    let stdin = std::io::stdin();
    let mut input = BufReader::new(stdin.lock());
    // Not locked: the documents are written from inside the extraction pool.
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let req: Request = serde_json::from_str(&line)?;
        let mut bytes = vec![0u8; req.len];
        input.read_exact(&mut bytes)?;
        // Each document is written as soon as it is segmented, so neither this process nor the
        // build holds a whole archive's passages.
        let mut write_err: Option<std::io::Error> = None;
        let nanos = AtomicU64::new(0);
        let tagging = req.tag.then(|| crate::pipeline::Tagging {
            taxonomy: taxonomy.get_or_insert_with(Taxonomy::builtin),
            nanos: &nanos,
        });
        let result = pool.install(|| {
            let tagging = tagging.as_ref();
            crate::pipeline::passages_each_tagged(
                &req.source,
                &bytes,
                &profiles,
                tagging,
                &mut |d| {
                    let line = Answer::Doc(WireDoc {
                        doc_id: d.doc_id,
                        passages: d.passages,
                        body_chars: d.body_chars,
                        covered_chars: d.covered_chars,
                    });
                    let sent = serde_json::to_writer(&mut out, &line)
                        .map_err(std::io::Error::from)
                        .and_then(|_| out.write_all(b"\n"));
                    match sent {
                        Ok(()) => true,
                        Err(e) => {
                            write_err = Some(e);
                            false
                        }
                    }
                },
            )
        });
        drop(bytes);
        if let Some(e) = write_err {
            return Err(e.into());
        }
        if req.tag {
            serde_json::to_writer(&mut out, &Answer::Tagged(nanos.into_inner()))?;
            out.write_all(b"\n")?;
        }
        let end = match result {
            Ok(()) => Answer::Done,
            Err(e) => Answer::Error(e.to_string()),
        };
        serde_json::to_writer(&mut out, &end)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
}

#[cfg(unix)]
fn limit_address_space(bytes: u64) -> anyhow::Result<()> {
    if bytes == 0 {
        return Ok(());
    }
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass; it affects only this (worker) process.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
    if rc != 0 {
        anyhow::bail!(
            "cannot cap the worker's address space at {bytes} bytes: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn limit_address_space(_bytes: u64) -> anyhow::Result<()> {
    Ok(())
}

/// A running worker: its process, its stdin, and the answers its reader thread receives.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<Result<Vec<u8>, String>>,
}

impl Worker {
    fn spawn(b: &DocBudget, exe: &PathBuf) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .arg("extract-worker")
            .arg("--memory-bytes")
            .arg(b.memory_bytes.to_string())
            .arg("--threads")
            .arg(b.worker_threads.max(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        // The worker's log lines (a library's warnings, in the span naming the document) go
        // through the progress bar on screen, not across it.
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(move || crate::logging::relay(err));
        }
        let stdout = child.stdout.take().expect("piped stdout");
        // Bounded: a worker that is ahead of the build waits (its pipe fills) instead of piling
        // documents up in memory.
        let (tx, answers) = mpsc::sync_channel(ANSWER_BACKLOG);
        let limit = b.output_bytes;
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut buf = Vec::new();
                match (&mut r).take(limit + 1).read_until(b'\n', &mut buf) {
                    Ok(0) => return,
                    Ok(_) if buf.last() == Some(&b'\n') => {
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Ok(n) if n as u64 > limit => {
                        let _ = tx.send(Err(format!(
                            "its extracted text exceeds the output budget of {limit} bytes"
                        )));
                        return;
                    }
                    Ok(_) | Err(_) => return, // EOF inside an answer: the worker died
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            answers,
        })
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => describe_exit(status),
            Err(e) => e.to_string(),
        }
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let what = match sig {
                libc::SIGABRT => {
                    "aborted (an allocation refused under the memory budget, or a crash)"
                }
                libc::SIGSEGV | libc::SIGBUS => "crashed (stack overflow or invalid memory access)",
                libc::SIGKILL => "was killed",
                _ => "was stopped by a signal",
            };
            return format!("the extraction process {what}: signal {sig}");
        }
    }
    format!("the extraction process exited with {status}")
}

/// Idle workers, reused across documents.
pub struct Extractor {
    budget: DocBudget,
    idle: Mutex<Vec<Worker>>,
    /// Whether passages come back tagged with the built-in taxonomy's concepts.
    tag: bool,
    /// The taxonomy of in-process extraction (workers build their own), built when first needed.
    taxonomy: OnceLock<Arc<Taxonomy>>,
    /// Nanoseconds spent tagging, summed over the threads (and workers) that tagged.
    tag_nanos: Arc<AtomicU64>,
}

impl Extractor {
    pub fn new(budget: DocBudget) -> Extractor {
        Extractor {
            budget,
            idle: Mutex::new(Vec::new()),
            tag: false,
            taxonomy: OnceLock::new(),
            tag_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Passages come back tagged with the built-in taxonomy's concepts (`Passage::concepts`),
    /// tagged where they are segmented (in the worker process, or on the extraction's threads),
    /// so the thread that feeds the index does not tag.
    pub fn with_tags(mut self) -> Extractor {
        self.tag = true;
        self
    }

    /// Time spent tagging so far, summed over the threads that tagged (see [`Self::with_tags`]).
    pub fn tag_time(&self) -> Duration {
        Duration::from_nanos(self.tag_nanos.load(Ordering::Relaxed))
    }

    /// Extract and segment one source within its budget.
    pub fn passages_of(
        &self,
        source: &Source,
        bytes: &[u8],
        profiles: &Profiles,
    ) -> Result<Vec<Segmented>, ExtractError> {
        let mut docs = Vec::new();
        self.passages_each(source, bytes, profiles, &mut |d| {
            docs.push(d);
            true
        })?;
        Ok(docs)
    }

    /// Extract and segment one source within its budget, handing each document to `emit` as
    /// soon as it is segmented (in the source's order; `emit` returns `false` to stop). The
    /// time budget counts the time spent waiting for the extraction, not the time `emit` takes;
    /// the output budget counts every document's answer. On an error, documents emitted before
    /// it belong to the failed source.
    pub fn passages_each(
        &self,
        source: &Source,
        bytes: &[u8],
        profiles: &Profiles,
        emit: &mut dyn FnMut(Segmented) -> bool,
    ) -> Result<(), ExtractError> {
        self.passages_each_cow(source, Cow::Borrowed(bytes), profiles, emit)
    }

    /// [`Self::passages_each`], owning the bytes: they are let go as soon as the worker process
    /// has them (a bulk archive is tens of MB, held otherwise while its passages stream in), and
    /// in-process extraction takes them without a copy.
    pub fn passages_each_owned(
        &self,
        source: &Source,
        bytes: Vec<u8>,
        profiles: &Profiles,
        emit: &mut dyn FnMut(Segmented) -> bool,
    ) -> Result<(), ExtractError> {
        self.passages_each_cow(source, Cow::Owned(bytes), profiles, emit)
    }

    fn passages_each_cow(
        &self,
        source: &Source,
        bytes: Cow<'_, [u8]>,
        profiles: &Profiles,
        emit: &mut dyn FnMut(Segmented) -> bool,
    ) -> Result<(), ExtractError> {
        let timeout = self.budget.timeout_for(source, bytes.len());
        let over_budget = |reason: String| ExtractError::Budget {
            id: source.id.clone(),
            reason,
        };
        let Some(exe) = &self.budget.worker_exe else {
            let tagging = self.tag.then(|| {
                let taxonomy = self
                    .taxonomy
                    .get_or_init(|| Arc::new(Taxonomy::builtin()))
                    .clone();
                (taxonomy, self.tag_nanos.clone())
            });
            return in_process(source, bytes, profiles, timeout, tagging, emit);
        };
        let worker = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut worker = match worker {
            Some(w) => w,
            None => Worker::spawn(&self.budget, exe)
                .map_err(|e| over_budget(format!("cannot start an extraction process: {e}")))?,
        };
        let header = serde_json::to_string(&Request {
            source: source.clone(),
            len: bytes.len(),
            tag: self.tag,
        })
        .map_err(|e| over_budget(e.to_string()))?;
        let sent = worker
            .stdin
            .write_all(header.as_bytes())
            .and_then(|_| worker.stdin.write_all(b"\n"))
            .and_then(|_| worker.stdin.write_all(&bytes))
            .and_then(|_| worker.stdin.flush());
        drop(bytes);
        // A worker that dies, before it has read the request or while answering, is named with
        // its exit and the budget it ran under (a worker over its address space can die as early
        // as its start-up).
        let died = |status: String| {
            over_budget(format!(
                "{status}; the memory budget is {} MiB (`build --doc-memory`)",
                self.budget.memory_bytes >> 20
            ))
        };
        if let Err(e) = sent {
            let status = worker.stop();
            return Err(died(format!("{status} ({e})")));
        }
        let mut left = timeout;
        let mut output = 0u64;
        loop {
            let waited = std::time::Instant::now();
            let next = worker.answers.recv_timeout(left);
            left = left.saturating_sub(waited.elapsed());
            match next {
                Ok(Ok(line)) => {
                    output += line.len() as u64;
                    if output > self.budget.output_bytes {
                        worker.stop();
                        return Err(over_budget(format!(
                            "its extracted text exceeds the output budget of {} bytes",
                            self.budget.output_bytes
                        )));
                    }
                    let answer: Result<Answer, _> = serde_json::from_slice(&line);
                    match answer {
                        Ok(Answer::Doc(d)) => {
                            let go_on = emit(Segmented {
                                doc_id: d.doc_id,
                                passages: d.passages,
                                body_chars: d.body_chars,
                                covered_chars: d.covered_chars,
                            });
                            if !go_on {
                                // The rest of the answer is not wanted: this worker is not reused.
                                worker.stop();
                                return Ok(());
                            }
                        }
                        Ok(Answer::Tagged(nanos)) => {
                            self.tag_nanos.fetch_add(nanos, Ordering::Relaxed);
                        }
                        Ok(end) => {
                            if let Ok(mut idle) = self.idle.lock() {
                                idle.push(worker);
                            }
                            return match end {
                                Answer::Error(reason) => Err(ExtractError::Reported { reason }),
                                _ => Ok(()),
                            };
                        }
                        Err(e) => {
                            worker.stop();
                            return Err(over_budget(format!(
                                "unreadable answer of the extraction process: {e}"
                            )));
                        }
                    }
                }
                Ok(Err(reason)) => {
                    worker.stop();
                    return Err(over_budget(reason));
                }
                Err(RecvTimeoutError::Timeout) => {
                    worker.stop();
                    return Err(over_budget(format!(
                        "extraction exceeded its time budget of {} s and was stopped (`build --doc-timeout`)",
                        timeout.as_secs_f64()
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(died(worker.stop())),
            }
        }
    }
}

impl Drop for Extractor {
    fn drop(&mut self) {
        if let Ok(mut idle) = self.idle.lock() {
            for w in idle.drain(..) {
                drop(w.stdin); // EOF: the worker exits
                let mut child = w.child;
                let _ = child.wait();
            }
        }
    }
}

/// In-process extraction on a thread of its own, abandoned when its time is up; documents
/// reach `emit` as they are segmented.
fn in_process(
    source: &Source,
    bytes: Cow<'_, [u8]>,
    profiles: &Profiles,
    timeout: Duration,
    tagging: Option<(Arc<Taxonomy>, Arc<AtomicU64>)>,
    emit: &mut dyn FnMut(Segmented) -> bool,
) -> Result<(), ExtractError> {
    enum Msg {
        Doc(Segmented),
        End(Result<(), ExtractError>),
    }
    let (tx, rx) = mpsc::sync_channel(ANSWER_BACKLOG);
    // Borrowed bytes are copied for the thread, which may outlive this call.
    // (Kept here too, for the fallback when no thread can be started.)
    let bytes = Arc::new(bytes.into_owned());
    let (s, b, p) = (source.clone(), bytes.clone(), profiles.clone());
    let tags = tagging.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("extract {}", source.id))
        .spawn(move || {
            let docs = tx.clone();
            let tagging = tags
                .as_ref()
                .map(|(taxonomy, nanos)| crate::pipeline::Tagging { taxonomy, nanos });
            // A panicking extractor fails its document with the panic's message (a worker
            // process reports the same through its exit); the build goes on.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::pipeline::passages_each_tagged(&s, &b, &p, tagging.as_ref(), &mut |d| {
                    docs.send(Msg::Doc(d)).is_ok()
                })
            }))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                Err(ExtractError::Budget {
                    id: s.id.clone(),
                    reason: format!("the extractor panicked ({what}); this is a bug in cyberlex, please report it with the document"),
                })
            });
            let _ = tx.send(Msg::End(r));
        });
    if spawned.is_err() {
        let tagging = tagging
            .as_ref()
            .map(|(taxonomy, nanos)| crate::pipeline::Tagging { taxonomy, nanos });
        return crate::pipeline::passages_each_tagged(
            source,
            &bytes,
            profiles,
            tagging.as_ref(),
            emit,
        );
    }
    let mut left = timeout;
    loop {
        let waited = std::time::Instant::now();
        let next = rx.recv_timeout(left);
        left = left.saturating_sub(waited.elapsed());
        match next {
            Ok(Msg::Doc(d)) => {
                if !emit(d) {
                    return Ok(());
                }
            }
            Ok(Msg::End(r)) => return r,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(ExtractError::Budget {
                    id: source.id.clone(),
                    reason: "the extraction thread ended without an answer".into(),
                })
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(ExtractError::Budget {
                    id: source.id.clone(),
                    reason: format!(
                        "extraction exceeded its time budget of {} s (`build --doc-timeout`)",
                        timeout.as_secs_f64()
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Format;

    /// An invented act, written for this test.
    const ACT: &str =
        "# Invented Test Act\n\n## Article 1 – Purpose\n\nThis act sets rules for the \
        weather station of an invented island.\n\n## Article 2 – Illegal access\n\nWhoever \
        intentionally gains access to a computer system without right shall be punished with \
        imprisonment of up to two years.\n";

    fn source() -> Source {
        Source {
            id: "xx-test-act".into(),
            url: "https://example.org/test-act".into(),
            canonical_url: None,
            title: "Invented Test Act".into(),
            kind: "national-law".into(),
            jurisdiction: "XX".into(),
            language: "en".into(),
            date: Some("2020".into()),
            format: Format::Markdown,
            bytes: None,
            sha256: None,
            license: None,
            complete: None,
            bulk: false,
            profile: None,
            passage_url: None,
            allow_hosts: vec![],
        }
    }

    #[test]
    fn an_extractor_with_tags_tags_as_the_taxonomy_does_and_counts_the_time() {
        let profiles = Profiles::builtin();
        let plain = Extractor::new(DocBudget::default())
            .passages_of(&source(), ACT.as_bytes(), &profiles)
            .unwrap();
        assert!(plain
            .iter()
            .flat_map(|d| &d.passages)
            .all(|p| p.concepts.is_empty()));
        let mut want = plain.clone();
        let taxonomy = Taxonomy::builtin();
        for d in &mut want {
            crate::pipeline::tag_passages(&taxonomy, &mut d.passages);
        }
        // The act's Article 2 is an illegal-access offence: the taxonomy tags it.
        assert!(
            want.iter()
                .flat_map(|d| &d.passages)
                .any(|p| p.concepts.iter().any(|c| c == "illegal-access")),
            "{want:?}"
        );
        let tagging = Extractor::new(DocBudget::default()).with_tags();
        let mut got = Vec::new();
        tagging
            .passages_each_owned(&source(), ACT.as_bytes().to_vec(), &profiles, &mut |d| {
                got.push(d);
                true
            })
            .unwrap();
        let passages = |v: &[Segmented]| -> Vec<Passage> {
            v.iter().flat_map(|d| d.passages.clone()).collect()
        };
        assert_eq!(passages(&got), passages(&want));
        assert!(tagging.tag_time() > Duration::ZERO);
    }
}
