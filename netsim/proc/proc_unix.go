//go:build unix

package proc

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// start starts the child process, with its pipes.
func (p *process) start() error {
	r := p.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.killed {
		return fmt.Errorf("%w: the run was stopped", ErrStart)
	}
	var pipes [4][2]int
	for i := range pipes {
		if err := newPipe(pipes[i][:]); err != nil {
			for j := range i {
				unix.Close(pipes[j][0])
				unix.Close(pipes[j][1])
			}
			return fmt.Errorf("%w: pipe: %v", ErrStart, err)
		}
	}
	// pipes: 0 requests (child writes), 1 replies (child reads), 2 stdout,
	// 3 stderr.
	childReq := os.NewFile(uintptr(pipes[0][1]), "netsim-requests")
	childRep := os.NewFile(uintptr(pipes[1][0]), "netsim-replies")
	childOut := os.NewFile(uintptr(pipes[2][1]), "stdout")
	childErr := os.NewFile(uintptr(pipes[3][1]), "stderr")
	p.req, p.rep, p.outR, p.errR = pipes[0][0], pipes[1][1], pipes[2][0], pipes[3][0]
	for _, fd := range []int{p.req, p.rep, p.outR, p.errR} {
		unix.SetNonblock(fd, true)
	}
	defer func() {
		childReq.Close()
		childRep.Close()
		childOut.Close()
		childErr.Close()
	}()
	env := append(os.Environ(),
		EnvFDs+"=3,4",
		"PYTHONPATH="+pythonPath(r.dir),
		"PYTHONHASHSEED=0",
		"PYTHONDONTWRITEBYTECODE=1",
		"TZ=UTC",
	)
	env = slices.DeleteFunc(env, func(s string) bool { return strings.HasPrefix(s, EnvLaunch+"=") })
	env = append(env, r.cfg.Env...)
	env = append(env, p.spec.Env...)
	cmd := &exec.Cmd{Dir: p.spec.Dir, Env: env, Stdout: childOut, Stderr: childErr,
		ExtraFiles:  []*os.File{childReq, childRep},
		SysProcAttr: childAttr()}
	// Found here, as the launcher (or exec) will look for it, so that a
	// missing program is ErrStart and not the launcher's exit status 127.
	path, err := lookProgram(p.spec.Argv[0], p.spec.Dir, env)
	if err != nil {
		p.closePipes()
		return fmt.Errorf("%w: %v", ErrStart, err)
	}
	if r.cfg.Launcher != "" {
		cmd.Path = r.cfg.Launcher
		cmd.Args = append([]string{r.cfg.Launcher}, p.spec.Argv...)
		cmd.Env = append(cmd.Env, EnvLaunch+"=1")
	} else {
		cmd.Path, cmd.Args = path, p.spec.Argv
	}
	if err := cmd.Start(); err != nil {
		p.closePipes()
		return fmt.Errorf("%w: %v", ErrStart, err)
	}
	p.cmd, p.started = cmd, true
	return nil
}

// closePipes closes the parent's ends.
func (p *process) closePipes() {
	for _, fd := range []*int{&p.req, &p.rep, &p.outR, &p.errR} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// readRequest reads the next request, draining the child's output while
// it waits; io.EOF when the child closed its request pipe (it exited).
func (p *process) readRequest() (*Request, error) {
	deadline := time.Now().Add(p.r.cfg.Watchdog)
	for {
		if req, err := p.frame(); req != nil || err != nil {
			p.drain()
			return req, err
		}
		fds := []unix.PollFd{{Fd: int32(p.req), Events: unix.POLLIN}}
		if p.outR >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(p.outR), Events: unix.POLLIN})
		}
		if p.errR >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(p.errR), Events: unix.POLLIN})
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, p.hang()
		}
		if _, err := unix.Poll(fds, int(left.Milliseconds())+1); err != nil && err != unix.EINTR {
			return nil, fmt.Errorf("poll: %v", err)
		}
		p.drain()
		if fds[0].Revents == 0 {
			continue
		}
		var buf [64 << 10]byte
		k, err := unix.Read(p.req, buf[:])
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
		case err != nil:
			return nil, fmt.Errorf("reading requests: %v", err)
		case k == 0:
			if len(p.in) > 0 {
				return nil, fmt.Errorf("%w: a frame cut short by the process's exit", ErrProtocol)
			}
			return nil, io.EOF
		default:
			p.in = append(p.in, buf[:k]...)
		}
	}
}

// drain copies what the child printed so far to its writers.
func (p *process) drain() {
	for _, s := range []struct {
		fd *int
		w  *lineWriter
	}{{&p.outR, p.out}, {&p.errR, p.errw}} {
		for *s.fd >= 0 {
			var buf [32 << 10]byte
			k, err := unix.Read(*s.fd, buf[:])
			if k > 0 {
				s.w.Write(buf[:k])
				continue
			}
			if err == unix.EINTR {
				continue
			}
			if err == nil { // end of file: the child and its children are gone
				unix.Close(*s.fd)
				*s.fd = -1
			}
			break
		}
	}
}

// writeReply writes a reply frame.
func (p *process) writeReply(rep *Reply) error {
	b, err := encodeReply(rep)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(p.r.cfg.Watchdog)
	for len(b) > 0 {
		k, err := unix.Write(p.rep, b)
		if k > 0 {
			b = b[k:]
			continue
		}
		switch err {
		case unix.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return p.hang()
			}
			fds := []unix.PollFd{{Fd: int32(p.rep), Events: unix.POLLOUT}}
			unix.Poll(fds, int(left.Milliseconds())+1)
			p.drain()
		case unix.EINTR:
		default:
			return err
		}
	}
	return nil
}

// wait waits for the child's end and records its exit status; a child
// that lingers after closing its request pipe is killed by the watchdog.
func (p *process) wait() {
	deadline := time.Now().Add(p.r.cfg.Watchdog)
	for p.outR >= 0 || p.errR >= 0 {
		var fds []unix.PollFd
		for _, fd := range []int{p.outR, p.errR} {
			if fd >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			if p.err == nil {
				p.err = p.hang()
			}
			p.r.killOne(p)
			break
		}
		unix.Poll(fds, int(left.Milliseconds())+1)
		p.drain()
	}
	err := p.cmd.Wait()
	p.r.mu.Lock()
	p.exited = true
	p.r.mu.Unlock()
	p.closePipes()
	p.out.flush()
	p.errw.flush()
	st := p.cmd.ProcessState
	switch ws, ok := st.Sys().(syscall.WaitStatus); {
	case ok && ws.Signaled():
		p.exit = 128 + int(ws.Signal())
	case st != nil:
		p.exit = st.ExitCode()
	case err != nil && p.err == nil:
		p.err = err
	}
}

// supported reports why processes cannot run here: nil, they can.
func supported() error { return nil }

// execProgram replaces the launcher with the program (execve(2)).
func execProgram(path string, argv, env []string) error { return syscall.Exec(path, argv, env) }

// lookProgram finds the program name as the process will: a name with a
// slash as a path (relative to dir, the process's working directory, when
// dir is set), any other name in the PATH of env (the process's
// environment; the last PATH wins, as getenv reads it), skipping relative
// PATH entries as os/exec does. It returns the path to start, or an error
// saying why there is none.
func lookProgram(name, dir string, env []string) (string, error) {
	executable := func(p string) error {
		if dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return err
		case fi.IsDir():
			return fmt.Errorf("%s: is a directory", p)
		case fi.Mode()&0o111 == 0:
			return fmt.Errorf("%s: permission denied (not executable)", p)
		}
		return nil
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", err
		}
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		if p := filepath.Join(d, name); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q: executable file not found in $PATH", name)
}

// pythonPath puts the shim's directory first in PYTHONPATH.
func pythonPath(dir string) string {
	if old := os.Getenv("PYTHONPATH"); old != "" {
		return dir + string(os.PathListSeparator) + old
	}
	return dir
}

// hang kills the child that kept control too long and returns the error.
func (p *process) hang() error {
	p.r.killOne(p)
	after := p.last
	if after == "" {
		after = "start-up"
	}
	return &HangError{Process: p.name, After: after, Wall: p.r.cfg.Watchdog}
}

// frame returns the next whole request in p.in, or nil.
func (p *process) frame() (*Request, error) {
	if len(p.in) < 8 {
		return nil, nil
	}
	hn, dn := binary.BigEndian.Uint32(p.in[:4]), binary.BigEndian.Uint32(p.in[4:8])
	if hn == 0 || hn > MaxHeader || dn > MaxData {
		return ReadRequest(strings.NewReader(string(p.in[:8])))
	}
	total := 8 + int(hn) + int(dn)
	if len(p.in) < total {
		return nil, nil
	}
	req, err := decodeRequest(p.in[8 : 8+hn])
	if err != nil {
		return nil, err
	}
	req.Data = slices.Clone(p.in[8+hn : total])
	p.in = p.in[total:]
	return req, nil
}
