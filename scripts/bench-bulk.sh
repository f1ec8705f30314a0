#!/usr/bin/env bash
# Sets `netsim run transfer --size 64MiB -w FILE.pcapng` (issue 13) beside
# gVisor alone and beside the kernel, as whole processes, in one run:
#   netsim      the CLI as a user runs it: the transfer demo (internal/payload's stream,
#               CRC-32 at both ends), every frame written whole (snap length
#               262,144) to a pcapng file, GOMAXPROCS=1 (the CLI's default);
#               at MTU 65535 and at MTU 1500;
#   gvisorbulk  two gVisor stacks joined by gVisor's pipe link, free-running
#               on the wall clock, doing the same work (scripts/gvisorbulk
#               -demo: the same payload bytes, write sizes and CRC-32, the
#               same pcapng writer, whole frames), with the Go runtime's
#               default GOMAXPROCS and with GOMAXPROCS=1;
#   kernel      the kernel's TCP over loopback (MTU 65536), no capture, no
#               payload work (scripts/kernelbulk).
# Each command runs COUNT times, the commands taking turns, so that the
# machine's load falls on all of them alike. It prints the median wall time
# and CPU time (user+system) of each, and the ratios the issue asks for:
# gvisorbulk / netsim (at least 1.0: netsim as fast as gVisor alone) and
# netsim / kernel (at most 2.0). On a shared machine, trust the CPU ratios
# more than the wall ones. The CRC-32 that netsim and gvisorbulk print must
# agree (the same bytes moved), or the script fails.
#
# With CALLGRIND=1 (needs valgrind) it also counts the instructions each of
# netsim and gvisorbulk (GOMAXPROCS=1) executes for the same transfer under
# valgrind --tool=callgrind, once each (SIZE 16MiB unless CALLGRIND_SIZE
# says otherwise): a figure the machine's load does not move. Go binaries
# run there with cgo off, asynchronous preemption off and RDTSCP unused
# (valgrind 3.19 knows neither Go's preemption signals nor RDTSCP).
# Usage: [OVERWRITE=1] [CALLGRIND=1] scripts/bench-bulk.sh [COUNT] [SIZE]   (default 6, 64MiB)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
size=${2:-64MiB}
bytes=$(numfmt --from=iec "$(echo "$size" | sed 's/i\?B$//')")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== building"
go build -o "$out/netsim" ./cmd/netsim
go build -o "$out/gvisorbulk" ./scripts/gvisorbulk
go build -o "$out/kernelbulk" ./scripts/kernelbulk

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "?" || b == "?" || b == 0) print "?"; else printf "%.2f", a/b }'; }

# timed NAME CMD...: runs CMD as a whole process, appends "wall cpu" (s) to
# $out/NAME.t and its standard output and error to $out/NAME.out. The
# captures of the run before are removed first, untimed (unless
# OVERWRITE=1): each command then writes a file that does not exist yet.
# Replacing an existing 64 MiB file costs what the filesystem makes of it
# (on ext4 mounted with discard here, from 13 to 160 ms of system time, at
# random), and the two replace differently: netsim writes a temporary file
# and renames it over the old one (cmd/netsim/output.go), gvisorbulk
# truncates the old one (os.Create).
timed() {
  local name=$1
  shift
  if [ "${OVERWRITE:-}" != 1 ]; then
    rm -f "$out/n.pcapng" "$out/g.pcapng"
  fi
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >"$out/$name.last" 2>&1; } 2>&1 ) ||
    { cat "$out/$name.last"; echo "bench-bulk: $name failed" >&2; exit 1; }
  cat "$out/$name.last" >>"$out/$name.out"
  echo "$t" | awk '{printf "%.4f %.4f\n", $1, $2+$3}' >>"$out/$name.t"
}

names=(netsim-65535 gvisor-65535 gvisor1-65535 netsim-1500 gvisor-1500 gvisor1-1500 kernel)
echo "== $count runs of each, taking turns (size $size)"
for i in $(seq "$count"); do
  timed netsim-65535 "$out/netsim" run transfer --size "$size" --mtu 65535 -w "$out/n.pcapng"
  timed gvisor-65535 "$out/gvisorbulk" -demo -size "$bytes" -mtu 65535 -runs 1 -w "$out/g.pcapng"
  timed gvisor1-65535 env GOMAXPROCS=1 "$out/gvisorbulk" -demo -size "$bytes" -mtu 65535 -runs 1 -w "$out/g.pcapng"
  timed netsim-1500 "$out/netsim" run transfer --size "$size" --mtu 1500 -w "$out/n.pcapng"
  timed gvisor-1500 "$out/gvisorbulk" -demo -size "$bytes" -mtu 1500 -runs 1 -w "$out/g.pcapng"
  timed gvisor1-1500 env GOMAXPROCS=1 "$out/gvisorbulk" -demo -size "$bytes" -mtu 1500 -runs 1 -w "$out/g.pcapng"
  timed kernel "$out/kernelbulk" -size "$bytes" -runs 1
  echo "   run $i done"
done

# The same bytes: netsim's and gvisorbulk's CRC-32 lines agree.
sums=$(cat "$out"/netsim-*.out "$out"/gvisor*-*.out | grep -oE 'crc32 [0-9a-f]{8}' | sort -u)
if [ "$(echo "$sums" | wc -l)" != 1 ]; then
  echo "bench-bulk: netsim and gvisorbulk moved different bytes:" >&2
  echo "$sums" >&2
  exit 1
fi
echo "== every run of netsim and gvisorbulk: $sums at both ends"

declare -A wall cpu
for n in "${names[@]}"; do
  wall[$n]=$(awk '{print $1}' "$out/$n.t" | median)
  cpu[$n]=$(awk '{print $2}' "$out/$n.t" | median)
done
frames=$(grep -oE '^netsim: transfer: [0-9]+ frame' "$out/netsim-65535.out" | head -1 | grep -oE '[0-9]+' || echo "?")
frames1500=$(grep -oE '^netsim: transfer: [0-9]+ frame' "$out/netsim-1500.out" | head -1 | grep -oE '[0-9]+' || echo "?")

echo
printf "%-44s %10s %10s %10s\n" "median of $count whole processes" "wall s" "cpu s" "MB/s wall"
for n in "${names[@]}"; do
  label=$n
  case $n in
    netsim-65535) label="netsim run transfer, MTU 65535 ($frames frames)" ;;
    netsim-1500) label="netsim run transfer, MTU 1500 ($frames1500 frames)" ;;
    gvisor-*) label="gvisorbulk -demo, MTU ${n#gvisor-}" ;;
    gvisor1-*) label="gvisorbulk -demo, MTU ${n#gvisor1-}, GOMAXPROCS=1" ;;
    kernel) label="kernel loopback, no capture" ;;
  esac
  printf "%-44s %10s %10s %10s\n" "$label" "${wall[$n]}" "${cpu[$n]}" \
    "$(awk -v b="$bytes" -v w="${wall[$n]}" 'BEGIN{ if (w == "?" || w == 0) print "?"; else printf "%.0f", b/w/1e6 }')"
done
echo
echo "ratios (wall / cpu):"
for m in 65535 1500; do
  echo "  MTU $m: gvisorbulk / netsim = $(ratio "${wall[gvisor-$m]}" "${wall[netsim-$m]}") / $(ratio "${cpu[gvisor-$m]}" "${cpu[netsim-$m]}")" \
    "(at GOMAXPROCS=1: $(ratio "${wall[gvisor1-$m]}" "${wall[netsim-$m]}") / $(ratio "${cpu[gvisor1-$m]}" "${cpu[netsim-$m]}"));" \
    "goal: at least 1.0"
done
echo "  MTU 65535: netsim / kernel loopback = $(ratio "${wall[netsim-65535]}" "${wall[kernel]}") / $(ratio "${cpu[netsim-65535]}" "${cpu[kernel]}"); goal: at most 2.0"

if [ "${CALLGRIND:-}" = 1 ]; then
  csize=${CALLGRIND_SIZE:-16MiB}
  cbytes=$(numfmt --from=iec "$(echo "$csize" | sed 's/i\?B$//')")
  echo
  echo "== instructions under callgrind (size $csize, one run each)"
  CGO_ENABLED=0 go build -o "$out/netsim-nocgo" ./cmd/netsim
  CGO_ENABLED=0 go build -o "$out/gvisorbulk-nocgo" ./scripts/gvisorbulk
  # ir NAME CMD...: the instructions CMD executes, all threads.
  ir() {
    local name=$1
    shift
    GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file="$out/$name.cg" "$@" \
      >"$out/$name.cglog" 2>&1 || { tail "$out/$name.cglog"; echo "bench-bulk: $name under callgrind failed" >&2; exit 1; }
    grep -E '^==[0-9]+== Collected' "$out/$name.cglog" | tail -1 | awk '{print $NF}'
  }
  for m in 65535 1500; do
    n=$(ir "cg-netsim-$m" "$out/netsim-nocgo" run transfer --size "$csize" --mtu "$m" -w "$out/n.pcapng")
    g=$(GOMAXPROCS=1 ir "cg-gvisor-$m" "$out/gvisorbulk-nocgo" -demo -size "$cbytes" -mtu "$m" -runs 1 -w "$out/g.pcapng")
    printf "  MTU %-5s netsim %13s  gvisorbulk %13s  gvisorbulk / netsim = %s\n" "$m" "$n" "$g" "$(ratio "$g" "$n")"
  done
fi
