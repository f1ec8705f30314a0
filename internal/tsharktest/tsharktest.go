// Package tsharktest runs tshark, Wireshark's command-line reader, from
// tests: netsim's captures are checked by a dissector no one here wrote.
//
// When tshark is not installed, tests that need it are skipped with a
// message, unless the environment sets NETSIM_REQUIRE_TSHARK=1 (CI does):
// then they fail, so that a CI run without tshark cannot pass by skipping.
//
// Starting tshark costs about half a second of CPU (it registers every
// dissector before it reads a frame), far more than reading a test capture,
// so tests should ask each tshark process for everything they need: several
// fields at once with [Fields], several display filters at once with
// [Select]. At most [Jobs] tshark processes run at a time in one test
// binary, so that parallel tests do not oversubscribe the machine.
package tsharktest

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// RequireEnv is the environment variable that turns a missing tshark from a
// skip into a failure.
const RequireEnv = "NETSIM_REQUIRE_TSHARK"

// JobsEnv is the environment variable that sets [Jobs].
const JobsEnv = "NETSIM_TSHARK_JOBS"

// Jobs is how many tshark processes one test binary runs at a time:
// $NETSIM_TSHARK_JOBS if set to a positive number, else the number of CPUs.
// It is read once, when the package is initialised.
var Jobs = jobs()

func jobs() int {
	if n, err := strconv.Atoi(os.Getenv(JobsEnv)); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

var slots = make(chan struct{}, Jobs)

// acquire waits for a free tshark slot and returns its release.
func acquire() func() {
	slots <- struct{}{}
	return func() { <-slots }
}

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
	return RunEnv(t, nil, args...)
}

// RunEnv is [Run] with more environment variables ("NAME=value").
func RunEnv(t testing.TB, env []string, args ...string) string {
	t.Helper()
	out, err := run(Path(t), env, args)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs tshark in one of the [Jobs] slots and returns its standard
// output, or an error with its standard error.
func run(path string, env, args []string) (string, error) {
	cmd := command(path, args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	release := acquire()
	started.Add(1)
	err := cmd.Run()
	release()
	stderr := cleanStderr(errb.String())
	if err != nil {
		return "", fmt.Errorf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if stderr != "" {
		return "", fmt.Errorf("tshark %s wrote to stderr:\n%s", strings.Join(args, " "), stderr)
	}
	return out.String(), nil
}

func command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	return cmd
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
	return FieldsWith(t, nil, file, filter, fields...)
}

// FieldsWith is [Fields] with more tshark options first, such as
// preferences (`-o tcp.check_checksum:TRUE`).
//
// Its answers are remembered for the life of the test binary, keyed by the
// capture's bytes (not its name) and the arguments: the same question about
// the same capture, from another test, costs no second tshark process.
func FieldsWith(t testing.TB, opts []string, file, filter string, fields ...string) [][]string {
	t.Helper()
	path := Path(t)
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-n", "-r", file}, opts...)
	args = append(args, "-T", "fields")
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	sum := sha256.Sum256(content)
	key := string(sum[:]) + "\x00" + strings.Join(opts, "\x00") + "\x00-Y\x00" + filter + "\x00" + strings.Join(fields, "\x00")
	memo.Lock()
	a, ok := memo.m[key]
	if !ok {
		a = new(answer)
		memo.m[key] = a
	}
	memo.Unlock()
	a.once.Do(func() { a.out, a.err = run(path, nil, args) })
	if a.err != nil {
		t.Fatal(a.err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(a.out, "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// started counts the tshark processes started, for tests.
var started atomic.Int64

// memo remembers [FieldsWith]'s answers.
var memo = struct {
	sync.Mutex
	m map[string]*answer
}{m: map[string]*answer{}}

// answer is one remembered tshark output.
type answer struct {
	once sync.Once
	out  string
	err  error
}

// selectLua evaluates many display filters in one tshark pass: one tap
// listener per filter records the frames it sees (the frames `tshark -Y
// filter` would print), and writes one line per filter: the frame numbers,
// comma-separated, or ERR when tshark rejects the filter.
const selectLua = `
local filters = {}
for line in io.lines(os.getenv("TSHARKTEST_FILTERS")) do filters[#filters+1] = line end
local out = io.open(os.getenv("TSHARKTEST_OUT"), "w")
local hits = {}
for i, f in ipairs(filters) do
  local ok, l = pcall(Listener.new, nil, f)
  if ok then
    hits[i] = {}
    l.packet = function(pinfo) table.insert(hits[i], pinfo.number) end
  end
end
local t = Listener.new(nil, nil)
function t.draw()
  for i = 1, #filters do
    if hits[i] then out:write(table.concat(hits[i], ","), "\n") else out:write("ERR\n") end
  end
  out:close()
end
`

// Select runs tshark once over file and returns, for each display filter,
// the numbers of the frames it selects, as `tshark -Y filter` would: one
// process for any number of filters. opts are more tshark options, such as
// preferences (`-o tcp.check_checksum:TRUE`). A filter that tshark rejects
// fails the test; use [SelectOrErr] to see which.
func Select(t testing.TB, file string, opts []string, filters ...string) [][]int {
	t.Helper()
	frames, valid := SelectOrErr(t, file, opts, filters...)
	for i, ok := range valid {
		if !ok {
			t.Fatalf("tshark rejects the display filter %q", filters[i])
		}
	}
	return frames
}

// SelectOrErr is [Select], except that a filter tshark rejects is reported
// as false in valid (with nil frames) instead of failing the test.
func SelectOrErr(t testing.TB, file string, opts []string, filters ...string) (frames [][]int, valid []bool) {
	t.Helper()
	for _, f := range filters {
		if strings.ContainsAny(f, "\r\n") {
			t.Fatalf("display filter %q spans lines", f)
		}
	}
	dir := t.TempDir()
	lua, in, out := filepath.Join(dir, "select.lua"), filepath.Join(dir, "filters.txt"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(lua, []byte(selectLua), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(strings.Join(filters, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-n", "-q", "-X", "lua_script:" + lua, "-r", file}, opts...)
	RunEnv(t, []string{"TSHARKTEST_FILTERS=" + in, "TSHARKTEST_OUT=" + out}, args...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("tshark's Lua script wrote no results (is tshark built with Lua?): %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(filters) == 0 {
		lines = nil
	}
	if len(lines) != len(filters) {
		t.Fatalf("tshark's Lua script gave %d results for %d filters", len(lines), len(filters))
	}
	frames, valid = make([][]int, len(filters)), make([]bool, len(filters))
	for i, l := range lines {
		if l == "ERR" {
			continue
		}
		valid[i] = true
		if l == "" {
			continue
		}
		for _, s := range strings.Split(l, ",") {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("tshark's Lua script printed %q for filter %q", l, filters[i])
			}
			frames[i] = append(frames[i], n)
		}
	}
	return frames, valid
}
