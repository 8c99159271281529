//! How a cell's final value of a common standard type is shown: evcxr first compiles
//! `(value).evcxr_display()` and, when the type has no such method, compiles the cell a second time
//! with a `Debug` fallback. [`PlainDisplay`] gives numbers, strings, options, results, vectors,
//! tuples and maps that method (writing evcxr's `text/plain` content block with the `Debug` text,
//! as evcxr's fallback does), so those cells compile once. The impls for concrete types are
//! compiled here once, not in every cell. Types with their own `evcxr_display` (inherent methods
//! win over trait methods) are unaffected. The kernel brings the trait into scope through the
//! prelude.

use std::fmt::Debug;
use std::io::Write;

/// The `evcxr_display` method for common standard types (see the module documentation).
pub trait PlainDisplay {
    /// Writes this value as the cell's `text/plain` result.
    fn evcxr_display(&self);
}

/// Writes `text` as evcxr's `text/plain` content block on stdout.
pub fn show_plain(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT\n");
    let _ = out.flush();
}

macro_rules! plain_display {
    ($($ty:ty),* $(,)?) => {
        $(impl PlainDisplay for $ty {
            fn evcxr_display(&self) {
                show_plain(&format!("{self:?}"));
            }
        })*
    };
}

plain_display!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char, (), str, String);

macro_rules! plain_display_generic {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {
        $(impl<$($generics)*> PlainDisplay for $ty {
            fn evcxr_display(&self) {
                show_plain(&format!("{self:?}"));
            }
        })*
    };
}

plain_display_generic!(
    [T: Debug] Option<T>,
    [T: Debug, E: Debug] Result<T, E>,
    [T: Debug] Vec<T>,
    [A: Debug, B: Debug] (A, B),
    [A: Debug, B: Debug, C: Debug] (A, B, C),
    [K: Debug, V: Debug, S] std::collections::HashMap<K, V, S>,
    [K: Debug, V: Debug] std::collections::BTreeMap<K, V>,
    [T: Debug, S] std::collections::HashSet<T, S>,
    [T: Debug] std::collections::BTreeSet<T>,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn shown<T: PlainDisplay + ?Sized>(_: &T) -> bool {
        true
    }

    #[test]
    fn numbers_strings_unit_and_containers_have_the_method() {
        assert!(shown(&42i64) && shown("text") && shown(&()) && shown(&String::new()));
        assert!(shown(&vec![1, 2]) && shown(&Some(1.5)) && shown(&Ok::<u8, String>(1)) && shown(&(1, "a")));
        assert!(shown(&std::collections::BTreeMap::<u8, u8>::new()));
    }
}
