package sweep

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The lines of the protocol between [Run] and [Serve]. Run writes a seed
// per line to a worker's standard input; the worker answers on its
// standard output with readyLine once, when it starts, then with
// recordPrefix and the JSON of the seed's [Record]. Other lines on its
// output are ignored (a program that prints to standard output cannot
// break the protocol).
const (
	readyLine    = "netsim-sweep ready"
	recordPrefix = "netsim-sweep record "
)

// ErrWorker is matched (errors.Is) by the error [Run] returns when a
// worker process cannot be started, or dies before it says it is ready:
// then no seed could run at all, and the sweep stops.
var ErrWorker = errors.New("sweep: worker process failed to start")

// Config is a sweep, as [Run] runs it.
type Config struct {
	// Seeds are the seeds to run, handed out in this order.
	Seeds []int64
	// Jobs is how many worker processes run at once (0: runtime.NumCPU()).
	Jobs int
	// Worker returns the command of a new worker process: a program that
	// calls [Serve] on its standard input and output (netsim sweep runs
	// its own binary in a hidden worker mode). Its Stdin, Stdout and
	// Stderr must be left nil: Run connects them.
	Worker func() *exec.Cmd
	// Context, if not nil, ends the sweep early when done: the workers
	// are killed, the seeds they were running are not recorded (a resumed
	// sweep runs them), and the [Summary] says Interrupted.
	Context context.Context
	// Ledger, if not nil, receives each record as its seed finishes.
	Ledger *Writer
	// Done, if not nil, is called with each record as its seed finishes,
	// after Ledger has it, from one goroutine, in the order seeds finish.
	Done func(Record)
	// Timeout, if above 0, is the most wall-clock time a seed may take:
	// a worker that has not answered by then gets SIGQUIT (a Go worker
	// then writes its goroutines' stacks to its standard error, which
	// Crashed receives) and is killed [QuitGrace] later, and the seed is
	// recorded as a crash that timed out (a seed that hangs must not hang
	// the sweep).
	Timeout time.Duration
	// Crashed, if not nil, is called when a worker dies while running
	// seed, with the last [CrashLogSize] bytes it wrote to its standard
	// error since it was handed the seed (a panic's stack, typically),
	// before the seed's record is given to Ledger and Done. It may be
	// called from several goroutines at once.
	Crashed func(seed int64, stderr []byte)
}

// CrashLogSize is how much of a dead worker's standard error
// [Config.Crashed] is given: its last 64 KiB.
const CrashLogSize = 64 << 10

// Summary is what a sweep did.
type Summary struct {
	// Seeds is how many seeds the sweep was given, Passed and Failed how
	// many of them ran (the rest were left by an interruption).
	Seeds, Passed, Failed int
	// Failures are the records of the failed seeds, sorted by seed.
	Failures []Record
	// Interrupted is true when Config.Context ended the sweep early.
	Interrupted bool
	// Wall is the sweep's wall-clock time.
	Wall time.Duration
}

// Run runs c's seeds in c.Jobs worker processes, each running seed after
// seed until none is left, and returns the summary. A worker that dies
// while running a seed (a crash, a kill) is recorded as that seed's
// failure, with Crashed set and the first line of its panic, and a new
// worker takes its place: one crash loses no other seed. The error is
// [ErrWorker] if a worker cannot start, an error writing c.Ledger, or
// nil; an interruption is no error (see [Summary.Interrupted]).
func Run(c Config) (Summary, error) {
	start := time.Now()
	parent := c.Context
	if parent == nil {
		parent = context.Background()
	}
	jobs := c.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	jobs = max(1, min(jobs, len(c.Seeds)))
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	s := &sweeper{c: c, ctx: ctx, cancel: cancel, procs: map[*proc]bool{}}

	// Kill every worker when the sweep ends early; stop watching when it
	// ends.
	watchDone := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			s.killAll()
		case <-watchDone:
		}
	}()

	results := make(chan Record)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(results)
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	sum := Summary{Seeds: len(c.Seeds)}
	var writeErr error
	for r := range results {
		if c.Ledger != nil && writeErr == nil {
			if writeErr = c.Ledger.Write(r); writeErr != nil {
				writeErr = fmt.Errorf("sweep: writing the ledger: %w", writeErr)
				cancel(writeErr)
			}
		}
		if r.Pass {
			sum.Passed++
		} else {
			sum.Failed++
			sum.Failures = append(sum.Failures, r)
		}
		if c.Done != nil {
			c.Done(r)
		}
	}
	close(watchDone)
	<-watched
	slices.SortFunc(sum.Failures, func(a, b Record) int {
		return cmp.Compare(a.Seed, b.Seed)
	})
	sum.Wall = time.Since(start)
	err := context.Cause(ctx)
	switch {
	case parent.Err() != nil:
		sum.Interrupted = true
		return sum, nil
	case errors.Is(err, context.Canceled):
		return sum, nil
	}
	return sum, err
}

// sweeper is a running sweep: the seeds not yet handed out, and the
// worker processes alive.
type sweeper struct {
	c      Config
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	next  int // index in c.Seeds of the next seed to hand out
	procs map[*proc]bool
}

// take returns the next seed to run, or false when there is none left or
// the sweep is ending.
func (s *sweeper) take() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil || s.next >= len(s.c.Seeds) {
		return 0, false
	}
	seed := s.c.Seeds[s.next]
	s.next++
	return seed, true
}

func (s *sweeper) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.procs {
		p.cmd.Process.Kill()
	}
}

// work runs seeds in one worker process after another until none is left.
func (s *sweeper) work(results chan<- Record) {
	var p *proc
	defer func() {
		if p != nil {
			s.stop(p)
		}
	}()
	for {
		seed, ok := s.take()
		if !ok {
			return
		}
		if p == nil {
			var err error
			if p, err = s.start(); err != nil {
				if s.ctx.Err() == nil {
					s.cancel(err)
				}
				return
			}
		}
		var timedOut atomic.Bool
		var timer *time.Timer
		start := time.Now()
		if s.c.Timeout > 0 {
			proc := p
			timer = time.AfterFunc(s.c.Timeout, func() {
				timedOut.Store(true)
				proc.quit()
			})
		}
		r, err := p.run(seed)
		if timer != nil && (!timer.Stop() || time.Since(start) >= s.c.Timeout) && err == nil {
			// The record came as the timer fired, or after its time but
			// before the runtime ran it (a loaded machine): the seed took
			// at least Timeout, so it timed out all the same (which of
			// the two came first is a race), and its worker is killed.
			s.stop(p)
			log := p.stderr.bytes()
			p = nil
			r = Record{Seed: seed, Crashed: true, Failure: fmt.Sprintf("timed out: no result after %v of wall time; worker process killed", s.c.Timeout)}
			if s.c.Crashed != nil {
				s.c.Crashed(seed, log)
			}
		}
		if err != nil {
			reason, log := s.stop(p), p.stderr.bytes()
			p = nil
			if s.ctx.Err() != nil {
				return // killed by the interruption: the seed is not run
			}
			r = Record{Seed: seed, Crashed: true, Failure: "worker process died: " + reason}
			if timedOut.Load() {
				r.Failure = fmt.Sprintf("timed out: no result after %v of wall time; worker process killed", s.c.Timeout)
			}
			if s.c.Crashed != nil {
				s.c.Crashed(seed, log)
			}
		}
		results <- r
	}
}

// start starts a worker process and waits until it is ready.
func (s *sweeper) start() (*proc, error) {
	if s.c.Worker == nil {
		return nil, fmt.Errorf("%w: no Worker command in the Config", ErrWorker)
	}
	cmd := s.c.Worker()
	p := &proc{cmd: cmd, stderr: &tail{}}
	cmd.Stderr = p.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWorker, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWorker, err)
	}
	p.in, p.out = in, bufio.NewReader(out)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWorker, err)
	}
	s.mu.Lock()
	s.procs[p] = true
	s.mu.Unlock()
	if s.ctx.Err() != nil {
		cmd.Process.Kill()
	}
	for {
		line, err := p.out.ReadString('\n')
		if strings.TrimSpace(line) == readyLine {
			return p, nil
		}
		if err != nil {
			reason := s.stop(p)
			return nil, fmt.Errorf("%w: %s: %s", ErrWorker, cmd.Path, reason)
		}
	}
}

// stop ends p (closing its input, then waiting for it) and says how it
// ended when that was not a clean exit: the first line of its panic, or
// its exit status.
func (s *sweeper) stop(p *proc) string {
	p.in.Close()
	err := p.cmd.Wait()
	p.mu.Lock()
	if p.kill != nil {
		p.kill.Stop()
	}
	p.mu.Unlock()
	s.mu.Lock()
	delete(s.procs, p)
	s.mu.Unlock()
	return p.stderr.reason(err)
}

// proc is one worker process.
type proc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tail

	mu   sync.Mutex
	kill *time.Timer // set by quit
}

// QuitGrace is how long a worker whose seed timed out has, after SIGQUIT,
// to write its goroutines' stacks (a Go program's answer to SIGQUIT) to
// its standard error, the seed's crash log, before it is killed.
const QuitGrace = 2 * time.Second

// quit asks p for its stacks with SIGQUIT and kills it QuitGrace later;
// where SIGQUIT cannot be sent (Windows), it kills p at once.
func (p *proc) quit() {
	if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		p.cmd.Process.Kill()
		return
	}
	p.mu.Lock()
	p.kill = time.AfterFunc(QuitGrace, func() { p.cmd.Process.Kill() })
	p.mu.Unlock()
}

// run hands seed to the worker and waits for its record.
func (p *proc) run(seed int64) (Record, error) {
	p.stderr.reset()
	if _, err := io.WriteString(p.in, strconv.FormatInt(seed, 10)+"\n"); err != nil {
		return Record{}, err
	}
	for {
		line, err := p.out.ReadString('\n')
		if text, ok := strings.CutPrefix(line, recordPrefix); ok && err == nil {
			var r Record
			if jerr := json.Unmarshal([]byte(text), &r); jerr != nil {
				return Record{}, fmt.Errorf("worker's record: %w", jerr)
			}
			if r.Seed != seed {
				return Record{}, fmt.Errorf("worker answered seed %d for seed %d", r.Seed, seed)
			}
			return r, nil
		}
		if err != nil {
			return Record{}, err
		}
	}
}

// tail keeps what a worker writes to its standard error that says why it
// died: the first line starting "panic:" or "fatal error:" since the last
// reset, else the last line.
type tail struct {
	mu          sync.Mutex
	partial     []byte
	first, last string
	raw         []byte // the last CrashLogSize bytes
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.raw = append(t.raw, b...)
	if n := len(t.raw); n > CrashLogSize {
		t.raw = append(t.raw[:0], t.raw[n-CrashLogSize:]...)
	}
	t.partial = append(t.partial, b...)
	for {
		i := slices.Index(t.partial, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if len(t.partial) > 4096 {
		t.line(string(t.partial))
		t.partial = t.partial[:0]
	}
	return len(b), nil
}

func (t *tail) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if t.first == "" && (strings.HasPrefix(s, "panic:") || strings.HasPrefix(s, "fatal error:")) {
		t.first = s
	}
	t.last = s
}

func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.first, t.last, t.raw = "", "", t.raw[:0]
}

// bytes returns a copy of the last bytes written since the last reset.
func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.raw)
}

// reason says why the process ended with err (from exec.Cmd.Wait).
func (t *tail) reason(err error) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	status := "exited"
	if err != nil {
		status = err.Error()
	}
	switch {
	case t.first != "":
		return status + ": " + t.first
	case t.last != "":
		return status + ": " + t.last
	}
	return status
}

// Serve is the worker side of [Run]: it says it is ready on w, then reads
// seeds from r, one per line, and for each writes the [Record] that
// run(seed) returns to w, with its Seed set and, if run left it 0, its
// WallNS measured, until r ends. It returns nil at the end of r, or the
// first error reading r or writing w. run must not write to w.
func Serve(r io.Reader, w io.Writer, run func(seed int64) Record) error {
	if _, err := io.WriteString(w, readyLine+"\n"); err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		seed, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("sweep: worker: %q is not a seed", text)
		}
		start := time.Now()
		rec := run(seed)
		rec.Seed = seed
		if rec.WallNS == 0 {
			rec.WallNS = int64(time.Since(start))
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, recordPrefix+string(b)+"\n"); err != nil {
			return err
		}
	}
	return sc.Err()
}
