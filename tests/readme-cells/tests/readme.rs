//! Every Rust snippet of the README compiles against `mstic::prelude` (the functions are built, not
//! run: they talk to remote services).

include!(concat!(env!("OUT_DIR"), "/readme_cells.rs"));

#[test]
fn the_readme_rust_blocks_compile() {
    // The README has its cell examples in one block; finding none means the extraction broke.
    assert!(!README_BLOCKS.is_empty(), "no ```rust blocks found in README.md");
}
