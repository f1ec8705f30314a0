package readcompare

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"netsim.dev/internal/tsharktest"
)

// Selection is the set of frames one display filter selects in one capture.
type Selection struct {
	// Valid is false when the reader rejects the filter.
	Valid bool `json:"valid"`
	// Frames are the numbers of the selected frames, in order.
	Frames []int `json:"frames,omitempty"`
}

// Output is what one reader printed for one capture: its summary lines
// (the default output of `tshark -r FILE`) and, for each filter of the
// list it was asked about, the frames it selects.
type Output struct {
	// Lines are the summary lines, one a frame.
	Lines []string `json:"lines"`
	// Selections are the filters' selections, in the order of the filters.
	Selections []Selection `json:"selections"`
	// Err is the reader's complaint about the capture (an unreadable
	// record, a non-zero exit), or "".
	Err string `json:"err,omitempty"`
}

// ErrNoTshark is returned by [NewTshark] when tshark cannot be run.
var ErrNoTshark = errors.New("tshark not found")

// Tshark runs tshark and remembers its answers on disk.
type Tshark struct {
	// Path is the tshark executable.
	Path string
	// Version is the first line of `tshark --version`, part of the cache key.
	Version string
	// CacheDir holds remembered outputs; "" disables the cache.
	CacheDir string
	// Timeout bounds one tshark process (0: 10 minutes).
	Timeout time.Duration
	// Args are more tshark options put before -r (preferences, -o ...);
	// they are part of the cache key.
	Args []string
}

// NewTshark finds tshark (path, or "tshark" on $PATH when path is "")
// and reads its version.
func NewTshark(path, cacheDir string) (*Tshark, error) {
	if path == "" {
		path = "tshark"
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTshark, err)
	}
	out, err := command(context.Background(), p, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %v", p, err)
	}
	version, _, _ := strings.Cut(string(out), "\n")
	return &Tshark{Path: p, Version: strings.TrimSpace(version), CacheDir: cacheDir}, nil
}

// command prepares a tshark process with a fixed locale and no personal
// preferences (an empty configuration directory is not created here:
// WIRESHARK_CONFIG_DIR pointing to a missing one makes tshark use its
// defaults).
func command(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "WIRESHARK_CONFIG_DIR=/nonexistent/readcompare")
	return cmd
}

// Key returns the cache key of a capture's output: the capture's sha256,
// tshark's version, the options and the filters.
func (t *Tshark) Key(content []byte, filters []string) string {
	h := sha256.New()
	sum := sha256.Sum256(content)
	fmt.Fprintf(h, "%x\x00%s\x00%s\x00%s", sum, t.Version, strings.Join(t.Args, "\x00"), strings.Join(filters, "\x00"))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Read returns tshark's summary lines for file and the frames each filter
// selects, from one tshark pass (or from the cache).
func (t *Tshark) Read(file string, filters []string) (*Output, error) {
	content, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cached string
	if t.CacheDir != "" {
		cached = filepath.Join(t.CacheDir, t.Key(content, filters)+".json")
		if b, err := os.ReadFile(cached); err == nil {
			var o Output
			if json.Unmarshal(b, &o) == nil {
				return &o, nil
			}
		}
	}
	o, err := t.run(file, filters)
	if err != nil {
		return nil, err
	}
	if cached != "" {
		if err := os.MkdirAll(t.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		b, _ := json.Marshal(o)
		tmp := cached + ".tmp" + strconv.Itoa(os.Getpid())
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		if err := os.Rename(tmp, cached); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return o, nil
}

func (t *Tshark) run(file string, filters []string) (*Output, error) {
	for _, f := range filters {
		if strings.ContainsAny(f, "\r\n") {
			return nil, fmt.Errorf("display filter %q spans lines", f)
		}
	}
	dir, err := os.MkdirTemp("", "readcompare-tshark-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	lua, in, outName := filepath.Join(dir, "select.lua"), filepath.Join(dir, "filters.txt"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(lua, []byte(tsharktest.SelectLua), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(in, []byte(strings.Join(filters, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	timeout := t.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append(append([]string{}, t.Args...), "-X", "lua_script:"+lua, "-r", file)
	cmd := command(ctx, t.Path, args...)
	cmd.Env = append(cmd.Env, "TSHARKTEST_FILTERS="+in, "TSHARKTEST_OUT="+outName)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("tshark -r %s: timed out after %v", file, timeout)
	}
	o := &Output{Lines: splitLines(stdout.String())}
	msg := tsharktest.CleanStderr(stderr.String())
	if runErr != nil {
		msg = strings.TrimSpace(runErr.Error() + ": " + msg)
	}
	o.Err = msg
	b, err := os.ReadFile(outName)
	if err == nil {
		o.Selections, err = parseSelections(string(b), len(filters))
	}
	if err != nil {
		// tshark gave up before the end (a file it cannot read): no
		// selections, so no filter pairs for this capture.
		if o.Err == "" {
			o.Err = "tshark's Lua script wrote no results: " + err.Error()
		}
		o.Selections = make([]Selection, len(filters))
	}
	return o, nil
}

// parseSelections reads the Lua script's output: one line per filter.
func parseSelections(s string, n int) ([]Selection, error) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if n == 0 {
		lines = nil
	}
	if len(lines) != n {
		return nil, fmt.Errorf("the Lua script gave %d results for %d filters", len(lines), n)
	}
	sels := make([]Selection, n)
	for i, l := range lines {
		if l == "ERR" {
			continue
		}
		sels[i].Valid = true
		if l == "" {
			continue
		}
		for _, f := range strings.Split(l, ",") {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("the Lua script printed %q", l)
			}
			sels[i].Frames = append(sels[i].Frames, v)
		}
	}
	return sels, nil
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
