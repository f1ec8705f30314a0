#!/bin/sh
# bench-read.sh: netsim read -Y against tshark -Y on the same large capture.
#
# Generates a capture of at least N frames (default 1,000,000; the corpus's
# TCP/UDP capture repeated with shifted ports), then times
#   netsim read -r F -Y FILTER -T fields -e frame.number
#   tshark     -r F -Y FILTER -T fields -e frame.number
# side by side, checks that both print the same frame numbers, and prints
# frames/s for each and the ratio.
#
# Usage: scripts/bench-read.sh [N] [FILTER]
set -eu

N=${1:-1000000}
FILTER=${2:-'tcp.flags.syn==1 and tcp.dstport==24000 or udp.port in {53, 5353}'}

cd "$(dirname "$0")/.."
command -v tshark >/dev/null 2>&1 || { echo "bench-read: tshark is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

go build -o "$dir/netsim" ./cmd/netsim
go run ./netsim/dfilter/internal/gencap -bench "$N" -o "$dir/bench.pcap" 2>"$dir/gen.log"
frames=$(sed -n 's/^gencap: wrote \([0-9]*\) frames.*/\1/p' "$dir/gen.log")
echo "capture: $frames frames, $(wc -c <"$dir/bench.pcap") bytes"
echo "filter:  $FILTER"

now() { date +%s.%N; }

t0=$(now)
"$dir/netsim" read -r "$dir/bench.pcap" -Y "$FILTER" -T fields -e frame.number >"$dir/netsim.out"
t1=$(now)
tshark -r "$dir/bench.pcap" -Y "$FILTER" -T fields -e frame.number >"$dir/tshark.out" 2>/dev/null
t2=$(now)

if cmp -s "$dir/netsim.out" "$dir/tshark.out"; then
	same="yes ($(wc -l <"$dir/netsim.out") frames)"
else
	same="NO: netsim $(wc -l <"$dir/netsim.out") frames, tshark $(wc -l <"$dir/tshark.out")"
fi
awk -v f="$frames" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v same="$same" 'BEGIN {
	n = t1 - t0; w = t2 - t1
	printf "netsim read: %7.2f s  %10.0f frames/s\n", n, f / n
	printf "tshark:      %7.2f s  %10.0f frames/s\n", w, f / w
	printf "ratio:       %.1fx (netsim/tshark throughput)\n", w / n
	printf "same matches: %s\n", same
}'
