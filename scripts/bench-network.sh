#!/usr/bin/env bash
# Measures netsim's network model (issue 5's benchmarks) side by side, in one
# run on one machine:
#   (a) sparse traffic: one 100-byte message a second for 60 simulated
#       seconds over a 100 ms RTT link with 1% loss: simulated/wall ratio
#       against the 10,000x target (the feasibility study: 11,000-25,000x);
#   (b) 64 MiB through one TCP connection with every frame captured to a
#       file (snap length 128): netsim over an Ethernet link at MTU 1500 and
#       65535 (and its loopback at 65536), beside the kernel's loopback
#       (scripts/kernelbulk, tcpdump -s 128 -w) and beside gVisor without
#       netsim's scheduler (scripts/gvisorbulk: two stacks, a pipe, the wall
#       clock, a pcap writer);
#   (c) the transfer demo with 100, 1,000 and 10,000 connections of 1 KiB,
#       and the same with dials 25 us apart: wall time, frames/s, cost per
#       frame (wall and CPU) and per connection (live heap, and peak RSS of a
#       process that runs one case), against the study's 21-28 us per frame
#       and ~21 KB per connection.
# Figures are for comparing within one run, not absolute: the machine may be
# shared. Medians over COUNT runs.
# Usage: scripts/bench-network.sh [COUNT]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# metric FILE PATTERN UNIT: the median of the value before UNIT on the lines
# of FILE that match PATTERN.
metric() { grep -E "$2" "$1" | awk -v u="$3" '{for(i=2;i<=NF;i++) if($i==u) print $(i-1)}' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "?" || b == "?" || b == 0) print "?"; else printf "%.2f", a/b }'; }

echo "== building"
go test -c -o "$out/demo.test" ./demo
go build -o "$out/kernelbulk" ./scripts/kernelbulk
go build -o "$out/gvisorbulk" ./scripts/gvisorbulk
go build -o "$out/netsim" ./cmd/netsim
bench() { "$out/demo.test" -test.run '^$' -test.benchmem -test.count "$count" "$@"; }

echo "== (a) sparse: 60 messages a second apart, 100 ms RTT, 1% loss (20 runs per sample, $count samples)"
bench -test.bench '^BenchmarkSparse$' -test.benchtime 20x | tee "$out/sparse.txt" | grep Benchmark

echo "== (b) 64 MiB bulk with capture"
echo "-- netsim"
bench -test.bench '^Benchmark(BulkEthernet64MiB|BulkLoopback64MiB)$' -test.benchtime 1x | tee "$out/bulk.txt" | grep Benchmark
echo "-- gVisor without netsim's scheduler"
for mtu in 1500 65535; do
  "$out/gvisorbulk" -mtu "$mtu" -runs "$count" -w "$out/gvisor.pcap" | tee -a "$out/gvisor.txt"
done
echo "-- kernel loopback"
if ! command -v tcpdump >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null || true
fi
port=$((20000 + RANDOM % 20000))
if command -v tcpdump >/dev/null 2>&1; then
  tcpdump -i lo -s 128 -w "$out/kernel.pcap" "tcp port $port" 2>"$out/tcpdump.err" &
  tcpdump_pid=$!
  sleep 1
  "$out/kernelbulk" -port "$port" -runs "$count" | tee "$out/kernel.txt"
  sleep 1
  kill "$tcpdump_pid" 2>/dev/null && wait "$tcpdump_pid" 2>/dev/null || true
  echo "tcpdump: $(grep -h 'packets captured' "$out/tcpdump.err" || echo '?')"
else
  echo "(tcpdump not available: kernel figure without capture)"
  "$out/kernelbulk" -runs "$count" | tee "$out/kernel.txt"
fi

echo "== (c) connections of 1 KiB: the transfer demo (all dials at once) and dials 25 us apart"
bench -test.v -test.bench '^Benchmark(TransferConns|ConnsStaggered)$' -test.benchtime 1x 2>&1 |
  grep -E '^Benchmark|SKIP|FAILED' | tee "$out/conns.txt"

echo "== (c) peak RSS, one process per case"
timev=
if [ -x /usr/bin/time ]; then timev=/usr/bin/time
elif [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null && timev=/usr/bin/time || true
fi
# rss CMD...: peak RSS in KiB of CMD, from /usr/bin/time -v, or else from the
# benchmark's own peak-RSS-MB metric (VmHWM).
rss() {
  if [ -n "$timev" ]; then
    "$timev" -v "$@" >"$out/rss.out" 2>"$out/rss.err" || true
    awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$out/rss.err"
  else
    "$@" >"$out/rss.out" 2>&1 || true
    awk '{for(i=2;i<=NF;i++) if($i=="peak-RSS-MB") printf "%d\n", $(i-1)*1024}' "$out/rss.out"
  fi
}
declare -A rssk
for n in 100 1000 10000; do
  rssk[stag$n]=$(rss "$out/demo.test" -test.run '^$' -test.bench "^BenchmarkConnsStaggered/conns=$n\$" -test.benchtime 1x)
  rssk[cli$n]=$(rss "$out/netsim" run transfer --conns "$n" --size 1KiB -w "$out/cli.pcap")
  cli=$(grep -hE 'simulated|deadlock|netsim run:' "$out/rss.err" 2>/dev/null | tail -1 || true)
  printf "conns %5d: peak RSS %7s KiB (dials 25 us apart, test binary), %7s KiB (netsim run transfer --conns %d)\n   cli: %s\n" \
    "$n" "${rssk[stag$n]}" "${rssk[cli$n]}" "$n" "$cli"
done

echo
echo "== summary (medians of $count; ratios within this run)"
sp=$(metric "$out/sparse.txt" 'BenchmarkSparse' 'sim/wall')
spc=$(metric "$out/sparse.txt" 'BenchmarkSparse' 'sim/cpu')
echo "(a) sparse: simulated/wall ${sp}x (simulated/CPU ${spc}x); target 10000x: ratio to target $(ratio "$sp" 10000)"
for mtu in 1500 65535; do
  ns=$(metric "$out/bulk.txt" "BulkEthernet64MiB/mtu=$mtu" 'MB/s')
  gv=$(metric "$out/gvisor.txt" "mtu=$mtu " 'MB/s')
  nsf=$(metric "$out/bulk.txt" "BulkEthernet64MiB/mtu=$mtu" 'ns/frame')
  nsc=$(metric "$out/bulk.txt" "BulkEthernet64MiB/mtu=$mtu" 'cpu-ns/frame')
  fr=$(metric "$out/bulk.txt" "BulkEthernet64MiB/mtu=$mtu" 'frames/op')
  gvf=$(metric "$out/gvisor.txt" "mtu=$mtu " 'frames/op')
  echo "(b) 64 MiB, Ethernet MTU $mtu: netsim $ns MB/s ($fr frames, $nsf ns/frame wall, $nsc CPU), gVisor unscheduled $gv MB/s ($gvf frames): netsim/gVisor $(ratio "$ns" "$gv")"
done
kn=$(metric "$out/kernel.txt" 'Kernel' 'MB/s')
lo=$(metric "$out/bulk.txt" 'BulkLoopback64MiB' 'MB/s')
e64=$(metric "$out/bulk.txt" 'BulkEthernet64MiB/mtu=65535' 'MB/s')
e15=$(metric "$out/bulk.txt" 'BulkEthernet64MiB/mtu=1500' 'MB/s')
echo "(b) kernel loopback $kn MB/s: netsim/kernel: loopback (MTU 65536) $(ratio "$lo" "$kn"), Ethernet 65535 $(ratio "$e64" "$kn"), Ethernet 1500 $(ratio "$e15" "$kn")"
for n in 100 1000 10000; do
  for b in TransferConns ConnsStaggered; do
    pat="$b/conns=$n-"
    if ! grep -qE "^Benchmark$pat" "$out/conns.txt"; then
      echo "(c) $b conns=$n: FAILED: $(grep -m1 -oE "FAILED with $n connections.*" "$out/conns.txt" | cut -c1-200)"
      continue
    fi
    wall=$(metric "$out/conns.txt" "^Benchmark$pat" 'ns/op')
    fps=$(metric "$out/conns.txt" "^Benchmark$pat" 'frames/s')
    nsf=$(metric "$out/conns.txt" "^Benchmark$pat" 'ns/frame')
    cpf=$(metric "$out/conns.txt" "^Benchmark$pat" 'cpu-ns/frame')
    hp=$(metric "$out/conns.txt" "^Benchmark$pat" 'heap-B/conn')
    fr=$(metric "$out/conns.txt" "^Benchmark$pat" 'frames/op')
    echo "(c) $b conns=$n: wall $(awk -v w="$wall" 'BEGIN{printf "%.0f ms", w/1e6}'), $fr frames, $fps frames/s, $(awk -v a="$nsf" 'BEGIN{printf "%.1f", a/1000}') us/frame wall ($(awk -v a="$cpf" 'BEGIN{printf "%.1f", a/1000}') CPU; study 21-28), live heap $hp B/conn"
  done
done
if [ -n "${rssk[stag100]}" ] && [ -n "${rssk[stag10000]}" ]; then
  per=$(awk -v a="${rssk[stag10000]}" -v b="${rssk[stag100]}" 'BEGIN{printf "%.1f", (a-b)*1024/9900/1000}')
  echo "(c) peak RSS, dials 25 us apart: ${rssk[stag100]} KiB at 100, ${rssk[stag1000]} KiB at 1,000, ${rssk[stag10000]} KiB at 10,000 connections: $per KB per added connection (study ~21 KB)"
fi
if [ -n "${rssk[cli100]}" ] && [ -n "${rssk[cli10000]}" ]; then
  echo "(c) peak RSS, netsim run transfer: ${rssk[cli100]} KiB at 100, ${rssk[cli1000]} KiB at 1,000, ${rssk[cli10000]} KiB at 10,000 (the demo holds 64 KiB buffers per connection on each side)"
fi
if command -v benchstat >/dev/null 2>&1; then cat "$out"/sparse.txt "$out"/bulk.txt | benchstat /dev/stdin; fi
