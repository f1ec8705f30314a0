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
// directory, which Finish removes. Where processes cannot run (not a Unix
// system: Windows), it fails with an error matching [ErrStart] and
// [errors.ErrUnsupported]; the package builds everywhere.
func New(n *netsim.Network, cfg Config) (*Runner, error) {
	if err := supported(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
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
