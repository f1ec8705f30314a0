// Package tsharktest runs tshark, Wireshark's command-line reader, from
// tests: netsim's captures are checked by a dissector no one here wrote.
//
// When tshark is not installed, tests that need it are skipped with a
// message, unless the environment sets NETSIM_REQUIRE_TSHARK=1 (CI does):
// then they fail, so that a CI run without tshark cannot pass by skipping.
package tsharktest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireEnv is the environment variable that turns a missing tshark from a
// skip into a failure.
const RequireEnv = "NETSIM_REQUIRE_TSHARK"

// Path returns the tshark executable ($TSHARK, else tshark on PATH), or
// skips (or fails, under RequireEnv) the test when there is none.
func Path(t testing.TB) string {
	t.Helper()
	name := os.Getenv("TSHARK")
	if name == "" {
		name = "tshark"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("tshark not found and %s=1: install it (apt-get install tshark): %v", RequireEnv, err)
		}
		t.Skipf("tshark not installed (apt-get install tshark); set %s=1 to make this a failure", RequireEnv)
	}
	return p
}

// Run runs tshark with args and returns its standard output. Any output on
// standard error other than tshark's warning about running as root, or a
// non-zero exit, fails the test.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	out, stderr, err := run(Path(t), args...)
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if stderr != "" {
		t.Fatalf("tshark %s wrote to stderr:\n%s", strings.Join(args, " "), stderr)
	}
	return out
}

// Command returns an exec.Cmd for tshark with args, for callers that set
// more of the environment or read standard error themselves.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	return command(Path(t), args...)
}

func command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	return cmd
}

func run(path string, args ...string) (string, string, error) {
	cmd := command(path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), cleanStderr(errb.String()), err
}

// cleanStderr drops tshark's warning about running as root.
func cleanStderr(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if line == "" || strings.HasPrefix(line, "Running as user \"root\"") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// Fields runs `tshark -r file -Y filter -T fields -e f1 -e f2 ...` and
// returns one row of tab-separated values per matching frame.
func Fields(t testing.TB, file, filter string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-n", "-r", file, "-T", "fields"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(Run(t, args...), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}
