#!/usr/bin/env bash
# Runs every test: the Rust workspace (`cargo test --workspace`), then the Python suite in
# tests/python (Jupyter protocol conformance, notebooks in examples/, kernel behaviour) against the
# installed Rust MSTIC kernel. Run scripts/setup.sh first. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rust-mstic/target}"
if [ -d "$ROOT/../shared/fixtures" ]; then
    MSTIC_FIXTURES="$(cd "$ROOT/../shared/fixtures" && pwd)"
    export MSTIC_FIXTURES
fi
if [ ! -x .venv/bin/python ]; then
    echo "No .venv: run scripts/setup.sh first" >&2
    exit 1
fi

KERNEL_DIR="$ROOT/.venv/share/jupyter/kernels/rust-mstic"
KERNEL_BIN="$KERNEL_DIR/bin/rust-mstic"
if [ ! -x "$KERNEL_BIN" ]; then
    echo "No installed kernel in $KERNEL_DIR: run scripts/setup.sh first" >&2
    exit 1
fi

# The kernel crate is tested in release so it reuses setup.sh's release build of evcxr instead of
# compiling it a second time in debug.
printf '\n==> cargo test --release -p rust-mstic (kernel)\n'
cargo test --release -p rust-mstic

# One debug build of the dependencies: the library crates are built with the profile, flags and
# target of the kernel's warm template (the workspace's [profile.dev] matches evcxr's scratch
# crate), in a target folder seeded from that template, so DataFusion and the rest are not
# compiled again. The crate examples the Python tests run are built here too.
printf '\n==> cargo test --workspace (library crates, reusing the warm template build)\n'
RUSTC_HOST="$(rustc -vV | sed -n 's/^host: //p')"
TEST_TARGET_DIR="${MSTIC_TEST_TARGET_DIR:-$HOME/.cache/rust-mstic/test-target}"
"$KERNEL_BIN" seed-build-dir --workspace "$KERNEL_DIR/workspace" "$TEST_TARGET_DIR"
# Test programs link the standard library dynamically (-Cprefer-dynamic), as cells do.
TEST_LIBRARY_PATH="$(rustc --print sysroot)/lib/rustlib/$RUSTC_HOST/lib"
CARGO_TARGET_DIR="$TEST_TARGET_DIR" CARGO_BUILD_TARGET="$RUSTC_HOST" RUSTFLAGS="-Cprefer-dynamic" \
    LD_LIBRARY_PATH="$TEST_LIBRARY_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    cargo test --workspace --exclude rust-mstic
# The Python tests run crate examples (chart specs) from this build.
export MSTIC_EXAMPLES_DIR="$TEST_TARGET_DIR/$RUSTC_HOST/debug/examples"
export MSTIC_EXAMPLES_LIBRARY_PATH="$TEST_LIBRARY_PATH"

printf '\n==> pytest tests/python\n'
# Kernels started by the tests leave standby engines for the next start; end them afterwards.
trap '"$KERNEL_BIN" standby --stop >/dev/null 2>&1 || true' EXIT
.venv/bin/python -m pytest tests/python -v -p no:cacheprovider
