#!/bin/sh
# speed.sh: netsim read against tshark on a large capture of real-world
# frames: the given captures concatenated (mergecap -a) over and over until
# the file holds at least N frames, then
#   netsim read -r F            and  tshark -r F            (summary lines)
#   netsim read -r F -Y FILTER  and  tshark -r F -Y FILTER  (a display filter)
# timed one after the other in the same run; prints both times and the
# ratio (tshark's time / netsim's), and whether the outputs are equal.
#
# Usage: scripts/readcompare/speed.sh [-n N] [-Y FILTER] CAPTURE...
#   e.g. scripts/readcompare/speed.sh -n 1000000 /work/corpus/tcpdump/tests/{dns_tcp,ipv4_tcp_http_xml,mptcp-v0,print-flags}.pcap
set -eu

N=1000000
V=70000
FILTER='tcp.flags.syn==1 or udp.port==53 or tcp.analysis.retransmission'
while getopts n:v:Y: o; do
	case $o in
	n) N=$OPTARG ;;
	v) V=$OPTARG ;;
	Y) FILTER=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-v V] [-Y FILTER] CAPTURE..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "speed.sh: name at least one capture" >&2; exit 2; }
for c in "$@"; do [ -f "$c" ] || { echo "speed.sh: $c: no such file" >&2; exit 2; }; done
for tool in tshark mergecap capinfos; do
	command -v $tool >/dev/null 2>&1 || { echo "speed.sh: $tool is not installed (apt-get install tshark)" >&2; exit 1; }
done

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
(cd "$root" && go build -o "$dir/netsim" ./cmd/netsim)

# One round: the captures concatenated; then rounds doubled until N frames.
mergecap -a -w "$dir/round.pcapng" "$@"
per=$(capinfos -c -M "$dir/round.pcapng" | sed -n 's/^Number of packets: *//p')
[ "$per" -gt 0 ] || { echo "speed.sh: the captures hold no frames" >&2; exit 1; }
# grow NAME MIN: NAME.pcapng is round.pcapng doubled until it holds MIN
# frames or more; prints its frame count.
grow() {
	cp "$dir/round.pcapng" "$dir/$1.pcapng"
	n=$per
	while [ "$n" -lt "$2" ]; do
		mergecap -a -w "$dir/next.pcapng" "$dir/$1.pcapng" "$dir/$1.pcapng"
		mv "$dir/next.pcapng" "$dir/$1.pcapng"
		n=$((n * 2))
	done
	echo "$n"
}
frames=$(grow big "$N")
vframes=$(grow tree "$V")
echo "capture: $frames frames ($per a round, $# captures), $(wc -c <"$dir/big.pcapng") bytes; -V on $vframes frames"

# measure NAME CMD...: runs CMD with stdout to $dir/NAME.out and prints
# "WALL CPU" in seconds (CPU = user + system, from /usr/bin/time; on a
# shared machine the CPU time is the fairer measure).
measure() {
	name=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>/dev/null || true
	awk '{ print $1, $2 + $3 }' "$dir/$name.time"
}
[ -x /usr/bin/time ] || { echo "speed.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

ns=$(measure ns-sum "$dir/netsim" read -r "$dir/big.pcapng")
ts=$(measure ts-sum tshark -r "$dir/big.pcapng")
ne=$(measure ns-fld "$dir/netsim" read -r "$dir/big.pcapng" -T fields -e frame.number -e ip.src -e tcp.srcport)
te=$(measure ts-fld tshark -r "$dir/big.pcapng" -T fields -e frame.number -e ip.src -e tcp.srcport)
nf=$(measure ns-fil "$dir/netsim" read -r "$dir/big.pcapng" -Y "$FILTER" -T fields -e frame.number)
tf=$(measure ts-fil tshark -r "$dir/big.pcapng" -Y "$FILTER" -T fields -e frame.number)
nv=$(measure ns-tree "$dir/netsim" read -r "$dir/tree.pcapng" -V)
tv=$(measure ts-tree tshark -r "$dir/tree.pcapng" -V)
same() { if cmp -s "$dir/$1.out" "$dir/$2.out"; then echo "equal"; else echo "differ ($(diff "$dir/$1.out" "$dir/$2.out" | grep -c '^[<>]') diff lines; tshark $(wc -l <"$dir/$2.out") lines)"; fi; }
awk -v f="$frames" -v vf="$vframes" -v ns="$ns" -v ts="$ts" -v ne="$ne" -v te="$te" -v nf="$nf" -v tf="$tf" -v nv="$nv" -v tv="$tv" \
	-v s1="$(same ns-sum ts-sum)" -v s3="$(same ns-fld ts-fld)" -v s2="$(same ns-fil ts-fil)" -v s4="$(same ns-tree ts-tree)" -v filter="$FILTER" '
function line(what, n, t, same, f,   a, b) {
	split(n, a, " "); split(t, b, " ")
	printf "%s\n  netsim %7.2f s wall %7.2f s CPU (%9.0f frames/CPU-s)\n  tshark %7.2f s wall %7.2f s CPU (%9.0f frames/CPU-s)\n  ratio  %.1fx wall, %.1fx CPU; %s\n",
		what, a[1], a[2], f / a[2], b[1], b[2], f / b[2], b[1] / a[1], b[2] / a[2], same
}
BEGIN {
	line("summary lines (-r F):", ns, ts, "lines " s1, f)
	line("three fields (-T fields -e frame.number -e ip.src -e tcp.srcport):", ne, te, "lines " s3, f)
	line("filter (-Y " filter " -T fields -e frame.number):", nf, tf, "selections " s2, f)
	line("protocol trees (-V, " vf " frames; netsim leaves out what it does not decode):", nv, tv, "trees " s4, vf)
}'
