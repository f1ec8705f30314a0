package myproto_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEExampleInScratchModule builds, vets and runs README's test
// example (readme_test.go, which TestREADMEShowsThisTest keeps identical to
// README) the way a user gets it: alone in a module of its own that
// requires netsim.dev, with a replace directive pointing at this checkout
// since nothing serves the module yet. It catches what a test inside this
// module cannot: an import of netsim.dev/internal/..., a dependency on a
// file of the repository, a module path that does not resolve.
//
// It works offline (GOPROXY=off): every module it needs is already in the
// module cache, since this repository's own build needed it.
func TestREADMEExampleInScratchModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module (full suite only)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module, goLine := "", ""
	for _, l := range strings.Split(string(goMod), "\n") {
		if m, ok := strings.CutPrefix(l, "module "); ok {
			module = strings.TrimSpace(m)
		}
		if g, ok := strings.CutPrefix(l, "go "); ok {
			goLine = strings.TrimSpace(g)
		}
	}
	if module != "netsim.dev" || goLine == "" {
		t.Fatalf("go.mod: module %q, go %q; README's example imports netsim.dev", module, goLine)
	}
	example, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/myproto\n\ngo " + goLine + "\n\nrequire netsim.dev v0.0.0\n\nreplace netsim.dev => " + root + "\n",
		// netsim's checksums cover its dependencies, which the scratch
		// module now needs too.
		"go.sum":         string(sum),
		"myproto.go":     "// Package myproto is a user's package, tested over netsim.\npackage myproto\n",
		"readme_test.go": string(example),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	for _, args := range [][]string{
		{"mod", "tidy"},
		{"vet", "./..."},
		{"test", "-count=1", "./..."},
	} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in a scratch module requiring netsim.dev (replace => %s): go %s: %v\n%s", root, strings.Join(args, " "), err, out)
		}
		t.Logf("go %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
}
