package proc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// TestProgramNotFound: a program that is not there fails to start with an
// error matching ErrStart, as ErrStart's doc says, with or without a
// launcher. With one (as `netsim exec` runs), it used to start the launcher,
// which exited with status 127, and Run reported an *ExitError blaming
// "python -E, -I and -S".
func TestProgramNotFound(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script.py")
	if err := os.WriteFile(notExec, []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    proc.Process
	}{
		{"absolute path", proc.Process{Argv: []string{"/nonexistent/prog"}}},
		{"not in PATH", proc.Process{Argv: []string{"netsim-no-such-program"}}},
		{"relative to Dir", proc.Process{Argv: []string{"./missing"}, Dir: dir}},
		{"not executable", proc.Process{Argv: []string{notExec}}},
		{"PATH from Env", proc.Process{Argv: []string{"sh"}, Env: []string{"PATH=" + dir}}},
	} {
		for _, launcher := range []string{"", launcher(t)} {
			n, err := proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = proc.Run(context.Background(), n, proc.Config{Launcher: launcher}, c.p)
			var ee *proc.ExitError
			if !errors.Is(err, proc.ErrStart) || errors.As(err, &ee) {
				t.Errorf("%s (launcher %q): %v, want an error matching ErrStart", c.name, launcher, err)
			}
		}
	}
	// A program that is there still starts, found through the process's
	// own PATH and Dir.
	n, err := proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := proc.Run(context.Background(), n, proc.Config{Launcher: launcher(t)}, proc.Process{Argv: []string{"true"}})
	if err != nil || len(res) != 1 || res[0].ExitCode != 0 {
		t.Errorf("true: %v, %v", res, err)
	}
}
