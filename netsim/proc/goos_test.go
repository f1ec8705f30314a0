package proc_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestBuildsEverywhere: the package builds (and vets) for Windows and macOS,
// so that `go install netsim.dev/cmd/netsim` works there; on Windows,
// processes fail to start with an error matching errors.ErrUnsupported.
// It did not build for Windows (unix.Close, unix.Poll...).
func TestBuildsEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: cross-compiles the package")
	}
	for _, goos := range []string{"windows", "darwin"} {
		cmd := exec.Command("go", "vet", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s go vet: %v\n%s", goos, err, out)
		}
	}
}
