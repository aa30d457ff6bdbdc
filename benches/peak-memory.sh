#!/usr/bin/env bash
# Peak memory of a 1 GiB upload and download through the HTTP API, above the idle process.
# The issue's target: at most 16 MiB above idle.
#
# Usage: bash benches/peak-memory.sh [SIZE_MIB]   (default 1024; needs curl and a release build,
# which this script makes). Prints idle RSS, peak RSS (VmHWM) and the difference, in MiB.
set -euo pipefail
size_mib=${1:-1024}
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/kho-target}
cargo build --release --quiet --bin kho --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/keys-dev" "$work/keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KHO_LISTEN=127.0.0.1:$port KHO_PUBLIC_URL=http://127.0.0.1:$port KHO_KEYS_DIR="$work/keys" \
  KHO_DATABASE_URL="sqlite://$work/kho.db?mode=rwc" KHO_BLOB_URL="$work/blobs" \
  KHO_MAX_UPLOAD_BYTES=$(( (size_mib + 1) * 1024 * 1024 )) KHO_LOG=warn \
  "$CARGO_TARGET_DIR/release/kho" serve &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

jar=$work/jar
curl -sf -c "$jar" -d identifier=035199000123 "$base/dev/sign-in" >/dev/null
csrf=$(curl -sf -b "$jar" "$base/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
upload() {
  curl -sf -b "$jar" -H "X-CSRF-Token: $csrf" -F type=other -F title=bench -F "file=@$1" "$base/v1/me/documents" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# Warm up every code path with a small document, then take the idle reading.
printf '%%PDF-1.7\nwarm-up\n' > "$work/small.pdf"
small=$(upload "$work/small.pdf")
curl -sf -b "$jar" "$base/v1/me/documents/$small/content" -o /dev/null
sleep 1
rss() { awk -v k="$1:" '$1==k {print $2}' "/proc/$pid/status"; }
idle_kib=$(rss VmRSS)

{ printf '%%PDF-1.7\n'; head -c $(( size_mib * 1024 * 1024 - 9 )) /dev/urandom; } > "$work/big.pdf"
expected=$(sha256sum "$work/big.pdf" | cut -d' ' -f1)
start=$(date +%s.%N)
big=$(upload "$work/big.pdf")
mid=$(date +%s.%N)
got=$(curl -sf -b "$jar" "$base/v1/me/documents/$big/content" | sha256sum | cut -d' ' -f1)
end=$(date +%s.%N)
[ "$got" = "$expected" ] || { echo "download differs from upload" >&2; exit 1; }
peak_kib=$(rss VmHWM)

python3 - "$size_mib" "$idle_kib" "$peak_kib" "$start" "$mid" "$end" <<'PY'
import sys
size, idle, peak, t0, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:])
print(f"document: {size} MiB (content verified by SHA-256 after the round trip)")
print(f"idle RSS: {idle/1024:.1f} MiB   peak RSS (VmHWM): {peak/1024:.1f} MiB   above idle: {(peak-idle)/1024:.1f} MiB")
print(f"upload: {t1-t0:.1f} s ({size/(t1-t0):.0f} MiB/s)   download: {t2-t1:.1f} s ({size/(t2-t1):.0f} MiB/s)")
PY
