#!/usr/bin/env bash
# Process start (issue 13: "within 2x of a Go hello-world"), whole
# processes side by side in one run:
#   hello          a Go hello-world (fmt.Println), built here with the same
#                  toolchain;
#   deps           a program that imports every package outside netsim.dev
#                  that netsim's packages import (gVisor, gopacket's pcapgo
#                  and layers, yaml, x/image, x/net, the standard library)
#                  and does nothing: what starting netsim costs before any of
#                  netsim's own code runs;
#   version, list  `netsim version` and `netsim list`, built as `go build`
#                  builds them (with cgo if a C compiler is found: then the
#                  net package links the C library and the binary is
#                  dynamic);
#   version-nocgo  `netsim version` built with CGO_ENABLED=0 (static).
# Each round runs every command BATCH times in a row, the commands taking
# turns; a command's figure is the median over ROUNDS rounds of its CPU time
# per process (user+system) and of its minor page faults. It prints ratios to hello. On a shared machine trust the ratios
# within one run, not the absolute figures.
#
# With CALLGRIND=1 (needs valgrind) it also counts the instructions of one
# run of each under valgrind --tool=callgrind (binaries built with
# CGO_ENABLED=0; see scripts/bench-bulk.sh).
# NOPERF=1 measures without perf even where it is found.
# Usage: scripts/bench-start.sh [ROUNDS] [BATCH]   (default 9 rounds of 20)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
batch=${2:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== building"
mkdir -p "$out/hello"
cat >"$out/hello/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("hello, world") }
GO
printf 'module hello\n\ngo 1.26\n' >"$out/hello/go.mod"
(cd "$out/hello" && go build -o "$out/hello-bin" .)
# The deps program lives in the module (so that go.sum resolves its
# imports) through an overlay: nothing is written into the tree.
{
  echo "package main"
  echo "import ("
  go list -deps -f '{{if .Module}}{{if eq .Module.Path "netsim.dev"}}{{join .Imports "\n"}}{{end}}{{end}}' ./cmd/netsim |
    grep -v -e '^netsim\.dev' -e '^internal/' -e '/internal/' -e '/internal$' -e '^vendor/' -e '^C$' -e '^unsafe$' |
    sort -u | sed 's/.*/\t_ "&"/'
  echo ")"
  echo "func main() {}"
} >"$out/deps.go"
printf '{"Replace": {"%s/internal/benchstartdeps/main.go": "%s"}}\n' "$PWD" "$out/deps.go" >"$out/overlay.json"
go build -overlay "$out/overlay.json" -o "$out/deps-bin" ./internal/benchstartdeps
go build -o "$out/netsim" ./cmd/netsim
CGO_ENABLED=0 go build -o "$out/netsim-nocgo" ./cmd/netsim
echo "   netsim: $(du -h "$out/netsim" | cut -f1) ($(file -b "$out/netsim" | grep -o -e 'dynamically linked' -e 'statically linked' || echo '?')), deps: $(du -h "$out/deps-bin" | cut -f1)"

names=(hello deps version list version-nocgo)
cmdline() {
  case $1 in
    hello) echo "$out/hello-bin" ;;
    deps) echo "$out/deps-bin" ;;
    version) echo "$out/netsim version" ;;
    list) echo "$out/netsim list" ;;
    version-nocgo) echo "$out/netsim-nocgo version" ;;
    true) echo /bin/true ;; # the program, not the shell builtin: a fork and an exec
  esac
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "?" || b == "?" || b == 0) print "?"; else printf "%.2f", a/b }'; }

# perf stat counts the process alone (task-clock, page faults; mean of
# BATCH runs). Without perf, bash's time over a loop counts the shell's
# forks too: a loop of /bin/true is measured alike and subtracted, and the
# page faults come from /usr/bin/time.
use_perf=0
if [ -z "${NOPERF:-}" ] && command -v perf >/dev/null 2>&1 && perf stat -x, -e task-clock true >/dev/null 2>&1; then
  use_perf=1
else
  names=(true "${names[@]}")
fi
echo "== $rounds rounds of $batch runs of each, taking turns ($( [ $use_perf = 1 ] && echo "perf stat" || echo "bash time, minus a loop of /bin/true"))"
for r in $(seq "$rounds"); do
  for n in "${names[@]}"; do
    # shellcheck disable=SC2046
    set -- $(cmdline "$n")
    if [ $use_perf = 1 ]; then
      perf stat -x, -e task-clock,page-faults -r "$batch" "$@" 2>"$out/$n.perf" >/dev/null
      awk -F, '$3 == "task-clock" {printf "%.3f\n", $1}' "$out/$n.perf" >>"$out/$n.cpu"
      awk -F, '$3 == "page-faults" {print $1}' "$out/$n.perf" >>"$out/$n.pf"
      continue
    fi
    t=$( { TIMEFORMAT='%3U %3S'; time (for _ in $(seq "$batch"); do "$@" >/dev/null; done); } 2>&1 )
    echo "$t" | awk -v b="$batch" '{printf "%.3f\n", ($1+$2)*1000/b}' >>"$out/$n.cpu"
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -f '%R' -o "$out/$n.pf1" "$@" >/dev/null
      cat "$out/$n.pf1" >>"$out/$n.pf"
    fi
  done
done
if [ $use_perf = 0 ]; then
  base=$(median <"$out/true.cpu")
  names=("${names[@]:1}")
  for n in "${names[@]}"; do
    awk -v b="$base" '{printf "%.3f\n", $1-b}' "$out/$n.cpu" >"$out/$n.cpu2" && mv "$out/$n.cpu2" "$out/$n.cpu"
  done
fi

echo
printf "%-16s %12s %12s %14s %12s\n" "median" "cpu ms/run" "ratio" "page faults" "ratio"
hc=$(median <"$out/hello.cpu")
hp=$( [ -s "$out/hello.pf" ] && median <"$out/hello.pf" || echo "?")
for n in "${names[@]}"; do
  c=$(median <"$out/$n.cpu")
  p=$( [ -s "$out/$n.pf" ] && median <"$out/$n.pf" || echo "?")
  printf "%-16s %12s %12s %14s %12s\n" "$n" "$c" "$(ratio "$c" "$hc")x" "$p" "$(ratio "$p" "$hp")x"
done
echo "goal: version and list within 2x of hello"

if [ "${CALLGRIND:-}" = 1 ]; then
  echo
  echo "== instructions under callgrind (one run each, CGO_ENABLED=0)"
  (cd "$out/hello" && CGO_ENABLED=0 go build -o "$out/hello-nocgo" .)
  CGO_ENABLED=0 go build -overlay "$out/overlay.json" -o "$out/deps-nocgo" ./internal/benchstartdeps
  ir() {
    GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$@" \
      >/dev/null 2>"$out/cg.log" || { tail "$out/cg.log"; echo "bench-start: $* under callgrind failed" >&2; exit 1; }
    grep -E '^==[0-9]+== Collected' "$out/cg.log" | tail -1 | awk '{print $NF}'
  }
  h=$(ir "$out/hello-nocgo")
  for n in hello deps version list; do
    case $n in
      hello) i=$h ;;
      deps) i=$(ir "$out/deps-nocgo") ;;
      *) i=$(ir "$out/netsim-nocgo" "$n") ;;
    esac
    printf "  %-8s %12s instructions  %sx hello\n" "$n" "$i" "$(ratio "$i" "$h")"
  done
fi
