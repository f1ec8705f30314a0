//go:build linux

package proc

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// SeccompFilter returns the seccomp program [Launch] installs: socket(2)
// with any family but AF_UNIX fails with EPERM, and so do io_uring_setup
// (io_uring can open sockets without socket(2)) and every system call of
// another architecture than the one netsim was built for (i386's
// socketcall, x32's numbers). Everything else is allowed.
func SeccompFilter() ([]bpf.Instruction, error) {
	arch, ok := auditArch[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("seccomp: no filter for %s", runtime.GOARCH)
	}
	const (
		offNr   = 0  // seccomp_data.nr
		offArch = 4  // seccomp_data.arch
		offArg0 = 16 // seccomp_data.args[0], low 32 bits (little endian)
	)
	deny := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: offArch, Size: 4},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: arch, SkipTrue: 1},
		/* 2 */ bpf.RetConstant{Val: deny},
		/* 3 */ bpf.LoadAbsolute{Off: offNr, Size: 4},
		/* 4 */ bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: 0x40000000, SkipFalse: 1}, // x32
		/* 5 */ bpf.RetConstant{Val: deny},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(unix.SYS_IO_URING_SETUP), SkipFalse: 1},
		/* 7 */ bpf.RetConstant{Val: deny},
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(unix.SYS_SOCKET), SkipTrue: 1},
		/* 9 */ bpf.RetConstant{Val: allow},
		/* 10 */ bpf.LoadAbsolute{Off: offArg0, Size: 4},
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AF_UNIX, SkipFalse: 1},
		/* 12 */ bpf.RetConstant{Val: allow},
		/* 13 */ bpf.RetConstant{Val: deny},
	}
	return prog, nil
}

// auditArch is each architecture's AUDIT_ARCH_ value, as seccomp_data.arch
// gives it.
var auditArch = map[string]uint32{
	"amd64":   unix.AUDIT_ARCH_X86_64,
	"arm64":   unix.AUDIT_ARCH_AARCH64,
	"riscv64": unix.AUDIT_ARCH_RISCV64,
}

// installSeccomp sets no_new_privs (so no privilege is needed) and installs
// SeccompFilter on the calling thread, which then executes the program.
func installSeccomp() error {
	ins, err := SeccompFilter()
	if err != nil {
		return err
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return fmt.Errorf("seccomp: %v", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %v", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %v", errno)
	}
	return nil
}

// newPipe makes a pipe whose ends close on exec.
func newPipe(p []int) error { return unix.Pipe2(p, unix.O_CLOEXEC) }

// childAttr is how children start: in a process group of their own (a
// terminal's Ctrl-C reaches netsim, which ends them), killed if netsim
// dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
