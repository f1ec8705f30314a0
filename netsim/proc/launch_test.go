//go:build linux

package proc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// TestSeccompFilter runs the filter on seccomp_data records in x/net's BPF
// machine: socket(2) is refused but for AF_UNIX, io_uring_setup and other
// architectures' calls are refused, the rest allowed.
func TestSeccompFilter(t *testing.T) {
	ins, err := proc.SeccompFilter()
	if err != nil {
		t.Skip(err)
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	arch := map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64, "riscv64": unix.AUDIT_ARCH_RISCV64}[runtime.GOARCH]
	// The machine loads words big-endian; seccomp loads them as the
	// kernel stores them. Writing the record big-endian gives the filter
	// the values it would see.
	data := func(nr, arch, arg0 uint32) []byte {
		b := make([]byte, 64)
		binary.BigEndian.PutUint32(b[0:], nr)
		binary.BigEndian.PutUint32(b[4:], arch)
		binary.BigEndian.PutUint32(b[16:], arg0)
		return b
	}
	const deny, allow = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM), unix.SECCOMP_RET_ALLOW
	for _, c := range []struct {
		what          string
		nr, arch, arg uint32
		want          uint32
	}{
		{"socket(AF_INET)", unix.SYS_SOCKET, arch, unix.AF_INET, deny},
		{"socket(AF_INET6)", unix.SYS_SOCKET, arch, unix.AF_INET6, deny},
		{"socket(AF_PACKET)", unix.SYS_SOCKET, arch, unix.AF_PACKET, deny},
		{"socket(AF_NETLINK)", unix.SYS_SOCKET, arch, unix.AF_NETLINK, deny},
		{"socket(AF_UNIX)", unix.SYS_SOCKET, arch, unix.AF_UNIX, allow},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, arch, 0, deny},
		{"read", unix.SYS_READ, arch, 0, allow},
		{"connect", unix.SYS_CONNECT, arch, 3, allow},
		{"another architecture", unix.SYS_READ, 0x40000003, 0, deny},
		{"x32", 0x40000000 | unix.SYS_SOCKET, arch, unix.AF_UNIX, deny},
	} {
		got, err := vm.Run(data(c.nr, c.arch, c.arg))
		if err != nil {
			t.Fatal(err)
		}
		if uint32(got) != c.want {
			t.Errorf("%s: %#x, want %#x", c.what, got, c.want)
		}
	}
}

// TestLauncherRefusesSockets: a program started through the launcher
// cannot open a socket of the host, whatever its language: bash's
// /dev/tcp gets EPERM. Without Python.
func TestLauncherRefusesSockets(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	var out bytes.Buffer
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddHost("localhost"); err != nil {
		t.Fatal(err)
	}
	res, err := proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)},
		proc.Process{Name: "bash", Argv: []string{bash, "-c", "exec 3<>/dev/tcp/127.0.0.1/9 || exit 1; echo connected"}})
	if err == nil || res[0].ExitCode == 0 || !strings.Contains(out.String(), "Operation not permitted") || strings.Contains(out.String(), "connected") {
		t.Errorf("error %v, results %+v, output %q: want socket refused with EPERM", err, res, out.String())
	}
}
