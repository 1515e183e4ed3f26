#!/usr/bin/env bash
# Installs what is missing, builds epochmem in release mode and runs the
# default scenario. Extra arguments go to `epochmem run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/setup.sh
cargo build --release --quiet
./target/release/epochmem run scenarios/digits_mlp.yaml "$@"
