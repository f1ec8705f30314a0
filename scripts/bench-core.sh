#!/usr/bin/env bash
# Measures netsim's core side by side with the kernel's loopback, in one run:
#   - the book's TCP demo end to end (in-process) and as a whole process;
#   - 64 MiB through one TCP connection on loopback with every frame captured:
#     netsim (virtual network, pcap to a file) against the kernel (net.Listen
#     on 127.0.0.1, tcpdump -w capturing the same traffic).
# Figures are for comparing in one run on one machine, not absolute.
# Usage: scripts/bench-core.sh [COUNT]   (COUNT runs of each benchmark, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

echo "== netsim benchmarks (go test -bench, -count $count)"
go test ./demo -run '^$' -bench . -benchmem -count "$count" | tee "$out/netsim.txt" | grep Benchmark

echo "== kernel loopback, 64 MiB, tcpdump -w capturing"
if ! command -v tcpdump >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null
  fi
fi
go build -o "$out/kernelbulk" ./scripts/kernelbulk
port=$((20000 + RANDOM % 20000))
if command -v tcpdump >/dev/null 2>&1; then
  tcpdump -i lo -s 128 -w "$out/kernel.pcap" "tcp port $port" 2>"$out/tcpdump.err" &
  sleep 1
  "$out/kernelbulk" -port "$port" -runs "$count" | tee "$out/kernel.txt"
  sleep 1
  kill %1 && wait %1 || true
  echo "tcpdump: $(grep -h 'packets captured' "$out/tcpdump.err" || echo '?')"
else
  echo "(tcpdump not available: kernel figure without capture)"
  "$out/kernelbulk" -runs "$count" | tee "$out/kernel.txt"
fi

echo "== whole process: netsim run tcp -w FILE, $((count * 4)) runs"
go build -o "$out/netsim" ./cmd/netsim
start=$(date +%s%N)
for _ in $(seq $((count * 4))); do "$out/netsim" run tcp -q -w "$out/tcp.pcap"; done
end=$(date +%s%N)
echo "netsim run tcp: $(( (end - start) / (count * 4) / 1000 )) µs per process on average"

echo "== summary"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ns=$(grep BenchmarkBulkLoopback64MiB "$out/netsim.txt" | awk '{for(i=1;i<=NF;i++) if($(i+1)=="MB/s") print $i}' | median)
kn=$(awk '{for(i=1;i<=NF;i++) if($(i+1)=="MB/s") print $i}' "$out/kernel.txt" | median)
echo "64 MiB bulk, median MB/s: netsim $ns, kernel loopback $kn, netsim/kernel ratio $(awk -v a="$ns" -v b="$kn" 'BEGIN{printf "%.2f", a/b}')"
if command -v benchstat >/dev/null 2>&1; then benchstat "$out/netsim.txt"; fi
