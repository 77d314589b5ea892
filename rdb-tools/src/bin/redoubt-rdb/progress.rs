//! Progress on stderr for long reads when stderr is a terminal: a `Read` wrapper that prints the
//! percentage read at most once a second.

use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

pub struct Progress<R> {
    inner: R,
    total: u64,
    done: u64,
    enabled: bool,
    last: Instant,
}

impl<R> Progress<R> {
    pub fn new(inner: R, total: u64, enabled: bool) -> Self {
        Progress {
            inner,
            total,
            done: 0,
            enabled: enabled && std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        if self.enabled {
            eprint!("\r\x1b[K");
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.enabled && self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            let pct = if self.total > 0 {
                self.done as f64 * 100.0 / self.total as f64
            } else {
                0.0
            };
            eprint!(
                "\r{:.1}% ({} / {} MB)",
                pct,
                self.done >> 20,
                self.total >> 20
            );
        }
        Ok(n)
    }
}
