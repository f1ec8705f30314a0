package main

import (
	"bytes"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionText: a release, a build from a checkout with and without the
// commit recorded, and a replaced gVisor.
func TestVersionText(t *testing.T) {
	gv := &debug.Module{Path: "gvisor.dev/gvisor", Version: "v0.0.0-20260905035102-160fafc42237"}
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "netsim.dev", Version: "v0.4.0"}, Deps: []*debug.Module{gv}},
			"netsim: netsim.dev v0.4.0\ngo: go1.26.8 linux/amd64\ngvisor: gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237\n"},
		{"checkout", debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: "netsim.dev", Version: "(devel)"}, Deps: []*debug.Module{gv}},
			"netsim: netsim.dev (devel: built from a source tree, not a released module)\ngo: go1.27.3 linux/amd64\ngvisor: gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237\n"},
		{"stamped", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "netsim.dev", Version: "v0.0.0-20261203190546-672f92e1d2c3+dirty"}, Deps: []*debug.Module{gv},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "672f92e1d2c3aa"}, {Key: "vcs.time", Value: "2026-12-03T19:05:46Z"}, {Key: "vcs.modified", Value: "true"}}},
			"netsim: netsim.dev v0.0.0-20261203190546-672f92e1d2c3+dirty\n  git revision 672f92e1d2c3aa, 2026-12-03T19:05:46Z, with uncommitted changes\ngo: go1.26.8 linux/amd64\ngvisor: gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237\n"},
		{"replaced", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "netsim.dev", Version: "v0.4.0"},
			Deps: []*debug.Module{{Path: "gvisor.dev/gvisor", Version: "v0.0.0-1", Replace: &debug.Module{Path: "../gvisor"}}}},
			"netsim: netsim.dev v0.4.0\ngo: go1.26.8 linux/amd64\ngvisor: gvisor.dev/gvisor v0.0.0-1 => ../gvisor\n"},
	}
	for _, c := range cases {
		if got := versionText(&c.bi, "linux/amd64"); got != c.want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.name, got, c.want)
		}
	}
}

// TestVersionBinary: the built binary names its module, the Go release
// that built it and the gVisor version from go.mod.
func TestVersionBinary(t *testing.T) {
	out, err := exec.Command(netsimBin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "gvisor.dev/gvisor").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"netsim: netsim.dev ",
		"go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		"gvisor: gvisor.dev/gvisor " + strings.TrimSpace(string(gomod)) + "\n",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("netsim version:\n%s\nshould contain %q", out, want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"help"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "  version ") {
		t.Errorf("netsim help should list version: %q", stdout.String())
	}
	if code := mainArgs([]string{"version", "extra"}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("netsim version extra: exit %d, want 2", code)
	}
}
