package netsim

import "time"

// SetHangTimeout sets how long a task may keep control, in wall time,
// before Run reports it (tests use a short one).
func SetHangTimeout(n *Network, d time.Duration) { n.setHangTimeout(d) }
