package proc

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"netsim.dev/netsim"
)

//go:embed shim/*.py
var shimFS embed.FS

// DefaultWatchdog is how long, in wall time, a process may go without a
// call to netsim (computing, or blocked outside the shim: reading its
// standard input, a real sleep, a busy loop) before it is killed and the
// run fails with a [*HangError] naming it, when [Config.Watchdog] is zero.
// Python's start-up counts: it takes 0.1 to 1 s, more on a loaded machine.
const DefaultWatchdog = 30 * time.Second

// ClockTick is the virtual time a clock read (time.time, time.monotonic,
// datetime.now...) takes, so that a loop waiting for the clock to pass an
// instant ends, as it does on a real machine.
const ClockTick = time.Microsecond

// Environment variables a child process gets.
const (
	// EnvFDs names the child's request and reply descriptors: "3,4".
	EnvFDs = "NETSIM_PROC_FDS"
	// EnvLaunch marks the launcher's own process (see [Launch]).
	EnvLaunch = "NETSIM_PROC_LAUNCH"
)

// Config is what every process of a run shares.
type Config struct {
	// Stdout and Stderr receive what the processes print, each line
	// prefixed "NAME: " (nil: discarded). Lines come in the order of the
	// virtual clock: what a process printed before a call is written when
	// the call is made, before anything that happens after it.
	Stdout, Stderr io.Writer
	// Watchdog is how long, in wall time, a process may compute without a
	// call to netsim; zero means [DefaultWatchdog].
	Watchdog time.Duration
	// Launcher is an executable whose main function calls [Launch] first
	// (the netsim command is one): each process is started through it, and
	// it installs a seccomp filter that makes every socket(2) call but
	// AF_UNIX's fail with EPERM before it executes the program, so that
	// nothing a program does (a C extension, Python's _socket) reaches the
	// host's network. Empty: no filter (the shim still refuses _socket).
	Launcher string
	// Seed seeds each process's random and os.urandom (with its name).
	Seed int64
	// Env is added to every process's environment (after the shim's own
	// variables, so it may override PYTHONHASHSEED).
	Env []string
}

// Process is one program to run over the simulated network.
type Process struct {
	// Name prefixes its output and names it in reports and in the
	// capture's explanations; empty: derived from Argv ([DefaultName]).
	Name string
	// Host is the host it runs on; empty: the network's first host.
	Host string
	// At is the virtual time at which it starts.
	At time.Duration
	// Argv is the program and its arguments. A program name without a
	// slash is looked up in the process's PATH (Env's, if it sets one),
	// one with a slash relative to Dir; one not found (or not executable)
	// fails to start with an error matching [ErrStart].
	Argv []string
	// Dir is its working directory; empty: netsim's.
	Dir string
	// Env is added to its environment.
	Env []string
	// Daemon marks a server that does not end by itself: the run does not
	// wait for it. Once every other process has exited, it is killed and
	// its sockets are closed in descriptor order, as the kernel does for a
	// killed process; its exit status then counts for nothing.
	Daemon bool
}

// Result is how a process ended.
type Result struct {
	// Name is the process's name.
	Name string
	// ExitCode is its exit status, 128+N if signal N killed it, -1 if it
	// never started.
	ExitCode int
	// Calls counts the requests it made.
	Calls int
	// Reaped says the process was a daemon, killed once the others ended.
	Reaped bool
	// Err is what went wrong on netsim's side: a [*HangError], an error
	// matching [ErrProtocol] or [ErrStart]; nil otherwise.
	Err error
}

// Runner starts processes as tasks of one network. Make one with [New],
// add processes with [Runner.Add] before the network runs, and call
// [Runner.Finish] with the run's error once it has returned.
type Runner struct {
	n        *netsim.Network
	cfg      Config
	dir      string // the shim's directory
	procs    []*process
	live     int        // processes not daemons that have not ended
	mu       sync.Mutex // guards the children's state against Kill
	killed   bool
	finished bool
}

// New returns a runner for network n. It writes the shim to a temporary
// directory, which Finish removes.
func New(n *netsim.Network, cfg Config) (*Runner, error) {
	if n == nil {
		return nil, errors.New("proc: nil network")
	}
	if cfg.Watchdog <= 0 {
		cfg.Watchdog = DefaultWatchdog
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	dir, err := os.MkdirTemp("", "netsim-shim-")
	if err != nil {
		return nil, fmt.Errorf("proc: the shim's directory: %w", err)
	}
	names, _ := shimFS.ReadDir("shim")
	for _, e := range names {
		b, _ := shimFS.ReadFile("shim/" + e.Name())
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("proc: writing the shim: %w", err)
		}
	}
	return &Runner{n: n, cfg: cfg, dir: dir}, nil
}

// DefaultName is the name of a process with no Name: the base name of the
// first argument ending in .py without it (python3 tcp_recv.py:
// "tcp_recv"), else the program's base name.
func DefaultName(argv []string) string {
	if len(argv) == 0 {
		return "process"
	}
	for _, a := range argv[1:] {
		if strings.HasSuffix(a, ".py") {
			return strings.TrimSuffix(filepath.Base(a), ".py")
		}
	}
	return filepath.Base(argv[0])
}

// Add adds a process: it starts as a task of the network (at p.At of
// virtual time) when the network runs. A process with no name gets
// [DefaultName], with "#2", "#3" for a name already taken.
func (r *Runner) Add(p Process) error {
	if len(p.Argv) == 0 || p.Argv[0] == "" {
		return fmt.Errorf("%w: no program", ErrStart)
	}
	if p.At < 0 || p.At > netsim.MaxDuration {
		return fmt.Errorf("%w: start time %v out of range", ErrStart, p.At)
	}
	hosts := r.n.Hosts()
	if len(hosts) == 0 {
		return fmt.Errorf("%w: the network has no host", ErrStart)
	}
	host := hosts[0]
	if p.Host != "" {
		if host = r.n.Host(p.Host); host == nil {
			var names []string
			for _, h := range hosts {
				names = append(names, h.Name())
			}
			return fmt.Errorf("%w %q (hosts: %s)", ErrNoHost, p.Host, strings.Join(names, ", "))
		}
	}
	var taken []string
	for _, q := range r.procs {
		taken = append(taken, q.name)
	}
	name, err := nameFor(p, taken)
	if err != nil {
		return err
	}
	pr := &process{r: r, spec: p, name: name, host: host, index: len(r.procs),
		socks: map[int]*sock{}, exit: -1, req: -1, rep: -1, outR: -1, errR: -1}
	pr.seed = processSeed(r.cfg.Seed, name)
	pr.out = &lineWriter{w: r.cfg.Stdout, prefix: name + ": "}
	pr.errw = &lineWriter{w: r.cfg.Stderr, prefix: name + ": "}
	r.procs = append(r.procs, pr)
	if !p.Daemon {
		r.live++
	}
	r.n.GoNamed(name, pr.task)
	return nil
}

// nameFor returns the name of process p, given the names taken.
func nameFor(p Process, taken []string) (string, error) {
	if p.Name != "" {
		if slices.Contains(taken, p.Name) {
			return "", fmt.Errorf("%w: two processes named %q", ErrStart, p.Name)
		}
		return p.Name, nil
	}
	base := DefaultName(p.Argv)
	name := base
	for k := 2; slices.Contains(taken, name); k++ {
		name = fmt.Sprintf("%s#%d", base, k)
	}
	return name, nil
}

// Names returns the names processes get when added in this order: their
// own, or [DefaultName] made unique.
func Names(procs []Process) ([]string, error) {
	var names []string
	for _, p := range procs {
		name, err := nameFor(p, names)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

// processSeed derives a process's seed from the run's and its name.
func processSeed(seed int64, name string) int64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h := sha256.Sum256(append(b[:], name...))
	return int64(binary.BigEndian.Uint64(h[:8]) >> 1)
}

// Kill ends every process still running (SIGKILL): for a run that was
// interrupted, before the network is closed. Their tasks then end.
func (r *Runner) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.killed = true
	for _, p := range r.procs {
		if p.cmd != nil && p.cmd.Process != nil && !p.exited {
			p.cmd.Process.Kill()
		}
	}
}

// Results returns how each process ended, in the order they were added.
// Call it after Finish.
func (r *Runner) Results() []Result {
	var res []Result
	for _, p := range r.procs {
		res = append(res, Result{Name: p.name, ExitCode: p.exit, Calls: p.calls, Err: p.err, Reaped: p.reaped})
	}
	return res
}

// Finish ends the runner after the network's run returned runErr: it
// kills the processes still running, removes the shim's directory, and
// returns the run's outcome as one error: runErr's deadlock as a
// [*DeadlockError] naming each process and the call it waits in, else
// runErr, else the first process (in the order added) that netsim could
// not serve ([*HangError], [ErrProtocol]), else the first that failed
// ([*ExitError]), else nil. Call it before the network's Close when the run
// failed, or after (the processes of a run that ended are already gone).
func (r *Runner) Finish(runErr error) error {
	waiting := r.waiting()
	r.Kill()
	if !r.finished {
		r.finished = true
		os.RemoveAll(r.dir)
	}
	var de *netsim.DeadlockError
	if errors.As(runErr, &de) {
		return &DeadlockError{Waiting: waiting, Err: runErr}
	}
	if runErr != nil {
		return runErr
	}
	for _, p := range r.procs {
		if p.err != nil && !p.reaped {
			return fmt.Errorf("%s: %w", p.name, p.err)
		}
	}
	for _, p := range r.procs {
		if p.exit != 0 && !p.reaped {
			return &ExitError{Process: p.name, Code: p.exit, NoShim: p.calls == 0}
		}
	}
	return nil
}

// waiting lists the processes that wait in a call.
func (r *Runner) waiting() []Waiting {
	var w []Waiting
	for _, p := range r.procs {
		switch {
		case p.reaped:
		case p.torn != "":
			w = append(w, Waiting{Process: p.name, Call: p.torn})
		case p.started && !p.exited:
			w = append(w, Waiting{Process: p.name, Call: p.call})
		}
	}
	return w
}

// Run runs the processes on n: it adds them to a [Runner], runs the
// network (RunContext with ctx), and closes it, which flushes the capture.
// The error is [Runner.Finish]'s, joined with Close's.
func Run(ctx context.Context, n *netsim.Network, cfg Config, procs ...Process) ([]Result, error) {
	r, err := New(n, cfg)
	if err != nil {
		n.Close()
		return nil, err
	}
	for _, p := range procs {
		if err := r.Add(p); err != nil {
			r.Finish(nil)
			n.Close()
			return nil, err
		}
	}
	stop := context.AfterFunc(ctx, r.Kill)
	defer stop()
	runErr := n.RunContext(ctx)
	err = r.Finish(runErr)
	if cerr := n.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return r.Results(), err
}

// process is one child process and its task.
type process struct {
	r     *Runner
	spec  Process
	name  string
	host  *netsim.Host
	index int
	seed  int64

	cmd                  *exec.Cmd
	req, rep, outR, errR int // the parent's ends: raw, non-blocking descriptors
	in                   []byte
	out, errw            *lineWriter

	socks map[int]*sock

	started, exited bool
	call            string // the call it makes now, for deadlock reports
	last            string // the last call it made, for hang reports
	torn            string // the call it was in when the network was torn down
	reaped          bool   // a daemon the runner killed once the others ended
	calls           int
	exit            int
	err             error
}

// task is the process's netsim task: it starts the child, serves its
// requests, closes what it left open and collects its exit status.
func (p *process) task() {
	n := p.r.n
	if !p.spec.Daemon {
		defer p.r.ended()
	}
	if p.spec.At > 0 {
		n.Sleep(p.spec.At)
	}
	if p.reaped {
		p.exited = true
		return // a daemon whose time came after the others had ended
	}
	if err := p.start(); err != nil {
		p.err = err
		p.exited = true
		return
	}
	for {
		req, err := p.readRequest()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.err = err
				p.r.killOne(p)
			}
			break
		}
		p.calls++
		rep := p.handle(req)
		if err := p.writeReply(rep); err != nil {
			if !errors.Is(err, syscall.EPIPE) {
				p.err = err
			}
			p.r.killOne(p)
			break
		}
	}
	p.call = "exit"
	p.closeAll() // the sockets it left open
	p.wait()
	p.call = ""
}

// ended counts a process that is not a daemon as ended; after the last,
// it kills the daemons and closes their sockets, from the ending task.
func (r *Runner) ended() {
	if r.live--; r.live > 0 {
		return
	}
	for _, d := range r.procs {
		if !d.spec.Daemon || d.exited {
			continue
		}
		d.reaped = true
		r.killOne(d)
		d.closeAll()
	}
}

// closeAll closes the process's sockets in descriptor order, as the
// kernel does when a process exits or is killed.
func (p *process) closeAll() {
	fds := make([]int, 0, len(p.socks))
	for fd := range p.socks {
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	for _, fd := range fds {
		p.socks[fd].close()
		delete(p.socks, fd)
	}
}

// killOne kills p's child.
func (r *Runner) killOne(p *process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil && !p.exited {
		p.cmd.Process.Kill()
	}
}

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

// lineWriter prefixes each line written to w.
type lineWriter struct {
	w       io.Writer
	prefix  string
	partial []byte
}

// Write writes the whole lines of b, prefixed, and keeps the rest.
func (l *lineWriter) Write(b []byte) (int, error) {
	l.partial = append(l.partial, b...)
	for {
		i := slices.Index(l.partial, '\n')
		if i < 0 {
			break
		}
		io.WriteString(l.w, l.prefix)
		l.w.Write(l.partial[:i+1])
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

// flush writes a last line without its newline, adding one.
func (l *lineWriter) flush() {
	if len(l.partial) > 0 {
		io.WriteString(l.w, l.prefix)
		l.w.Write(l.partial)
		io.WriteString(l.w, "\n")
		l.partial = nil
	}
}
