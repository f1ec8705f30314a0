package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"golang.org/x/term"
)

// output is where `netsim run -w NAME` writes a capture.
//
// The rule, whatever NAME is:
//
//   - Symbolic links are followed, hop by hop. A dangling link names the
//     file to create, as the shell's `>` and tee do: `-w link` where link
//     points to a missing out.pcap creates out.pcap and leaves the link.
//   - A regular file, or a new one, is replaced atomically: the capture is
//     written to a temporary `.NAME.NNN.tmp` in the same directory and
//     renamed over NAME when the run ends, so that a failed run leaves NAME
//     as it was and a reader never sees half a capture. The replacement
//     keeps the old file's permission bits (and, as root, its owner); a new
//     file gets 0666 less the umask, as the shell's `>` gives.
//   - Anything else is opened for writing and written in place, never
//     replaced: a character device (/dev/null), a FIFO, a terminal.
//   - A name for one of this process's file descriptors (/dev/stdout,
//     /dev/stderr, /dev/fd/N, /proc/self/fd/N, as bash's `>(cmd)` gives) is
//     written through that descriptor, as it stands (its offset, its append
//     mode, a pipe or a socket): /dev/stdout is the same as `-w -`.
//   - A directory, a socket's path, a missing directory or one netsim cannot
//     create a file in is an error, and nothing is touched.
type output struct {
	io.Writer
	name     string   // as the user gave it, for messages
	file     *os.File // the file written, nil when Writer is standard output or error
	target   string   // the path the temporary file becomes; "" when written in place
	isStdout bool     // Writer is the process's standard output
	done     bool     // commit or abort has run

	failOnce sync.Once
	failed   chan struct{} // closed when a write has failed
	err      error         // that write's error, once failed is closed
}

// Write writes to the output; its first error also closes o.failed, which
// [onSignal] watches so that a run stops as soon as its capture cannot be
// written (a full disk, a reader gone from a FIFO) instead of simulating
// to its end for nothing.
func (o *output) Write(b []byte) (int, error) {
	n, err := o.Writer.Write(b)
	if err != nil {
		o.failOnce.Do(func() {
			o.err = err
			close(o.failed)
		})
	}
	return n, err
}

// writeError is the cause of a run's context when a write of its capture
// failed.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

// writeErr returns the error of the first write to o that failed, or nil.
func (o *output) writeErr() error {
	if o == nil {
		return nil
	}
	select {
	case <-o.failed:
		return o.err
	default:
		return nil
	}
}

// errSocket is the error for -w naming a Unix socket's path, which open(2)
// cannot open.
var errSocket = errors.New("is a socket (netsim cannot open one by its path; pipe -w - into a program that writes to it)")

// maxLinks is how many symbolic links openOutput follows, as Linux's
// MAXSYMLINKS.
const maxLinks = 40

// fdPath matches the names of a process's own file descriptors.
// Compiled on first use, not at start (every command pays for what init
// does; see scripts/bench-start.sh).
var fdPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^/(?:dev/fd|proc/self/fd|proc/thread-self/fd)/([0-9]+)$`)
})

// openOutput opens name for a capture, as the rule on [output] says.
// stdout and stderr are the command's own, used for /dev/stdout and
// /dev/stderr (and the descriptors 1 and 2).
func openOutput(name string, stdout, stderr io.Writer) (*output, error) {
	o := &output{name: name, failed: make(chan struct{})}
	if name == "" {
		return nil, errors.New("empty file name")
	}
	if name == "-" {
		o.Writer, o.isStdout = stdout, true
		return o, nil
	}
	path := name
	for hops := 0; ; hops++ {
		if fd, ok := fdNumber(path); ok {
			return o.openFD(fd, stdout, stderr)
		}
		fi, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return o.createAtomic(path, nil)
		case err != nil:
			return nil, pathErr(err)
		case fi.Mode()&fs.ModeSymlink == 0:
			return o.openExisting(path, fi)
		case hops == maxLinks:
			return nil, errors.New("too many levels of symbolic links")
		}
		link, err := os.Readlink(path)
		if err != nil {
			return nil, pathErr(err)
		}
		if !filepath.IsAbs(link) {
			// Relative to the link's own directory, with that directory's
			// links resolved first so that ".." means what the kernel
			// takes it to mean.
			dir, err := filepath.EvalSymlinks(filepath.Dir(path))
			if err != nil {
				return nil, pathErr(err)
			}
			link = filepath.Join(dir, link)
		}
		path = link
	}
}

// fdNumber reports whether path names one of this process's file
// descriptors, and which.
func fdNumber(path string) (int, bool) {
	switch path {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	case "/dev/stdin":
		return 0, true
	}
	m := fdPath().FindStringSubmatch(path)
	if m == nil {
		return 0, false
	}
	fd, err := strconv.Atoi(m[1])
	return fd, err == nil
}

// openFD writes to file descriptor fd: the command's own standard output
// or error for 1 and 2, a duplicate of the descriptor otherwise.
func (o *output) openFD(fd int, stdout, stderr io.Writer) (*output, error) {
	switch fd {
	case 1:
		o.Writer, o.isStdout = stdout, true
		return o, nil
	case 2:
		o.Writer = stderr
		return o, nil
	}
	if readOnlyFD(fd) {
		return nil, fmt.Errorf("file descriptor %d is open only for reading", fd)
	}
	nfd, err := dupFD(fd)
	if err != nil {
		return nil, fmt.Errorf("file descriptor %d: %v", fd, err)
	}
	o.file = os.NewFile(uintptr(nfd), o.name)
	o.Writer = o.file
	return o, nil
}

// openExisting opens the existing, non-link file at path.
func (o *output) openExisting(path string, fi fs.FileInfo) (*output, error) {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return o.createAtomic(path, fi)
	case m.IsDir():
		return nil, errors.New("is a directory")
	case m&fs.ModeSocket != 0:
		return nil, errSocket
	}
	// A device, a FIFO: written in place. Opening a FIFO waits for a
	// reader, as the shell's `>` does.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, pathErr(err)
	}
	o.file, o.Writer = f, f
	return o, nil
}

// createAtomic starts a replacement for the regular file at path (old is
// its FileInfo, nil for a new file): a temporary file in the same
// directory, renamed over path by commit.
func (o *output) createAtomic(path string, old fs.FileInfo) (*output, error) {
	dir := filepath.Dir(path)
	if old != nil {
		// Renaming over a file needs only the directory's permission; a
		// file the user may not write stays as it is, as with `>`.
		if err := writable(path); err != nil {
			return nil, fmt.Errorf("%v (the file is not writable)", err)
		}
	}
	if di, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("directory %s does not exist", dir)
		}
		return nil, pathErr(err)
	} else if !di.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	var f *os.File
	var err error
	for range 100 {
		tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), rand.Uint32()))
		// 0666 less the umask, as for any new file; an existing file's
		// mode is set below.
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create a file in %s (a file is replaced through a temporary file beside it): %v", dir, pathErr(err))
	}
	if old != nil {
		err := f.Chmod(old.Mode().Perm())
		if err == nil {
			err = keepOwner(f, old)
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("cannot keep the mode of %s: %v", path, pathErr(err))
		}
	}
	o.file, o.Writer, o.target = f, f, path
	return o, nil
}

// commit finishes the output: for a regular file, the temporary file is
// synced, closed and renamed over the target; otherwise the file is
// closed. It is called when a run ends, interrupted or not.
func (o *output) commit() error {
	if o.file == nil || o.done {
		return nil
	}
	o.done = true
	if o.target == "" {
		if err := o.file.Close(); err != nil {
			return fmt.Errorf("write %s: %v", o.name, pathErr(err))
		}
		return nil
	}
	err := o.file.Sync()
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.file.Name(), o.target)
	}
	if err != nil {
		os.Remove(o.file.Name())
		return fmt.Errorf("write %s: %v", o.name, pathErr(err))
	}
	return nil
}

// abort drops a failed run's output: a temporary file is removed, leaving
// the target as it was; a file written in place is closed. After commit it
// does nothing, so that it can be deferred.
func (o *output) abort() {
	if o.file == nil || o.done {
		return
	}
	o.done = true
	o.file.Close()
	if o.target != "" {
		os.Remove(o.file.Name())
	}
}

// sameFile reports whether the file names a and b (neither "-") are the
// same regular file, links followed: the output of one flag would replace
// the file another reads or writes. Two names of a file that does not exist
// yet are the same when their absolute paths are.
func sameFile(a, b string) bool {
	if a == "" || b == "" || a == "-" || b == "-" {
		return false
	}
	fa, erra := os.Stat(a)
	fb, errb := os.Stat(b)
	switch {
	case erra == nil && errb == nil:
		return fa.Mode().IsRegular() && os.SameFile(fa, fb)
	case errors.Is(erra, fs.ErrNotExist) && errors.Is(errb, fs.ErrNotExist):
		pa, err1 := filepath.Abs(a)
		pb, err2 := filepath.Abs(b)
		return err1 == nil && err2 == nil && pa == pb
	}
	return false
}

// isTerminal reports whether w (a reader or a writer) is a terminal.
func isTerminal(w any) bool {
	var f *os.File
	switch w := w.(type) {
	case *os.File:
		f = w
	case *stdoutWriter:
		f = w.File
	default:
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// pathErr drops the operation and path from an *fs.PathError, which the
// caller's message already names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
