#!/usr/bin/env bash
# Reproduces every figure of docs/results/serving-limit.md (issue 23) with drlrec itself and python3 (for the summary):
#
#   bench/serving-limit.sh TEACHER_DIR STUDENT_DIR [DATA]      (env: OUT=docs/results/bench, DURATION=10s, REPEATS=200)
#
# 1. drlrec bench: teacher and student, onnx, float32 then int8, the slate ranked in one call (slate graph) and one call
#    per slot, side by side in one process; slate p50/p99, slate MACs, GMAC/s, the GEMM rate of the step's shapes
#    measured in the same run, efficiency.
# 2. drlrec bench train (when DATA is given, e.g. ../shared/data/ml-100k): the training step's efficiency, both networks.
# 3. For each model and precision: drlrec serve --backend onnx on its export (bench/loadtest.sh: a free loopback port,
#    stopped with SIGTERM), drlrec loadtest at concurrency 1 and 16 with --slate-ms from step 1, so each level stands
#    beside the ranker's capacity (cores / slate p50).
# 4. The issue's targets as ratios of figures measured in this session, pass or fail.
# Timings are only comparable within one run: on a shared machine, run it when nothing else runs.
set -euo pipefail

if [[ $# -lt 2 || ! -e "$1" || ! -e "$2" ]]; then
  echo "usage: $0 TEACHER_DIR STUDENT_DIR [DATA]   (env: OUT, DURATION, REPEATS)" >&2
  exit 2
fi
teacher=$(realpath "$1"); student=$(realpath "$2"); data=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${OUT:-$root/docs/results/bench}")
duration=${DURATION:-10s}
repeats=${REPEATS:-200}
mkdir -p "$out"
drlrec="$root/src/Drlrec.Cli/bin/Release/net10.0/drlrec.dll"
dotnet build -c Release "$root/src/Drlrec.Cli" -nologo -v quiet >/dev/null
work=$(mktemp -d -t drlrec-serving-limit.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== 1. slate latency and efficiency (onnx, fp32 then int8, one call and one call per slot)"
dotnet "$drlrec" bench --model "$teacher" --model "$student" --backend onnx --quantize int8 --slate-graph both \
  --candidates 100 --slots 10 --threads 1 --repeats "$repeats" --json "$out/serving-limit-bench.json"

if [[ -n "$data" ]]; then
  echo "== 2. training step efficiency"
  for role in teacher student; do
    dotnet "$drlrec" bench train --role "$role" --data "$data" --threads 1 --steps 20 --warmup-steps 3 \
      --target-actions remaining_list --json "$out/serving-limit-train-$role.json"
  done
fi

echo "== 3. the service at the ranker's capacity"
slate_ms() { # model name, precision: the slate p50 of that row (one call per slate) of step 1
  python3 - "$out/serving-limit-bench.json" "$1" "$2" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["models"]
print(next(r["slate_ms_p50"] for r in rows if r["name"] == sys.argv[2] and r["precision"] == sys.argv[3] and r["slate_calls"] == "one"))
PY
}
for dir in "$teacher" "$student"; do
  for precision in none int8; do
    label=$([[ $precision == none ]] && echo fp32 || echo int8)
    role=$([[ $dir == "$teacher" ]] && echo teacher || echo student)
    dotnet "$drlrec" export --model "$dir" --out "$work/$role-$label/model.onnx" --quantize "$precision" >/dev/null
    name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["models"][int(sys.argv[2])]["name"])' \
      "$out/serving-limit-bench.json" "$([[ $role == teacher ]] && echo 0 || echo 4)")
    ms=$(slate_ms "$name" "$label")
    echo "-- $role $label (slate p50 $ms ms)"
    SERVE_ARGS="--backend onnx --onnx $work/$role-$label/model.onnx" OUT="$out/serving-limit-loadtest-$role-$label.json" \
      "$root/bench/loadtest.sh" "$dir" --concurrency 1,16 --duration "$duration" --slate-ms "$ms" || true
  done
done

echo "== 4. targets (issue 23), ratios within this run"
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = json.load(open(os.path.join(out, "serving-limit-bench.json")))["models"]
def row(i, precision, calls="one"):
    return next(r for r in rows[i * 4:(i + 1) * 4] if r["precision"] == precision and r["slate_calls"] == calls)
t32, t8, s32, s8 = row(0, "fp32"), row(0, "int8"), row(1, "fp32"), row(1, "int8")
checks = [
    ("fp32 student slate efficiency >= 50% of the fp32 GEMM rate", s32["efficiency"], s32["efficiency"] >= 0.5),
    ("int8 student slate p50 <= 0.5 x fp32 student's", s8["slate_ms_p50"] / s32["slate_ms_p50"], s8["slate_ms_p50"] <= 0.5 * s32["slate_ms_p50"]),
    ("int8 student slate p50 <= 0.25 x fp32 teacher's", s8["slate_ms_p50"] / t32["slate_ms_p50"], s8["slate_ms_p50"] <= 0.25 * t32["slate_ms_p50"]),
]
for role in ("student", "teacher"):
    for label in ("fp32", "int8"):
        path = os.path.join(out, f"serving-limit-loadtest-{role}-{label}.json")
        if not os.path.exists(path):
            checks.append((f"{role} {label} load test ran", 0, False))
            continue
        levels = {l["concurrency"]: l for l in json.load(open(path))["levels"]}
        one, sixteen = levels[1], levels[16]
        checks += [
            (f"{role} {label}: HTTP p50 at concurrency 1 <= 1.25 x slate p50", one["p50_over_slate"], one["p50_over_slate"] <= 1.25),
            (f"{role} {label}: throughput at 16 >= 0.8 x cores / slate p50", sixteen["of_capacity"], sixteen["of_capacity"] >= 0.8),
            (f"{role} {label}: p99 <= 2.5 x p50 at 16", sixteen["p99_ms"] / sixteen["p50_ms"], sixteen["p99_ms"] <= 2.5 * sixteen["p50_ms"]),
            (f"{role} {label}: no errors at 1 and 16", one["errors"] + sixteen["errors"], one["errors"] + sixteen["errors"] == 0),
        ]
for text, value, ok in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {text}: {value:.3f}")
PY
