//go:build unix

package main

import (
	"io/fs"
	"os"
	"syscall"
)

// readOnlyFD reports whether file descriptor fd is open only for reading.
func readOnlyFD(fd int) bool {
	mode, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	return errno == 0 && mode&syscall.O_ACCMODE == syscall.O_RDONLY
}

// dupFD duplicates fd, closed on exec.
func dupFD(fd int) (int, error) {
	nfd, err := syscall.Dup(fd)
	if err != nil {
		return 0, err
	}
	syscall.CloseOnExec(nfd)
	return nfd, nil
}

// writable reports why the user may not write the file at path, or nil.
func writable(path string) error {
	return syscall.Access(path, 2 /* W_OK */)
}

// keepOwner gives f the owner of old when netsim runs as root, so that a
// user's file replaced by root stays theirs.
func keepOwner(f *os.File, old fs.FileInfo) error {
	if st, ok := old.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
		return f.Chown(int(st.Uid), int(st.Gid))
	}
	return nil
}
