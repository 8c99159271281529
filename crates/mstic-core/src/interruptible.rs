//! Reading that stops when the notebook user interrupts the cell (see [`crate::interrupt`]).
//!
//! Parsers such as Arrow's CSV reader or a zip decompressor pull their input through
//! [`std::io::Read`] and cannot be asked to stop half-way; wrapped in an [`InterruptibleReader`],
//! their next read fails once an interrupt is requested, so the parser returns an error at once.
//! [`after_failure`] then turns whatever error the parser reported into `Error::Interrupted`.
//!
//! ```
//! use mstic_core::interruptible::InterruptibleReader;
//! use std::io::Read;
//! let mut text = String::new();
//! InterruptibleReader::new("a,b\n1,2\n".as_bytes()).read_to_string(&mut text)?;
//! assert_eq!(text, "a,b\n1,2\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::{Error, interrupt};
use std::io::{BufRead, Read, Seek, SeekFrom};

/// The message of the I/O error an interrupted read gives.
const INTERRUPTED_READ: &str = "the read was interrupted by the user";

/// A reader whose reads fail (with an [`std::io::ErrorKind::Other`] error, which readers do not
/// retry) once an interrupt is requested. Buffered readers stay buffered ([`BufRead`] passes
/// through), so a line or batch parser is checked at each refill.
#[derive(Debug)]
pub struct InterruptibleReader<R> {
    inner: R,
}

impl<R> InterruptibleReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        InterruptibleReader { inner }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for InterruptibleReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if interrupt::is_requested() {
            return Err(std::io::Error::other(INTERRUPTED_READ));
        }
        self.inner.read(buf)
    }
}

impl<R: BufRead> BufRead for InterruptibleReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if interrupt::is_requested() {
            return Err(std::io::Error::other(INTERRUPTED_READ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

impl<R: Seek> Seek for InterruptibleReader<R> {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(position)
    }
}

/// The error to report for a failure of work named `what`: `Error::Interrupted` when an interrupt
/// has been requested (the failure is then most likely the stopped read), else `otherwise`.
pub fn after_failure(what: &str, otherwise: Error) -> Error {
    if interrupt::is_requested() { Error::interrupted(what) } else { otherwise }
}

