package scenario_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// run closes its network, and Close ends every task and every goroutine of
// gVisor's stacks.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
