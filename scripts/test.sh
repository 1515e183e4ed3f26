#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite: unit and
# integration tests (real libtorch, the real binary, headless Chromium for
# the report page), then every benchmark once without timing it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/setup.sh

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "test: installing Debian's chromium for the report page test" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "test: chromium is missing; install it with 'sudo apt-get install chromium'" >&2
        exit 1
    fi
fi

cargo test --no-fail-fast
cargo bench -- --test
