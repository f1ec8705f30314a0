package netsim_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// network the tests build is closed, and Close ends every task and every
// goroutine of gVisor's stacks.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
