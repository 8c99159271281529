//! Rust MSTIC transforms — the data-shaping steps of an investigation, with MSTICPy's results:
//!
//! * [`ioc`]: find IPs, domains, URLs, e-mails, hashes and paths in text or Frame columns.
//! * [`unpack`]: decode base64 (recursively) and expand zip, gzip and tar members, with limits.
//! * [`proctree`]: build process trees from Windows 4688, Sysmon, Linux auditd, MDE, OSQuery or
//!   FireEye HX events (or any mapping of four columns) and walk or print them.

pub mod ioc;
pub mod proctree;
pub mod unpack;
mod parallel;
mod zipdata;

pub use ioc::{ExtractOptions, IocExtractor, IocResults, defang, refang};
pub use proctree::{ProcSchema, ProcessTree, TreeSummary, build_process_tree};
pub use unpack::{DecodedItem, UnpackOptions, Unpacked, unpack, unpack_frame, unpack_with};
pub use zipdata::{read_zip_member, read_zip_member_with_limits, read_zipped_json_lines};
