package netsimtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// test-mode run, its driver, gVisor's goroutines, net/http's).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
