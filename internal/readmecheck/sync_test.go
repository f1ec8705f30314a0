package myproto_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsThisTest (this directory exists to keep README.md true:
// readme_test.go is its example test, run): README.md's "Testing your own Go code" section
// shows readme_test.go verbatim, so the example a reader pastes is one that
// passes.
func TestREADMEShowsThisTest(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```\n") {
		t.Fatal("README.md no longer shows internal/readmecheck/readme_test.go verbatim: update one or the other")
	}
}
