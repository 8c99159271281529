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

# The kernel crate is tested in release so it reuses setup.sh's release build of evcxr instead of
# compiling it a second time in debug.
printf '\n==> cargo test --workspace (library crates)\n'
cargo test --workspace --exclude rust-mstic
printf '\n==> cargo test --release -p rust-mstic (kernel)\n'
cargo test --release -p rust-mstic

printf '\n==> pytest tests/python\n'
# Kernels started by the tests leave standby engines for the next start; end them afterwards.
KERNEL_BIN="$ROOT/.venv/share/jupyter/kernels/rust-mstic/bin/rust-mstic"
trap '"$KERNEL_BIN" standby --stop >/dev/null 2>&1 || true' EXIT
.venv/bin/python -m pytest tests/python -v -p no:cacheprovider
