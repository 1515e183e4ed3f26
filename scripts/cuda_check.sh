#!/usr/bin/env bash
# Runs the default scenario on CUDA and prints every CUDA figure the run
# recorded, for a machine with an NVIDIA GPU and driver. Usage:
#   scripts/cuda_check.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-target/cuda-check}"

./scripts/setup.sh
cargo build --release --quiet
scenario="$out/digits_mlp_cuda.yaml"
mkdir -p "$out"
sed 's/^device: cpu$/device: cuda/; s/^name: digits_mlp$/name: digits_mlp_cuda/; s|path: ../data/|path: '"$PWD"'/data/|' \
    scenarios/digits_mlp.yaml > "$scenario"
./target/release/epochmem run "$scenario" --reports-dir "$out" --no-report
.venv/bin/python - "$out/digits_mlp_cuda/results.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
print("device used:", results["machine"]["device_used"])
for run in results["runs"]:
    print(f"{run['strategy']}: status {run['status']}, CUDA libraries loaded: {run['cuda_libraries_loaded']}")
    print(f"  CUDA allocator events (OOMs, retries): {run.get('cuda_allocator_events')}")
    for peak in run["peaks"]:
        if peak["source"] == "cuda_caching_allocator":
            print(f"  {peak['signal']}: {peak['peak_bytes']} bytes", peak["unavailable_reason"] or "")
    for epoch in run["epochs"]:
        m = epoch["memory"]
        print(f"  epoch {epoch['epoch']}: CUDA allocated at start {m['cuda_allocated_bytes_at_start']}, "
              f"after end {m['cuda_allocated_bytes_after_epoch_end']}, left behind {m['cuda_left_behind_bytes']}, "
              f"peak {m['cuda_peak_allocated_bytes']}")
    points = run["timeline"]["points"]
    if points:
        print(f"  last step: allocated {points[-1]['cuda_allocated_bytes']}, reserved {points[-1]['cuda_reserved_bytes']}")
PY
