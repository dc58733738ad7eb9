//! The progress line (messages, messages/s, bytes/s) on stderr, only when
//! stderr is a terminal and the data does not go to that same terminal;
//! once a second at most, erased at the end.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Counts messages and bytes and redraws the line now and then.
#[derive(Debug)]
pub(crate) struct Progress {
    enabled: bool,
    start: Instant,
    last: Instant,
    count: u64,
    bytes: u64,
    verb: &'static str,
}

impl Progress {
    /// A progress line for `verb` ("consumed", "produced"): on when
    /// stderr is a terminal, `quiet` is off and, when `stdout_is_data`,
    /// stdout is not a terminal.
    pub(crate) fn new(verb: &'static str, quiet: bool, stdout_is_data: bool) -> Progress {
        let enabled = !quiet
            && std::io::stderr().is_terminal()
            && !(stdout_is_data && std::io::stdout().is_terminal());
        let now = Instant::now();
        Progress {
            enabled,
            start: now,
            last: now,
            count: 0,
            bytes: 0,
            verb,
        }
    }

    /// One more message of `bytes` bytes.
    pub(crate) fn add(&mut self, bytes: usize) {
        self.count += 1;
        self.bytes += bytes as u64;
        if self.enabled && self.count % 1024 == 0 {
            let now = Instant::now();
            if now.duration_since(self.last).as_millis() >= 1000 {
                self.last = now;
                self.draw(now);
            }
        }
    }

    fn draw(&self, now: Instant) {
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-3);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r% {} {} messages, {:.0} msgs/s, {:.1} MB/s\x1b[K",
            self.count,
            self.verb,
            self.count as f64 / secs,
            self.bytes as f64 / secs / 1e6
        );
        let _ = err.flush();
    }

    /// Erases the line.
    pub(crate) fn finish(&self) {
        if self.enabled && self.last != self.start {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
