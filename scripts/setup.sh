#!/usr/bin/env bash
# Installs what epochmem needs to build and run, skipping what is already there:
# the PyPI torch wheel whose libtorch tch links against, and the .libtorch link
# that .cargo/config.toml points tch at.
#
# The torch version is pinned to the one the tch crate in Cargo.toml was built
# for (tch 0.26.0 <-> torch 2.13.0); bump both together. The virtual
# environment lives in a per-user cache so that a second clone reuses it.
set -euo pipefail

TORCH_VERSION="2.13.0"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${EPOCHMEM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/epochmem}"
venv="$cache_root/torch-$TORCH_VERSION"

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup: $python not found; install Python 3.9 or newer, or set PYTHON to its path" >&2
    exit 1
fi

installed_version() {
    "$venv/bin/python" -c 'import torch, sys; sys.stdout.write(torch.__version__.split("+")[0])' 2>/dev/null || true
}

if [ "$(installed_version)" != "$TORCH_VERSION" ]; then
    echo "setup: installing torch==$TORCH_VERSION into $venv (several GB on first use)" >&2
    mkdir -p "$cache_root"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check --quiet "torch==$TORCH_VERSION"
fi
if [ "$(installed_version)" != "$TORCH_VERSION" ]; then
    echo "setup: torch $TORCH_VERSION is still missing from $venv after pip install" >&2
    exit 1
fi

torch_dir="$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)"
ln -sfn "$torch_dir" "$repo_root/.libtorch"

# The same interpreter also builds the TorchScript test fixtures.
ln -sfn "$venv" "$repo_root/.venv"
