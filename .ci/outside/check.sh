#!/usr/bin/env bash
# The scratch-module check: netsim as somebody else's dependency.
#
# It makes a module outside the checkout (example.com/user) that requires
# netsim.dev by its module path, with a replace to this checkout (nothing
# serves the module yet), and writes into it, taken from README.md so that
# README stays the source of truth:
#   - README's complete test (the ```go block holding func TestGetOverALossyLink),
#     as myproto/myproto_test.go;
#   - README's "The library" block, made into a main package (main.go).
# Then go mod tidy, go build, go vet, go test and go run in it (checking
# the program's output and its capture), and go install netsim.dev/cmd/netsim
# from it, whose `netsim run tcp -w -` must equal testdata/tcp.pcap.
#
# Usage: .ci/outside/check.sh   (from anywhere; uses the go on PATH and
# honours GOTOOLCHAIN). Any failing step stops the script with a message
# that names it.
set -euo pipefail

checkout=$(cd "$(dirname "$0")/../.." && pwd)
readme="$checkout/README.md"

fail() {
  echo "outside-module check FAILED: $*" >&2
  exit 1
}

# step NAME CMD...: runs CMD, and on failure says which step failed.
step() {
  local name=$1
  shift
  echo "-- $name: $*"
  if ! "$@"; then
    fail "step '$name' failed (command: $*) in $scratch"
  fi
}

scratch=$(mktemp -d /tmp/netsim-outside.XXXXXX)
case "$scratch" in
"$checkout"/*) fail "the scratch module $scratch is inside the checkout $checkout" ;;
esac
if [ "${KEEP_SCRATCH:-}" = "" ]; then
  trap 'rm -rf "$scratch"' EXIT
else
  echo "keeping the scratch module in $scratch"
fi

# README's complete test: the ```go block that holds "func TestGetOverALossyLink".
test_src=$(awk '
  /^```go$/ { inblock = 1; body = ""; next }
  inblock && /^```$/ { inblock = 0; if (body ~ /func TestGetOverALossyLink\(/) { printf "%s", body; exit } ; next }
  inblock { body = body $0 "\n" }
' "$readme")
[ -n "$test_src" ] || fail "README.md has no \`\`\`go block with func TestGetOverALossyLink (the marker this check extracts by)"
printf '%s' "$test_src" | grep -q '^package myproto_test$' ||
  fail "README's TestGetOverALossyLink block no longer starts with 'package myproto_test'"

# README's program-mode example: the first ```go block after "## The library".
lib_src=$(awk '
  /^## The library$/ { section = 1; next }
  section && /^```go$/ { inblock = 1; next }
  inblock && /^```$/ { exit }
  inblock { print }
' "$readme")
[ -n "$lib_src" ] || fail "README.md has no \`\`\`go block under '## The library' (the marker this check extracts by)"
printf '%s' "$lib_src" | grep -q 'err := n.Run()' ||
  fail "README's library block no longer sets err := n.Run(); update the wrapper in $0"

cd "$scratch"
export GOFLAGS=-mod=mod
step "go mod init" go mod init example.com/user
step "require netsim.dev" go mod edit -require=netsim.dev@v0.0.0 -replace=netsim.dev="$checkout"
# The CLI as a tool of the module: go mod tidy then keeps its dependencies,
# so that go install netsim.dev/cmd/netsim works from here.
step "tool netsim" go mod edit -tool=netsim.dev/cmd/netsim

mkdir myproto
cat >myproto/doc.go <<'EOF'
// Package myproto is the package whose test README.md shows.
package myproto
EOF
printf '%s\n' "$test_src" >myproto/myproto_test.go

{
  cat <<'EOF'
// Command user runs README's program-mode example ("The library") and
// writes its capture to library.pcap.
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	"netsim.dev/netsim"
)

func main() {
	f, err := os.Create("library.pcap")
	if err != nil {
		log.Fatal(err)
	}
	if err := example(f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// example is README's block, verbatim but for the indentation.
func example(f *os.File) error {
EOF
  printf '%s\n' "$lib_src" | sed 's/^/\t/'
  cat <<'EOF'
	return err
}
EOF
} >main.go

step "go mod tidy" go mod tidy
grep -q '^replace netsim.dev => ' go.mod || fail "go mod tidy dropped the replace of netsim.dev"
# README's blocks align their comments for reading, not as gofmt would.
step "gofmt" gofmt -w .
step "go build" go build ./...
step "go vet" go vet ./...

echo "-- go test -v ./..."
out=$(go test -count=1 -v ./... 2>&1) || { printf '%s\n' "$out" >&2; fail "step 'go test' failed: README's test does not pass in a module of its own"; }
printf '%s\n' "$out" | grep -q -- '^--- PASS: TestGetOverALossyLink' ||
  { printf '%s\n' "$out" >&2; fail "step 'go test': README's TestGetOverALossyLink did not run and pass"; }
echo "README's TestGetOverALossyLink: PASS"

echo "-- go run ."
out=$(go run . 2>&1) || { printf '%s\n' "$out" >&2; fail "step 'go run .' failed"; }
[ "$out" = "got 2c 37 42" ] || fail "step 'go run .': the program printed '$out', want 'got 2c 37 42'"
[ -s library.pcap ] || fail "step 'go run .': no capture written to library.pcap"
echo "program printed: $out"

bin="$scratch/bin"
step "go install netsim.dev/cmd/netsim" env GOBIN="$bin" go install netsim.dev/cmd/netsim
[ -x "$bin/netsim" ] || fail "go install did not put netsim in $bin"
frames=$("$bin/netsim" read -r library.pcap | wc -l)
[ "$frames" = 9 ] || fail "the program's capture has $frames frame(s), want 9 (netsim read -r library.pcap)"
echo "program's capture: 9 frames"
"$bin/netsim" run tcp -w - >tcp.pcap 2>/dev/null || fail "the installed netsim: 'netsim run tcp -w -' failed"
cmp tcp.pcap "$checkout/testdata/tcp.pcap" ||
  fail "the installed netsim: 'netsim run tcp -w -' differs from testdata/tcp.pcap"
echo "installed netsim: run tcp -w - identical to testdata/tcp.pcap"
echo "outside-module check passed ($(go version | cut -d' ' -f3))"
