//go:build !unix

package main

import (
	"errors"
	"io/fs"
	"os"
)

// readOnlyFD reports whether file descriptor fd is open only for reading:
// off Unix, netsim cannot tell.
func readOnlyFD(fd int) bool { return false }

// dupFD would duplicate fd: off Unix, -w /dev/fd/N is not supported.
func dupFD(fd int) (int, error) {
	return 0, errors.New("descriptors by number are a Unix feature")
}

// writable reports why the user may not write the file at path, or nil:
// off Unix, a read-only file is one without write permission bits.
func writable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o222 == 0 {
		return fs.ErrPermission
	}
	return nil
}

// keepOwner does nothing off Unix.
func keepOwner(f *os.File, old fs.FileInfo) error { return nil }
