#!/usr/bin/env bash
# netsimtest.Seeds as a user meets it: a scratch module outside the
# checkout that requires netsim.dev (a replace to this checkout, as
# .ci/outside/check.sh does), with examples/sweep/seeds_test.go as its test
# and a test that fails on some seeds. It checks, with the go command as a
# user runs it:
#   - go test ./myproto -netsim.seeds=1-50 runs 50 subtests seed=N;
#   - a failing seed's log gives a go test line that, run as it is in a new
#     process, runs that seed alone and fails with the same message;
#   - NETSIM_SEEDS reaches every package of go test ./...; the flag there
#     is rejected by a package that does not import netsimtest (documented);
#   - three shards (-netsim.shard=I/3) with -netsim.ledger, merged by the
#     installed netsim (netsim sweep --merge), equal one unsharded run's
#     ledger (netsim sweep --compare), and cover every seed once.
# Usage: examples/sweep/outside.sh (KEEP_SCRATCH=1 keeps the module).
set -euo pipefail

checkout=$(cd "$(dirname "$0")/../.." && pwd)
fail() {
  echo "seeds outside-module check FAILED: $*" >&2
  exit 1
}
scratch=$(mktemp -d /tmp/netsim-seeds-outside.XXXXXX)
case "$scratch" in "$checkout"/*) fail "scratch module $scratch is inside the checkout" ;; esac
if [ -z "${KEEP_SCRATCH:-}" ]; then trap 'rm -rf "$scratch"' EXIT; else echo "keeping $scratch"; fi
cd "$scratch"
export GOFLAGS=-mod=mod
unset NETSIM_SEEDS NETSIM_SEED NETSIM_SHARD NETSIM_LEDGER TEST_SHARD_INDEX TEST_TOTAL_SHARDS JOB_COMPLETION_INDEX NETSIM_SHARDS

go mod init example.com/user >/dev/null 2>&1
go mod edit -require=netsim.dev@v0.0.0 -replace=netsim.dev="$checkout"
go mod edit -tool=netsim.dev/cmd/netsim
mkdir myproto other
echo 'package myproto' >myproto/doc.go
sed 's/^package sweep_test$/package myproto_test/' "$checkout/examples/sweep/seeds_test.go" >myproto/echo_test.go
cat >myproto/flaky_test.go <<'GO'
package myproto_test

import (
	"os"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// TestFlaky fails, when FLAKY=1, on the seeds whose link loses a frame of
// a short exchange.
func TestFlaky(t *testing.T) {
	if os.Getenv("FLAKY") != "1" {
		t.Skip("set FLAKY=1")
	}
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		n := netsimtest.New(t, netsim.Options{Seed: seed})
		a, _ := n.AddHost("a")
		b, _ := n.AddHost("b")
		link, err := n.Connect("ab", a.Iface("eth0", "10.0.0.1/24"), b.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Loss: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		netsimtest.Run(t, n, func(t *testing.T) {
			ln, err := b.Listen("tcp", ":1")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				if c, err := ln.Accept(); err == nil {
					c.Close()
				}
			}()
			c, err := a.Dial("tcp", "b:1")
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
		if ab, ba := link.Stats(); ab.Lost+ba.Lost > 0 {
			t.Errorf("seed %d lost %d frame(s)", seed, ab.Lost+ba.Lost)
		}
	})
}
GO
echo 'package other' >other/doc.go
printf 'package other\n\nimport "testing"\n\nfunc TestOther(t *testing.T) {}\n' >other/other_test.go
go mod tidy
go vet ./...
bin="$scratch/bin"
GOBIN="$bin" go install netsim.dev/cmd/netsim

echo "-- go test ./myproto -netsim.seeds=1-50"
out=$(go test -count=1 -v -run '^TestEchoSeeds$' ./myproto -netsim.seeds=1-50 2>&1) || { echo "$out"; fail "the 50 seeds did not pass"; }
n=$(printf '%s\n' "$out" | grep -c -- '--- PASS: TestEchoSeeds/seed=') || true
[ "$n" = 50 ] || fail "$n seed subtests passed, want 50"
echo "50 seed subtests passed"

echo "-- a failing seed and its reproduction line"
out=$(FLAKY=1 go test -count=1 ./myproto -run '^TestFlaky$' -netsim.seeds=1-30 2>&1) && fail "TestFlaky passed on seeds 1-30"
msg=$(printf '%s\n' "$out" | grep -m1 -o 'seed [0-9]* lost [0-9]* frame(s)') || fail "no failing seed in: $out"
seed=$(printf '%s\n' "$msg" | cut -d' ' -f2)
line=$(printf '%s\n' "$out" | grep -A1 "netsim: seed $seed failed; reproduce with:" | tail -1 | sed 's/^[[:space:]]*//')
[ "$line" = "go test -run '^TestFlaky\$/^seed=$seed\$' example.com/user/myproto -netsim.seed=$seed" ] || fail "reproduction line '$line'"
echo "seed $seed: $msg; reproduce: $line"
rout=$(FLAKY=1 sh -c "$line -test.v" 2>&1) && fail "the reproduction passed: $rout"
printf '%s\n' "$rout" | grep -q "$msg" || fail "the reproduction did not fail with '$msg': $rout"
ran=$(printf '%s\n' "$rout" | grep -c '^=== RUN   TestFlaky/seed=') || true
[ "$ran" = 1 ] || fail "the reproduction ran $ran seeds, want 1: $rout"
echo "the reproduction, a new go test process, ran seed $seed alone and failed the same way"

echo "-- NETSIM_SEEDS over ./..., and the flag over ./..."
out=$(NETSIM_SEEDS=1-5 go test -count=1 -v ./... 2>&1) || { echo "$out"; fail "NETSIM_SEEDS=1-5 go test ./... failed"; }
n=$(printf '%s\n' "$out" | grep -c -- '--- PASS: TestEchoSeeds/seed=') || true
[ "$n" = 5 ] || fail "NETSIM_SEEDS=1-5: $n seeds ran, want 5"
if out=$(go test -count=1 ./... -netsim.seeds=1-5 2>&1); then fail "the flag over ./... was accepted by package other"; fi
printf '%s\n' "$out" | grep -q 'flag provided but not defined: -netsim.seeds' || fail "unexpected: $out"
echo "NETSIM_SEEDS reaches ./...; -netsim.seeds over ./... is rejected by a package without netsimtest (as documented)"

echo "-- three shards with ledgers, merged, against one run"
for i in 0 1 2; do
  go test -count=1 -run '^TestEchoSeeds$' ./myproto -netsim.seeds=1-60 -netsim.shard=$i/3 -netsim.ledger="$scratch/shard$i.jsonl" >/dev/null
done
go test -count=1 -run '^TestEchoSeeds$' ./myproto -netsim.seeds=1-60 -netsim.ledger="$scratch/all.jsonl" >/dev/null
"$bin/netsim" sweep --merge -o merged.jsonl shard0.jsonl shard1.jsonl shard2.jsonl
"$bin/netsim" sweep --compare merged.jsonl all.jsonl || fail "merged shards differ from the unsharded run"
[ "$(wc -l <merged.jsonl)" = 60 ] || fail "merged ledger has $(wc -l <merged.jsonl) lines, want 60"
[ "$(cat shard0.jsonl shard1.jsonl shard2.jsonl | wc -l)" = 60 ] || fail "the shards ran a seed twice"
echo "3 shards: 60 seeds once each; merged ledger = unsharded ledger"
echo "seeds outside-module check passed ($(go version | cut -d' ' -f3))"
