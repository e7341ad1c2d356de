#!/usr/bin/env bash
# Load-tests `drlrec serve` from a second process (not run by CI; produces the numbers in docs/serving.md).
#
#   bench/loadtest.sh MODEL_DIR [loadtest options...]
#   SERVE_ARGS="--workers 1 --threads 2" bench/loadtest.sh runs/student --concurrency 1,4,16 --duration 10s
#
# Builds Release, starts the server on a free loopback port (port 0: the server picks one and prints it, so no
# port can be taken between choosing and binding), waits for /healthz, runs `drlrec loadtest` with requests made
# up from the model (unless --requests-file is given), writes ${OUT:-loadtest.json}, and stops the server with
# SIGTERM (graceful) whatever happens.
set -euo pipefail

if [[ $# -lt 1 || ! -e "$1" ]]; then
  echo "usage: $0 MODEL_DIR [drlrec loadtest options...]   (env: SERVE_ARGS, OUT)" >&2
  exit 2
fi
model=$(realpath "$1"); shift
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-loadtest.json}
drlrec="$root/src/Drlrec.Cli/bin/Release/net10.0/drlrec.dll"

dotnet build -c Release "$root/src/Drlrec.Cli" -nologo -v quiet >/dev/null

log=$(mktemp -t drlrec-serve.XXXXXX.log)
# shellcheck disable=SC2086 # SERVE_ARGS is a list of options
dotnet "$drlrec" serve --model "$model" --urls http://127.0.0.1:0 ${SERVE_ARGS:-} >"$log" 2>&1 &
server=$!
stop() {
  kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap stop EXIT

url=""
for _ in $(seq 1 120); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)
  if [[ -n "$url" ]] && curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log" >&2; echo "the server exited" >&2; exit 1; fi
  url=""
  sleep 0.5
done
[[ -n "$url" ]] || { cat "$log" >&2; echo "the server did not become healthy in 60 s" >&2; exit 1; }
head -n 2 "$log"

source_args=(--model "$model")
for arg in "$@"; do [[ "$arg" == --requests-file ]] && source_args=(); done
dotnet "$drlrec" loadtest --url "$url" "${source_args[@]}" --json "$out" "$@"
echo "wrote $out"
