#!/usr/bin/env bash
# Sets up Rust MSTIC on a fresh machine and runs the main job:
#   1. Chromium for the browser test, rust-src (std completions),
#   2. a project-owned Python venv (.venv) with Jupyter and the test tools,
#   3. a release build of the `rust-mstic` kernel,
#   4. `rust-mstic install --sys-prefix` into the venv, which also warms the compiled-crates template,
#   5. executes examples/quickstart.ipynb headless on the Rust MSTIC kernel into build/quickstart.html.
# Idempotent: a second run reuses the venv, the build and the warm template.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rust-mstic/target}"
step() { printf '\n==> %s\n' "$*"; }
START=$SECONDS

step "Headless Chromium for the browser test (Debian chromium, optional)"
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium)"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    if apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }; then
        echo "installed chromium"
    else
        echo "chromium not available; the browser test will be skipped"
    fi
else
    echo "chromium not found; the browser test will be skipped"
fi

step "Rust std sources for completions (rust-src)"
rustup component add rust-src 2>&1 | tail -1 || echo "rust-src not added; std completions may be limited"

step "Python environment (.venv)"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# ipywidgets brings JupyterLab's widget manager (jupyterlab_widgets), which renders the kernel's widgets.
PACKAGES=(jupyter_client nbclient nbconvert jupyterlab ipywidgets jupyter-kernel-test pytest pandas vl-convert-python playwright papermill)
if ! .venv/bin/python -c "import jupyter_client, nbclient, nbconvert, jupyterlab, jupyterlab_widgets, jupyter_kernel_test, pytest, pandas, vl_convert, playwright, papermill" 2>/dev/null; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q "${PACKAGES[@]}"
fi
# papermill's translator for the kernel (python/rust_mstic_papermill, loaded by papermill on import).
if ! .venv/bin/python -c "import papermill.translators as t; t.papermill_translators.find_translator('rust-mstic', '')" 2>/dev/null; then
    .venv/bin/python -m pip install -q -e python/rust_mstic_papermill
fi
echo "venv ready: $(.venv/bin/python --version)"

step "Building the kernel (cargo build --release -p rust-mstic; CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
cargo build --release -p rust-mstic

step "Installing the Rust MSTIC kernelspec into .venv and warming the template"
VIRTUAL_ENV="$ROOT/.venv" "$CARGO_TARGET_DIR/release/rust-mstic" install --sys-prefix --workspace "$ROOT"
.venv/bin/jupyter kernelspec list

step "Main job: executing examples/quickstart.ipynb into build/quickstart.html"
if [ -d "$ROOT/../shared/fixtures" ]; then
    MSTIC_FIXTURES="$(cd "$ROOT/../shared/fixtures" && pwd)"
    export MSTIC_FIXTURES
fi
mkdir -p build
.venv/bin/jupyter nbconvert --execute --to html \
    --ExecutePreprocessor.kernel_name=rust-mstic \
    --ExecutePreprocessor.timeout=1800 \
    --ExecutePreprocessor.startup_timeout=300 \
    --output-dir build examples/quickstart.ipynb
echo "Report: $ROOT/build/quickstart.html"
echo "Setup finished in $((SECONDS - START)) s."
