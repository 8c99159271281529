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
//! Fields and methods that are not `pub` in a crate other than the notebook's own (evcxr's `ctx`
//! crate) are dropped: rust-analyzer lists them because our crates are local sources ("private
//! editable"), but using one is a compile error. evcxr's completion carries no visibility, so the
//! kernel hovers each field once (a fraction of a second each) and caches the answer. Methods
//! would take a hover each too, so [`PrivateMethods`] reads our crates' sources once for the methods
//! each type declares without `pub`; one hover of such a method tells the receiver's type (its
//! owner), and every private method of that type is then dropped without further hovers. Items not
//! checked within the time budget stay, in tier 2, and are checked on a later completion.
//!
//! Known limit: a type's own method with the name of a standard trait method (an inherent `from`)
//! is demoted too.

use std::collections::{HashMap, HashSet};
use std::path::Path;

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

/// Whether the notebook's code may use a field or method, as far as the kernel knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemAccess {
    /// `pub`, a trait's method, or an item of a type defined in the notebook.
    Usable,
    /// Not `pub` in another crate: using it is a compile error.
    Private,
    /// Not checked (no hover, or the hover did not show the item's declaration).
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
pub fn field_access_from_hover(name: &str, hover: &str) -> ItemAccess {
    access_from_hover(hover, |declaration| declaration.strip_prefix(name).is_some_and(|rest| rest.starts_with(':')))
}

/// What a hover of `receiver.name()` tells about the method: the name of the type whose
/// inherent `impl` declares it (`None` for a trait's method, or when the hover does not show the
/// signature) and whether the notebook may call it. The hover is the owner's path on the first line,
/// then the signature (`pub fn name(…)`, `fn name(…)`, `pub(crate) const fn name(…)`); a method
/// shown with its trait (`pub trait Driver`) is usable.
pub fn method_from_hover(name: &str, hover: &str) -> (Option<String>, ItemAccess) {
    let is_trait = |line: &str| {
        let rest = line.strip_prefix("pub ").unwrap_or(line);
        rest.strip_prefix("unsafe ").unwrap_or(rest).starts_with("trait ")
    };
    if hover.lines().skip(1).map(str::trim).any(is_trait) {
        return (None, ItemAccess::Usable);
    }
    let access = access_from_hover(hover, |declaration| {
        let mut rest = declaration;
        while let Some(after) = ["const ", "async ", "unsafe ", "extern \"C\" "].iter().find_map(|q| rest.strip_prefix(q)) {
            rest = after;
        }
        rest.strip_prefix("fn ").and_then(|r| r.strip_prefix(name)).is_some_and(|r| r.starts_with('(') || r.starts_with('<'))
    });
    let owner = (access != ItemAccess::Unknown).then(|| type_name(hover.lines().next().unwrap_or(""))).filter(|t| !t.is_empty());
    (owner, access)
}

/// The last segment of a type path, without generic arguments: `mstic_core::frame::Frame<T>` → `Frame`.
fn type_name(path: &str) -> String {
    let path = path.trim();
    let without_generics = path.split('<').next().unwrap_or(path);
    without_generics.rsplit("::").next().unwrap_or(without_generics).trim().to_string()
}

/// The crate of a hover's owner path (`mstic_core::frame::Frame` → `mstic_core`).
pub fn owner_crate(hover: &str) -> &str {
    hover.lines().next().unwrap_or("").trim().split("::").next().unwrap_or("")
}

/// Whether an owner crate is the notebook's own, whose private items the notebook may use.
pub fn is_notebook_crate(name: &str) -> bool {
    name == NOTEBOOK_CRATE || name.is_empty()
}

/// The access a hover shows for the first line (after the owner's path) whose declaration,
/// with its visibility removed, `declares` the item.
fn access_from_hover(hover: &str, declares: impl Fn(&str) -> bool) -> ItemAccess {
    let owner_crate = owner_crate(hover);
    for line in hover.lines().skip(1).map(str::trim) {
        if line.strip_prefix("pub ").is_some_and(&declares) {
            return ItemAccess::Usable;
        }
        let restricted = line.starts_with("pub(") && line.split_once(") ").is_some_and(|(_, rest)| declares(rest));
        if declares(line) || restricted {
            return if is_notebook_crate(owner_crate) { ItemAccess::Usable } else { ItemAccess::Private };
        }
    }
    ItemAccess::Unknown
}

/// The methods our crates declare without `pub` (or with a restricted `pub(…)`) in an inherent
/// `impl` block, by the name of the type the block is for: the methods a dot completion may list
/// although the notebook cannot call them.
#[derive(Debug, Default)]
pub struct PrivateMethods {
    by_type: HashMap<String, HashSet<String>>,
    names: HashSet<String>,
}

impl PrivateMethods {
    /// Reads the sources of the crates under `crates` (each `*/src` tree), in rustfmt's layout (a
    /// block's items one indent deeper than its header); unreadable files are skipped.
    pub fn scan(crates: &Path) -> PrivateMethods {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(crates).into_iter().flatten().flatten() {
            collect_rust_files(&entry.path().join("src"), &mut files);
        }
        let mut methods = PrivateMethods::default();
        for file in files {
            if let Ok(text) = std::fs::read_to_string(&file) {
                methods.scan_source(&text);
            }
        }
        methods
    }

    /// Whether some type of ours has a private method `name` (a hover decides for which type).
    pub fn is_candidate(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Whether `type_name`'s inherent `impl` blocks declare `method` without `pub`.
    pub fn is_private(&self, type_name: &str, method: &str) -> bool {
        self.by_type.get(type_name).is_some_and(|methods| methods.contains(method))
    }

    /// Adds the private methods of one source file's inherent `impl` blocks.
    fn scan_source(&mut self, text: &str) {
        // Open blocks: the indent of the header and, for an inherent impl, its type's name.
        let mut blocks: Vec<(usize, Option<String>)> = Vec::new();
        let mut pending: Option<(usize, Option<String>)> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            let indent = line.len() - trimmed.len();
            while blocks.last().is_some_and(|(open, _)| indent < *open || (indent == *open && trimmed.starts_with('}'))) {
                blocks.pop();
            }
            let header = visibility_removed(trimmed).1;
            let header = header.strip_prefix("unsafe ").unwrap_or(header);
            if header.starts_with("impl ") || header.starts_with("impl<") {
                pending = Some((indent, impl_type(header)));
            } else if header.starts_with("trait ") {
                pending = Some((indent, None));
            }
            if let Some((open, _)) = &pending
                && indent == *open
                && trimmed.ends_with('{')
            {
                blocks.extend(pending.take());
                continue;
            }
            let Some((open, Some(type_name))) = blocks.last() else { continue };
            if indent != open + 4 {
                continue;
            }
            let (public, item) = visibility_removed(trimmed);
            let mut rest = item;
            while let Some(after) = ["const ", "async ", "unsafe "].iter().find_map(|q| rest.strip_prefix(q)) {
                rest = after;
            }
            let Some(signature) = rest.strip_prefix("fn ") else { continue };
            let name: String = signature.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !public && !name.is_empty() {
                self.names.insert(name.clone());
                self.by_type.entry(type_name.clone()).or_default().insert(name);
            }
        }
    }
}

/// The type an `impl` header is for when it is an inherent impl (`impl<'a> Builder<'a> {` →
/// `Builder`); `None` for a trait impl (`impl Display for Frame {`).
fn impl_type(header: &str) -> Option<String> {
    if header.contains(" for ") {
        return None;
    }
    let mut rest = header.strip_prefix("impl").unwrap_or(header);
    if rest.starts_with('<') {
        // Skip the impl's generic parameters, which may nest.
        let mut depth = 0;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    let path: String = rest.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let name = type_name(&path);
    (!name.is_empty()).then_some(name)
}

fn collect_rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Whether `item` starts with a plain `pub`, and the item with any visibility removed.
fn visibility_removed(item: &str) -> (bool, &str) {
    if let Some(rest) = item.strip_prefix("pub ") {
        (true, rest)
    } else if item.starts_with("pub(") {
        (false, item.split_once(") ").map_or(item, |(_, rest)| rest))
    } else {
        (false, item)
    }
}

/// The ranked, de-duplicated texts to offer. `dot` says the completions follow a `.`, in which
/// case `access` is asked about every field and every method `check_method` names (by name) and
/// private ones are dropped.
pub fn rank(
    completions: Vec<Completion>,
    dot: bool,
    check_method: impl Fn(&str) -> bool,
    mut access: impl FnMut(&str, Item) -> ItemAccess,
) -> Vec<String> {
    let mut tiered: Vec<(u8, String)> = Vec::new();
    for completion in completions {
        if tiered.iter().any(|(_, code)| *code == completion.code) {
            continue;
        }
        let name = item_name(&completion.code);
        let checked = if !dot {
            None
        } else if is_field(&completion) {
            Some(Item::Field)
        } else if completion.kind == "function" && check_method(name) {
            Some(Item::Method)
        } else {
            None
        };
        let tier = if let Some(item) = checked {
            match access(name, item) {
                ItemAccess::Usable if STD_TRAIT_METHODS.contains(&name) => 2,
                ItemAccess::Usable => 0,
                ItemAccess::Unknown => 1,
                ItemAccess::Private => continue,
            }
        } else if completion.kind == "function" && STD_TRAIT_METHODS.contains(&name) {
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

/// What a completion to check is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// A field (`receiver.name`).
    Field,
    /// A method (`receiver.name(…)`).
    Method,
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
        let ranked = rank(offered, true, |_| false, |name, _| if name == "inner" { ItemAccess::Private } else { ItemAccess::Usable });
        assert_eq!(
            ranked,
            ["schema()", "head(n)", "count_by(column)", "try_into()", "into()", "to_owned()", "clone_into(target)", "clone()"]
        );
    }

    #[test]
    fn usable_fields_lead_and_unchecked_fields_follow_the_methods() {
        let offered = vec![field("ip"), field("extra"), method("into()"), method("lookup(x)"), field("city")];
        let ranked = rank(offered, true, |_| false, |name, _| if name == "extra" { ItemAccess::Unknown } else { ItemAccess::Usable });
        assert_eq!(ranked, ["ip", "lookup(x)", "city", "extra", "into()"]);
    }

    #[test]
    fn without_a_dot_fields_are_not_checked() {
        let offered = vec![field("frame"), method("from(value)"), method("from_string_rows(columns, rows)")];
        let ranked = rank(offered, false, |_| true, |_, _| panic!("no check outside a `.` access"));
        assert_eq!(ranked, ["frame", "from_string_rows(columns, rows)", "from(value)"]);
    }

    #[test]
    fn hover_of_a_field_tells_its_visibility() {
        let private = "mstic_core::frame::Frame\n\ninner: Arc<Inner, Global>";
        assert_eq!(field_access_from_hover("inner", private), ItemAccess::Private);
        let public = "mstic_context::geoip::GeoRecord\n\npub ip: String\n\n\nThe address looked up.";
        assert_eq!(field_access_from_hover("ip", public), ItemAccess::Usable);
        let crate_only = "mstic_data::provider::QueryProvider\n\npub(crate) store: QueryStore";
        assert_eq!(field_access_from_hover("store", crate_only), ItemAccess::Private);
        let notebook = "ctx::Point\n\nx: i32";
        assert_eq!(field_access_from_hover("x", notebook), ItemAccess::Usable);
        assert_eq!(field_access_from_hover("inner", "No documentation found"), ItemAccess::Unknown);
        assert_eq!(field_access_from_hover("in", private), ItemAccess::Unknown);
    }

    #[test]
    fn private_methods_named_by_the_sources_are_checked_and_dropped() {
        let offered = vec![method("head(n)"), method("with_parts(schema, batches)"), method("load_builtin(folders)"), method("into()")];
        let mut asked = Vec::new();
        let ranked = rank(
            offered,
            true,
            |name| ["with_parts", "load_builtin"].contains(&name),
            |name, item| {
                asked.push((name.to_string(), item));
                if name == "with_parts" { ItemAccess::Private } else { ItemAccess::Unknown }
            },
        );
        assert_eq!(ranked, ["head(n)", "load_builtin(folders)", "into()"]);
        assert_eq!(asked, [("with_parts".to_string(), Item::Method), ("load_builtin".to_string(), Item::Method)]);
    }

    #[test]
    fn hover_of_a_method_tells_its_owner_and_visibility() {
        // As rust-analyzer (through evcxr) shows `qp.load_builtin()`.
        let private = "mstic_data::provider::QueryProvider\n\nfn load_builtin(&mut self, default_folders: &[String])\n\n\nLoads the built-in queries.";
        assert_eq!(method_from_hover("load_builtin", private), (Some("QueryProvider".into()), ItemAccess::Private));
        let crate_only = "mstic_data::provider::QueryProvider\n\npub(crate) fn exec_with_options(&self, text: &str) -> Result<Frame>";
        assert_eq!(method_from_hover("exec_with_options", crate_only).1, ItemAccess::Private);
        let public = "mstic_core::frame::Frame\n\npub fn head(&self, n: usize) -> Frame\n\nThe first `n` rows.";
        assert_eq!(method_from_hover("head", public), (Some("Frame".into()), ItemAccess::Usable));
        let generic = "mstic_core::frame::Rows<T>\n\npub const fn column<T>(&self, name: &str) -> Result<Vec<Option<T>>>";
        assert_eq!(method_from_hover("column", generic), (Some("Rows".into()), ItemAccess::Usable));
        let of_trait = "core::iter::traits::iterator::Iterator\n\npub trait Iterator\nfn collect<B>(self) -> B";
        assert_eq!(method_from_hover("collect", of_trait), (None, ItemAccess::Usable));
        let notebook = "ctx::Point\n\nfn norm(&self) -> f64";
        assert_eq!(method_from_hover("norm", notebook), (Some("Point".into()), ItemAccess::Usable));
        assert_eq!(method_from_hover("load", private), (None, ItemAccess::Unknown));
        assert_eq!(method_from_hover("head", ""), (None, ItemAccess::Unknown));
        assert!(is_notebook_crate(owner_crate(notebook)) && !is_notebook_crate(owner_crate(private)));
    }

    #[test]
    fn the_source_scan_finds_each_types_private_methods() {
        let dir = std::env::temp_dir().join(format!("mstic-scan-{}", std::process::id()));
        let src = dir.join("mstic-core").join("src");
        std::fs::create_dir_all(src.join("frame")).unwrap();
        let frame = "pub struct Frame;\n\nimpl Frame {\n    pub fn head(&self) {}\n\n    fn with_parts(&self) {}\n    pub(crate) fn locate(&self) {}\n    const fn width() -> usize { 1 }\n}\n\nimpl std::fmt::Display for Frame {\n    fn fmt(&self) {}\n}\n";
        std::fs::write(src.join("frame").join("mod.rs"), frame).unwrap();
        let other = "pub trait Driver {\n    fn connect(&mut self);\n}\n\nimpl<'a, T: Into<Vec<u8>>> crate::store::Holder<'a, T>\nwhere\n    T: Clone,\n{\n    fn unwrap_all(&self) {}\n    pub fn with_parts(&self) {}\n}\n\nmod tests {\n    impl Probe {\n        fn probe(&self) {}\n    }\n}\n";
        std::fs::write(src.join("lib.rs"), other).unwrap();
        let methods = PrivateMethods::scan(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        for (owner, method) in [("Frame", "with_parts"), ("Frame", "locate"), ("Frame", "width"), ("Holder", "unwrap_all"), ("Probe", "probe")] {
            assert!(methods.is_private(owner, method), "{owner}::{method}");
            assert!(methods.is_candidate(method));
        }
        // Public methods, trait methods and trait impls are not private.
        for (owner, method) in [("Frame", "head"), ("Frame", "fmt"), ("Holder", "with_parts"), ("Driver", "connect"), ("Frame", "unwrap_all")] {
            assert!(!methods.is_private(owner, method), "{owner}::{method}");
        }
        assert!(!methods.is_candidate("connect") && !methods.is_candidate("fmt") && !methods.is_candidate("head"));
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
