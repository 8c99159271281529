//! Orders the completions rust-analyzer offers (through evcxr) so the useful ones come first.
//!
//! evcxr hands over rust-analyzer's items in generation order and drops its relevance scores, so
//! after `frame.` the blanket `try_into()`/`into()` and the type's private fields came first. The
//! kernel re-ranks them in three tiers, keeping rust-analyzer's order inside each tier:
//!
//! 1. the type's own methods and accessible fields (and every other kind of item, e.g. locals),
//! 2. fields whose visibility was not checked (see below),
//! 3. methods named like a standard-library trait method ([`STD_TRAIT_METHODS`]: `into`,
//!    `to_string`, `clone`, `eq`…), which nearly every type has and which say nothing about it.
//!
//! Fields that are not `pub` in a crate other than the notebook's own (evcxr's `ctx` crate) are
//! dropped: rust-analyzer lists them because our crates are local sources ("private editable"), but
//! using one is a compile error. evcxr's completion carries no visibility, so the kernel hovers
//! each field once (a fraction of a second each) and caches the answer; fields not checked within
//! the time budget stay, in tier 2, and are checked on a later completion.
//!
//! Known limit: a type's own method with the name of a standard trait method (an inherent `from`)
//! is demoted too, and private methods are not recognised (that would take one hover per method).

/// One completion as evcxr offers it (evcxr does not export its `Completion` type by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The text to insert, `head(n)` for a method.
    pub code: String,
    /// evcxr's Jupyter kind: "function", "instance" (fields, locals), "class", "module"…
    pub kind: &'static str,
}

/// Methods of standard-library traits that most types implement, usually through blanket impls
/// (`Into`, `TryInto`, `From`, `ToOwned`, `ToString`, `Borrow`, `Any`) or derives (`Clone`,
/// `PartialEq`, `PartialOrd`, `Ord`, `Hash`, `Debug`, `Default`). Listed after the type's own items.
pub const STD_TRAIT_METHODS: &[&str] = &[
    // Into, TryInto, From, TryFrom
    "into",
    "try_into",
    "from",
    "try_from",
    // ToOwned, ToString
    "to_owned",
    "clone_into",
    "to_string",
    // Borrow, BorrowMut, AsRef, AsMut
    "borrow",
    "borrow_mut",
    "as_ref",
    "as_mut",
    // Any
    "type_id",
    // Clone
    "clone",
    "clone_from",
    // PartialEq, PartialOrd, Ord
    "eq",
    "ne",
    "partial_cmp",
    "lt",
    "le",
    "gt",
    "ge",
    "cmp",
    "max",
    "min",
    "clamp",
    // Hash, Debug / Display, Default
    "hash",
    "hash_slice",
    "fmt",
    "default",
];

/// The crate evcxr compiles the notebook's own items into: their private fields are usable.
const NOTEBOOK_CRATE: &str = "ctx";

/// Whether the notebook's code may use a field, as far as the kernel knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldAccess {
    /// `pub`, or a field of a type defined in the notebook.
    Usable,
    /// Not `pub` in another crate: using it is a compile error.
    Private,
    /// Not checked (no hover, or the hover did not show the field's declaration).
    Unknown,
}

/// Whether the completion is a field: evcxr calls fields (and locals) "instance" and inserts
/// methods with their parameters, `head(n)`.
pub fn is_field(completion: &Completion) -> bool {
    completion.kind == "instance" && !completion.code.contains('(')
}

/// The name a completion inserts, without its parameter list: `clone_into(target)` → `clone_into`.
pub fn item_name(code: &str) -> &str {
    code.split('(').next().unwrap_or(code)
}

/// Whether completions ending at byte `start` of `code` follow a `.` (a field or method access).
pub fn after_dot(code: &str, start: usize) -> bool {
    let before = code.get(..start).unwrap_or("").trim_end();
    before.ends_with('.') && !before.ends_with("..")
}

/// Reads a field's visibility from rust-analyzer's plain-text hover of `receiver.name`:
/// the owner type's path on the first line, then the declaration (`pub name: Type` or `name: Type`,
/// `pub(crate) name: Type`).
pub fn field_access_from_hover(name: &str, hover: &str) -> FieldAccess {
    let owner = hover.lines().next().unwrap_or("").trim();
    let owner_crate = owner.split("::").next().unwrap_or("");
    let declared = format!("{name}:");
    for line in hover.lines().skip(1).map(str::trim) {
        if line.starts_with(&format!("pub {declared}")) {
            return FieldAccess::Usable;
        }
        let restricted = line.starts_with("pub(") && line.split_once(") ").is_some_and(|(_, rest)| rest.starts_with(&declared));
        if line.starts_with(&declared) || restricted {
            return if owner_crate == NOTEBOOK_CRATE || owner_crate.is_empty() {
                FieldAccess::Usable
            } else {
                FieldAccess::Private
            };
        }
    }
    FieldAccess::Unknown
}

/// The ranked, de-duplicated texts to offer. `dot` says the completions follow a `.`, in which
/// case `access` is asked about every field (by name) and private fields are dropped.
pub fn rank(completions: Vec<Completion>, dot: bool, mut access: impl FnMut(&str) -> FieldAccess) -> Vec<String> {
    let mut tiered: Vec<(u8, String)> = Vec::new();
    for completion in completions {
        if tiered.iter().any(|(_, code)| *code == completion.code) {
            continue;
        }
        let tier = if dot && is_field(&completion) {
            match access(&completion.code) {
                FieldAccess::Usable => 0,
                FieldAccess::Unknown => 1,
                FieldAccess::Private => continue,
            }
        } else if completion.kind == "function" && STD_TRAIT_METHODS.contains(&item_name(&completion.code)) {
            2
        } else {
            0
        };
        tiered.push((tier, completion.code));
    }
    // A stable sort keeps rust-analyzer's order inside each tier.
    tiered.sort_by_key(|(tier, _)| *tier);
    tiered.into_iter().map(|(_, code)| code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(code: &str) -> Completion {
        Completion { code: code.into(), kind: "function" }
    }

    fn field(name: &str) -> Completion {
        Completion { code: name.into(), kind: "instance" }
    }

    #[test]
    fn own_methods_come_before_blanket_trait_methods_and_private_fields_go() {
        let offered = vec![
            field("inner"),
            method("try_into()"),
            method("into()"),
            method("schema()"),
            method("head(n)"),
            method("to_owned()"),
            method("clone_into(target)"),
            method("count_by(column)"),
            method("clone()"),
            method("schema()"),
        ];
        let ranked = rank(offered, true, |name| if name == "inner" { FieldAccess::Private } else { FieldAccess::Usable });
        assert_eq!(
            ranked,
            ["schema()", "head(n)", "count_by(column)", "try_into()", "into()", "to_owned()", "clone_into(target)", "clone()"]
        );
    }

    #[test]
    fn usable_fields_lead_and_unchecked_fields_follow_the_methods() {
        let offered = vec![field("ip"), field("extra"), method("into()"), method("lookup(x)"), field("city")];
        let ranked = rank(offered, true, |name| if name == "extra" { FieldAccess::Unknown } else { FieldAccess::Usable });
        assert_eq!(ranked, ["ip", "lookup(x)", "city", "extra", "into()"]);
    }

    #[test]
    fn without_a_dot_fields_are_not_checked() {
        let offered = vec![field("frame"), method("from(value)"), method("from_string_rows(columns, rows)")];
        let ranked = rank(offered, false, |_| panic!("no field check outside a `.` access"));
        assert_eq!(ranked, ["frame", "from_string_rows(columns, rows)", "from(value)"]);
    }

    #[test]
    fn hover_of_a_field_tells_its_visibility() {
        let private = "mstic_core::frame::Frame\n\ninner: Arc<Inner, Global>";
        assert_eq!(field_access_from_hover("inner", private), FieldAccess::Private);
        let public = "mstic_context::geoip::GeoRecord\n\npub ip: String\n\n\nThe address looked up.";
        assert_eq!(field_access_from_hover("ip", public), FieldAccess::Usable);
        let crate_only = "mstic_data::provider::QueryProvider\n\npub(crate) store: QueryStore";
        assert_eq!(field_access_from_hover("store", crate_only), FieldAccess::Private);
        let notebook = "ctx::Point\n\nx: i32";
        assert_eq!(field_access_from_hover("x", notebook), FieldAccess::Usable);
        assert_eq!(field_access_from_hover("inner", "No documentation found"), FieldAccess::Unknown);
        assert_eq!(field_access_from_hover("in", private), FieldAccess::Unknown);
    }

    #[test]
    fn names_and_dots() {
        assert_eq!(item_name("clone_into(target)"), "clone_into");
        assert_eq!(item_name("inner"), "inner");
        assert!(after_dot("frame.", 6));
        assert!(after_dot("x = frame.co", 10));
        assert!(!after_dot("Frame::", 7));
        assert!(!after_dot("0..", 3));
        assert!(!after_dot("fr", 0));
    }
}
