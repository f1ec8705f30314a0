package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"netsim.dev/demo"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/scenario"
	"netsim.dev/netsim/sweep"
)

const sweepUsage = `Usage: netsim sweep DEMO|SCENARIO|FILE.yaml --seeds 1-10000 [flags]
       netsim sweep --compare A.jsonl B.jsonl
       netsim sweep --merge [-o ALL.jsonl] A.jsonl B.jsonl ...

Runs a demo or a scenario once per seed, in worker processes (-j, default
the CPU count) that each run many seeds, and checks each run: a scenario's
expectations (expect:), a demo's errors. It prints a summary: how many
seeds passed, and for each failed seed its first failure, its capture
(kept in --keep DIR) and the command that reproduces it. The exit status
is 0 when every seed passed, 1 when one failed, 2 on bad usage.

--ledger FILE.jsonl records one JSON line per seed as it finishes (seed,
pass, first failure, capture sha256, frames, simulated and wall time,
netsim version, and the name of what ran: the scenario, a digest of its
parsed file, the run flags). An existing ledger is resumed: the seeds it
has of the same sweep are skipped; records of other sweeps (another
scenario, an edited file, other flags) are kept and do not count.
Two sweeps of the same seeds give the same ledger, on any machine, but
for wall_ns: --compare checks it (exit 1 naming the first seed and field
that differ). --merge joins the ledgers of shards, sorted by seed.

--shard I/N runs only the seeds whose index in --seeds is I modulo N, so
that N machines share a sweep. Without it the shard comes from Bazel's
TEST_SHARD_INDEX and TEST_TOTAL_SHARDS (TEST_SHARD_STATUS_FILE is
touched) or from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX, with
the number of shards from --shards or NETSIM_SHARDS.

A worker that crashes is the failure of the seed it ran (its standard
error is kept as DIR/seedN.crash.txt); a new worker takes the others. A
seed that takes longer than --timeout of wall time fails the same way:
its worker is sent SIGQUIT, so that the crash log holds its goroutines'
stacks (where the seed was stuck), and killed 2s later. Ctrl-C stops the
sweep, prints the summary so far and leaves the ledger whole: the same
command resumes it.

--check-determinism runs each seed twice in its worker and fails a seed
whose two captures differ (madsim's MADSIM_TEST_CHECK_DETERMINISM).

The flags of 'netsim run' that set up a run apply to every seed (-F -i
--no-expect --explain --lang, the link flags, a demo's own flags).

Examples:
  netsim sweep book-tcp --seeds 1-10000 --loss 5% --ledger tcp.jsonl
  netsim sweep my.yaml --seeds 1-500 -j 4 --keep failures/
  netsim sweep tcp --seeds 1-1000 --delay 10ms --loss 2%
  netsim sweep my.yaml --seeds 1-100000 --shard 3/8 --ledger shard3.jsonl
  netsim sweep --merge -o all.jsonl shard*.jsonl
  netsim sweep --compare here.jsonl there.jsonl

Flags:
`

// sweepFlags are netsim sweep's own flags, beside the run flags.
type sweepFlags struct {
	*runFlags
	seeds   string
	jobs    int
	ledger  string
	keep    string
	keepAll bool
	shard   string
	shards  int
	timeout time.Duration
	twice   bool // --check-determinism
	worker  bool // hidden: this process is a worker
}

// sweepOnly are the flags sweep adds to netsim run's.
var sweepOnly = []string{"seeds", "j", "ledger", "keep", "keep-all", "shard", "shards", "timeout", "check-determinism", "worker"}

// runOnly are netsim run's flags that sweep does not take, and why.
var runOnly = map[string]string{
	"w":    "-w is not used by sweep: failing seeds' captures go to --keep DIR",
	"seed": "--seed is not used by sweep: give the seeds as --seeds 1-1000",
	"q":    "-q is not used by sweep, which prints only its summary when not on a terminal",
}

func newSweepFlags() *sweepFlags {
	f := &sweepFlags{runFlags: newRunFlags("sweep")}
	f.usage = sweepUsage
	fs := f.fs
	fs.StringVar(&f.seeds, "seeds", "", "the seeds to run: `LIST` of seeds and ranges (1-10000, or 1-100,137)")
	fs.IntVar(&f.jobs, "j", runtime.NumCPU(), "worker processes running at once (at most 8 per CPU, or 64 if that is more)")
	fs.StringVar(&f.ledger, "ledger", "", "append a JSON line per seed to `FILE.jsonl`; an existing one is resumed")
	fs.StringVar(&f.keep, "keep", "netsim-sweep-failures", "keep failing seeds' captures in `DIR`, as seedN.pcap or seedN.pcapng")
	fs.BoolVar(&f.keepAll, "keep-all", false, "keep every seed's capture, not only the failing ones'")
	fs.StringVar(&f.shard, "shard", "", "run shard `I/N` of the seeds: those whose index in --seeds is I modulo N")
	fs.IntVar(&f.shards, "shards", 0, "the number of shards when the index comes from JOB_COMPLETION_INDEX (default: NETSIM_SHARDS)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "the most wall-clock `time` a seed may take: a worker that has not answered by then is killed and the seed fails (0: no limit)")
	fs.BoolVar(&f.twice, "check-determinism", false, "run each seed twice; a seed whose two captures differ fails")
	fs.BoolVar(&f.worker, "worker", false, "")
	return f
}

// printSweepFlags lists the flags sweep takes, for -h.
func (f *sweepFlags) printSweepFlags(w io.Writer) {
	show := flag.NewFlagSet("sweep", flag.ContinueOnError)
	f.fs.VisitAll(func(fl *flag.Flag) {
		if _, no := runOnly[fl.Name]; no || fl.Name == "worker" {
			return
		}
		show.Var(fl.Value, fl.Name, fl.Usage)
	})
	show.SetOutput(w)
	show.PrintDefaults()
}

// cmdSweep runs a demo or a scenario over many seeds, or compares or
// merges ledgers.
func cmdSweep(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch sweepMode(args) {
	case "h", "help":
		fmt.Fprint(stdout, sweepUsage)
		newSweepFlags().printSweepFlags(stdout)
		return 0
	case "compare":
		return sweepCompare(args, stdout, stderr)
	case "merge":
		return sweepMerge(args, stdout, stderr)
	}
	f := newSweepFlags()
	if !hasTarget(args) {
		fmt.Fprintf(stderr, "netsim sweep: name a demo or a scenario: netsim sweep NAME|FILE.yaml --seeds 1-1000, where NAME is a demo (%s) or a scenario (%s)\n", demoNames(), shippedNames())
		return 2
	}
	name, code := f.parse(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	if code := f.checkSweep(stderr); code >= 0 {
		return code
	}
	r, code := f.newSeedRunner(name, stdin, stderr)
	if code >= 0 {
		return code
	}
	if f.worker {
		return sweepWorker(r, stdin, stdout, stderr)
	}
	return sweepMain(f, r, args, stdout, stderr)
}

// sweepMode finds, among args, the flag that makes sweep do something
// else than a sweep: "h" or "help", "compare", "merge", or "" for none.
// Help comes first, so that --compare -h explains.
func sweepMode(args []string) string {
	mode := ""
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		switch name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); name {
		case "h", "help":
			return name
		case "compare", "merge":
			if mode == "" {
				mode = name
			}
		}
	}
	return mode
}

// hasTarget reports whether args name a demo or a scenario, before or
// after the flags.
func hasTarget(args []string) bool {
	name, rest := splitCommandArg(args)
	if name != "" {
		return true
	}
	fs := newSweepFlags().fs // a throwaway: parse looks again
	if err := fs.Parse(rest); err != nil {
		return true // parse says what is wrong
	}
	return fs.NArg() > 0
}

// checkSweep checks sweep's own flags. It returns an exit status, or -1.
func (f *sweepFlags) checkSweep(stderr io.Writer) int {
	var msg string
	set := visited(f.fs)
	for name, why := range runOnly {
		if set[name] {
			msg = why
		}
	}
	switch {
	case msg != "":
	case !set["seeds"]:
		msg = "--seeds is missing: give the seeds to run, as 1-10000 or 1-100,137"
	case f.jobs < 1:
		msg = fmt.Sprintf("-j %d: at least 1 worker process", f.jobs)
	case f.jobs > maxJobs():
		msg = fmt.Sprintf("-j %d: at most %d worker processes (8 per CPU, at least 64): a worker runs its seeds one after another, so more only share the CPUs, at about 30 MB each", f.jobs, maxJobs())
	case f.keep == "":
		msg = `--keep "": empty (give a directory)`
	case f.shards < 0:
		msg = fmt.Sprintf("--shards %d: at least 1", f.shards)
	case f.timeout < 0:
		msg = fmt.Sprintf("--timeout %v: negative (0 is no limit)", f.timeout)
	}
	if msg == "" {
		if _, err := sweep.ParseSeeds(f.seeds); err != nil {
			msg = fmt.Sprintf("--seeds %q: %s", f.seeds, strings.TrimPrefix(err.Error(), sweep.ErrSeeds.Error()+": "))
		}
	}
	if msg == "" && f.shard != "" {
		if _, err := sweep.ParseShard(f.shard); err != nil {
			msg = fmt.Sprintf("--shard %q: %s", f.shard, strings.TrimPrefix(err.Error(), sweep.ErrShard.Error()+": "))
		}
	}
	if msg != "" {
		fmt.Fprintf(stderr, "netsim sweep: %s\n", msg)
		return 2
	}
	return -1
}

// seedRunner runs one seed of the demo or scenario a sweep names, in a
// worker.
type seedRunner struct {
	label   string // as messages name it
	name    string // the ledger records' name: what ran (ledgerName)
	target  string // as the user gave it, for the reproduction line
	ext     string // the capture's extension: .pcap or .pcapng
	version string
	keep    string // the directory of kept captures
	keepAll bool
	twice   bool     // run each seed twice, compare the captures
	repro   []string // the run flags of the reproduction line
	buf     bytes.Buffer
	again   bytes.Buffer                                               // the second run's capture
	run     func(seed int64, capture io.Writer) (netsim.Stats, string) // the failure, or ""
}

// newSeedRunner checks what f names and prepares its runs. It returns an
// exit status, or -1.
func (f *sweepFlags) newSeedRunner(name string, stdin io.Reader, stderr io.Writer) (*seedRunner, int) {
	r := &seedRunner{label: name, target: name, version: netsimVersion(), keep: f.keep, keepAll: f.keepAll, twice: f.twice}
	f.fs.Visit(func(fl *flag.Flag) {
		if !contains(sweepOnly, fl.Name) {
			r.repro = append(r.repro, reproFlag(f.fs, fl))
		}
	})
	if f.target.demo == nil {
		if f.target.file == "-" {
			fmt.Fprintln(stderr, "netsim sweep: - (standard input) cannot be swept: the workers read their seeds there; give a FILE.yaml")
			return nil, 2
		}
		s, code := f.loadScenario(stdin, stderr)
		if code >= 0 {
			return nil, code
		}
		r.label = scenarioLabel(f.target, s)
		r.name = ledgerName(cmp.Or(s.Name, r.label), fingerprint(f.target, s), r.repro)
		o := f.runOptions()
		if code := f.explainScenario(s, &o, stderr); code >= 0 {
			return nil, code
		}
		format := capture.PCAPNG
		switch {
		case o.Format != nil:
			format = *o.Format
		case s.Capture.FormatSet:
			format = s.Capture.Format
		}
		r.ext = extension(format)
		r.run = func(seed int64, w io.Writer) (netsim.Stats, string) {
			o := o
			o.Seed, o.Capture, o.Out = &seed, w, io.Discard
			res, err := s.Run(o)
			var st netsim.Stats
			if res != nil {
				st = res.Stats
			}
			var unmet *scenario.UnmetError
			switch {
			case err == nil:
				return st, ""
			case errors.As(err, &unmet):
				return st, unmetLine(s, unmet)
			}
			msg := oneLine(err)
			if !strings.HasPrefix(msg, s.File+":") {
				msg = r.label + ": " + msg
			}
			return st, msg
		}
		return r, -1
	}
	d := *f.target.demo
	r.name = ledgerName(r.label, "", r.repro)
	p := demo.Params{
		Port: f.port, Payload: f.payload, Writes: f.writes,
		Size: f.size, Conns: f.conns, Hops: f.hops, IPv6: f.ipv6, Link: f.link, Partition: f.partition,
		Out: io.Discard,
	}
	if f.ifaces != "" {
		p.Interfaces = strings.Split(f.ifaces, ",")
	}
	if f.format == "pcapng" {
		p.Format = capture.PCAPNG
	}
	explain, code := f.explainDemo(d, &p.Format, stderr)
	if code >= 0 {
		return nil, code
	}
	if explain {
		p.Explain, p.Lang = true, f.lang
	}
	r.ext = extension(p.Format)
	r.run = func(seed int64, w io.Writer) (netsim.Stats, string) {
		p := p
		p.Seed, p.Capture = seed, w
		st, err := d.Run(p)
		if err != nil {
			return st, oneLine(err)
		}
		return st, ""
	}
	return r, -1
}

// ledgerName names what a sweep runs in its ledger records
// (sweep.Record.Name): the demo or scenario, for a scenario a digest of
// its file and data files (an edited file, or an edited data file, is
// another sweep; see fingerprint), and the flags that set up each run. A resumed sweep skips only
// the seeds of records of its own name, so a ledger is never resumed by
// another scenario or other flags, and the name is the same on every
// machine (--compare, --merge).
func ledgerName(label, digest string, flags []string) string {
	parts := []string{label}
	if digest != "" {
		parts = append(parts, "("+digest+")")
	}
	return strings.Join(append(parts, flags...), " ")
}

// fingerprint is a digest of what a scenario runs: the first 12 hex
// digits of the sha256 of its file's bytes (a shipped scenario's, or the
// file read again) and of the bytes of its `file:` data items, so that an
// edited file or data file is another sweep, and a new netsim release
// (another Go struct, the same file) is the same one.
func fingerprint(t target, s *scenario.Scenario) string {
	h := sha256.New()
	src := []byte(nil)
	if t.shipped != nil {
		src = t.shipped.source
	} else if b, err := os.ReadFile(t.file); err == nil {
		src = b
	}
	h.Write(src)
	for _, g := range s.Programs {
		for _, st := range g.Steps {
			if st.Data != nil && st.Data.File != nil {
				fmt.Fprintf(h, "\x00%d\n", len(st.Data.Bytes))
				h.Write(st.Data.Bytes)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func extension(f capture.Format) string {
	if f == capture.PCAPNG {
		return ".pcapng"
	}
	return ".pcap"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// keepProblem says why a capture could not be kept in dir.
func keepProblem(dir string) string {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "--keep " + dir + ": " + pathErr(err).Error()
	}
	f, err := os.CreateTemp(dir, ".netsim-sweep-*")
	if err != nil {
		return "--keep " + dir + ": " + pathErr(err).Error()
	}
	f.Close()
	os.Remove(f.Name())
	return "--keep " + dir + ": the worker could not write it"
}

// maxJobs is the most worker processes -j may ask for: 8 per CPU, and at
// least 64. A typo such as -j 10000 would otherwise start that many
// processes.
func maxJobs() int { return max(64, 8*runtime.NumCPU()) }

// reproFlag spells a flag the user set as netsim run takes it.
func reproFlag(fs *flag.FlagSet, fl *flag.Flag) string {
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		if fl.Value.String() == "true" {
			return dash(fl.Name)
		}
		return dash(fl.Name) + "=" + fl.Value.String()
	}
	return dash(fl.Name) + " " + shellQuote(fl.Value.String())
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,%+=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// captureName is the name of seed's kept capture.
func (r *seedRunner) captureName(seed int64) string {
	return "seed" + strconv.FormatInt(seed, 10) + r.ext
}

// crashLogName is the name of the kept standard error of the worker that
// died running seed.
func (r *seedRunner) crashLogName(seed int64) string {
	return filepath.Join(r.keep, "seed"+strconv.FormatInt(seed, 10)+".crash.txt")
}

// reproduce is the command that runs seed again and writes its capture.
func (r *seedRunner) reproduce(seed int64) string {
	parts := append([]string{"netsim run", shellQuote(r.target)}, r.repro...)
	parts = append(parts, "--seed", strconv.FormatInt(seed, 10), "-w", r.captureName(seed))
	return strings.Join(parts, " ")
}

// runSeed runs seed and says what it did; a failing seed's capture (every
// seed's with --keep-all) is written to the keep directory.
func (r *seedRunner) runSeed(seed int64) sweep.Record {
	r.buf.Reset()
	st, failure := r.run(seed, &r.buf)
	rec := sweep.Record{Name: r.name, Pass: failure == "", Failure: failure, Frames: st.Frames, SimNS: int64(st.Elapsed), Version: r.version}
	if r.twice {
		r.again.Reset()
		_, again := r.run(seed, &r.again)
		switch {
		case !bytes.Equal(r.buf.Bytes(), r.again.Bytes()):
			a, b := sha256.Sum256(r.buf.Bytes()), sha256.Sum256(r.again.Bytes())
			rec.Pass, rec.Failure = false, fmt.Sprintf("not deterministic: a second run gave other capture bytes (sha256 %x…, then %x…)", a[:6], b[:6])
		case again != failure:
			rec.Pass, rec.Failure = false, fmt.Sprintf("not deterministic: a second run ended otherwise (%q, then %q)", failure, again)
		}
	}
	if r.buf.Len() > 0 {
		sum := sha256.Sum256(r.buf.Bytes())
		rec.SHA256 = hex.EncodeToString(sum[:])
		if !rec.Pass || r.keepAll {
			if err := writeKept(filepath.Join(r.keep, r.captureName(seed)), r.buf.Bytes()); err != nil && rec.Pass {
				rec.Pass, rec.Failure = false, "keeping the capture: "+oneLine(err)
			}
		}
	}
	return rec
}

// writeKept writes a kept capture whole or not at all.
func writeKept(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".netsim-sweep-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o666&^processUmask())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// netsimVersion names the netsim that runs the seeds, for the ledger: the
// module version, and the commit it was built from when the build says.
func netsimVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev != "" && !strings.Contains(v, rev) {
		v += " " + rev + dirty
	}
	return v
}

// sweepWorker is a worker process: it runs the seeds the sweep hands it
// on stdin and answers on stdout. Ctrl-C is the sweep's to handle: the
// worker ignores it (the terminal sends it to the whole process group),
// and ends with its input.
func sweepWorker(r *seedRunner, stdin io.Reader, stdout, stderr io.Writer) int {
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP)
	if err := sweep.Serve(stdin, stdout, r.runSeed); err != nil {
		fmt.Fprintf(stderr, "netsim sweep worker: %v\n", err)
		return 1
	}
	return 0
}

// sweepMain runs the sweep: it picks the shard's seeds, skips those the
// ledger has, starts the workers and prints the progress and summary.
func sweepMain(f *sweepFlags, r *seedRunner, args []string, stdout, stderr io.Writer) int {
	all, _ := sweep.ParseSeeds(f.seeds) // checkSweep checked it
	var shard sweep.Shard
	from := "--shard"
	if f.shard != "" {
		shard, _ = sweep.ParseShard(f.shard)
	} else {
		var err error
		if shard, from, err = sweep.ShardFromEnv(os.Getenv, f.shards); err != nil {
			fmt.Fprintf(stderr, "netsim sweep: %s\n", strings.TrimPrefix(err.Error(), sweep.ErrShard.Error()+": "))
			return 2
		}
	}
	seeds := shard.Select(all)
	if shard.Count > 0 {
		fmt.Fprintf(stderr, "netsim sweep: shard %s (%s): %d of %d seeds\n", shard, from, len(seeds), len(all))
	}
	if err := sweep.TouchShardStatus(os.Getenv, func(name string) error {
		return os.WriteFile(name, nil, 0o666)
	}); err != nil {
		fmt.Fprintf(stderr, "netsim sweep: %v\n", err)
		return 1
	}

	var ledger *sweep.Writer
	var ledgerFile *sweep.LedgerFile
	if f.ledger != "" {
		lf, err := sweep.OpenLedger(f.ledger)
		var le *sweep.LedgerError
		switch {
		case errors.As(err, &le):
			fmt.Fprintf(stderr, "netsim sweep: --ledger %v\n", err)
			return 2
		case err != nil:
			fmt.Fprintf(stderr, "netsim sweep: --ledger %s: %v\n", f.ledger, pathErr(err))
			return 1
		}
		ledgerFile, ledger = lf, lf.Writer
		defer lf.Close()
		if lf.Torn {
			fmt.Fprintf(stderr, "netsim sweep: %s: its last line was cut short (a sweep interrupted while writing it); dropped\n", f.ledger)
		}
		resumeNote(stderr, f.ledger, r.name, r.version, lf.Records, seeds)
		seeds = sweep.Remaining(seeds, lf.Records, r.name)
	}

	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: cannot find netsim's own binary to start workers: %v\n", err)
		return 1
	}
	workerArgs := append([]string{"sweep", "--worker"}, args...)
	ctx, stopSignals := onSignal()
	defer stopSignals()
	prog := newProgress(stderr, len(seeds), r, f.jobs)
	sum, err := sweep.Run(sweep.Config{
		Seeds: seeds, Jobs: f.jobs, Context: ctx, Ledger: ledger, Done: prog.done, Timeout: f.timeout,
		Worker: func() *exec.Cmd { return exec.Command(exe, workerArgs...) },
		Crashed: func(seed int64, log []byte) {
			if len(log) == 0 {
				return // nothing to keep (a worker killed before it wrote anything)
			}
			if err := writeKept(r.crashLogName(seed), log); err != nil {
				fmt.Fprintf(stderr, "netsim sweep: seed %d crashed its worker; its log: %v\n", seed, err)
			}
		},
	})
	prog.end()
	if ledgerFile != nil {
		if cerr := ledgerFile.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: %w", f.ledger, cerr)
		}
	}
	printSweepSummary(stdout, r, sum, f.ledger)
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: %v\n", oneLine(err))
		return 1
	}
	if sum.Interrupted {
		left := sum.Seeds - sum.Passed - sum.Failed
		msg := fmt.Sprintf("netsim sweep: interrupted: %d seed(s) not run", left)
		if f.ledger != "" {
			msg += "; the same command resumes the sweep from " + f.ledger
		}
		fmt.Fprintln(stderr, msg)
		var se signalError
		if errors.As(context.Cause(ctx), &se) {
			return se.exitCode()
		}
		return 130
	}
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

// resumeNote says what a resumed ledger holds of seeds: how many are
// skipped (the seeds of records named as this sweep's), how many of them
// failed, whether another netsim wrote them, and how many records are of
// other sweeps or Go tests, which are left as they are.
func resumeNote(stderr io.Writer, ledger, name, version string, recs []sweep.Record, seeds []int64) {
	mine := map[int64]sweep.Record{}
	other := 0
	others := map[string]int{}
	var otherNames []string
	for _, rec := range recs {
		if rec.Name != name {
			if others[rec.Name] == 0 {
				otherNames = append(otherNames, rec.Name)
			}
			others[rec.Name]++
			continue
		}
		mine[rec.Seed] = rec
		if rec.Version != version {
			other++
		}
	}
	if len(otherNames) > 0 {
		n := 0
		for _, c := range others {
			n += c
		}
		first := otherNames[0]
		if first == "" {
			first = "an older netsim sweep's, which named no sweep"
		} else {
			first = strconv.Quote(first)
		}
		more := ""
		if len(otherNames) > 1 {
			more = fmt.Sprintf(" and %d more", len(otherNames)-1)
		}
		fmt.Fprintf(stderr, "netsim sweep: %s: %d record(s) are of other runs (%s%s), not of %q: they are kept, and do not count as this sweep's\n",
			ledger, n, first, more, name)
	}
	if other > 0 {
		fmt.Fprintf(stderr, "netsim sweep: %s: %d record(s) are from another netsim than this one (%s): their seeds are skipped all the same\n", ledger, other, version)
	}
	skipped, failed := 0, 0
	for _, s := range seeds {
		if rec, ok := mine[s]; ok {
			skipped++
			if !rec.Pass {
				failed++
			}
		}
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "netsim sweep: %s: %d seed(s) already in the ledger (%d failed), skipped; %d to run\n",
			ledger, skipped, failed, len(seeds)-skipped)
	}
}

// printSweepSummary says what the sweep did: the counts, then each failed
// seed with its first failure, its capture and its reproduction.
func printSweepSummary(w io.Writer, r *seedRunner, sum sweep.Summary, ledger string) {
	ran := sum.Passed + sum.Failed
	rate := ""
	if s := sum.Wall.Seconds(); s > 0 && ran > 0 {
		rate = fmt.Sprintf(", %.0f seeds/s", float64(ran)/s)
	}
	fmt.Fprintf(w, "netsim sweep: %s: %d seed(s) run, %d passed, %d failed (%v%s)\n",
		r.label, ran, sum.Passed, sum.Failed, sum.Wall.Round(time.Millisecond), rate)
	const shown = 20
	for i, rec := range sum.Failures {
		if i == shown {
			where := "--ledger FILE.jsonl records them all"
			if ledger != "" {
				where = ledger + " has them all"
			}
			fmt.Fprintf(w, "... and %d more failed seed(s) (%s)\n", len(sum.Failures)-shown, where)
			break
		}
		fmt.Fprintf(w, "FAIL seed %d: %s\n", rec.Seed, rec.Failure)
		if rec.SHA256 != "" {
			// The worker keeps the capture; say so only if it is there.
			path := filepath.Join(r.keep, r.captureName(rec.Seed))
			if _, err := os.Stat(path); err == nil {
				fmt.Fprintf(w, "  capture:   %s\n", path)
			} else {
				fmt.Fprintf(w, "  capture:   not kept: %s\n", keepProblem(r.keep))
			}
		}
		if rec.Crashed {
			if fi, err := os.Stat(r.crashLogName(rec.Seed)); err == nil && fi.Size() > 0 {
				fmt.Fprintf(w, "  crash log: %s\n", r.crashLogName(rec.Seed))
			}
		}
		fmt.Fprintf(w, "  reproduce: %s\n", r.reproduce(rec.Seed))
	}
}

// progress shows a sweep's progress on a terminal: one line, redrawn.
type progress struct {
	w       io.Writer
	tty     bool
	total   int
	n       int
	failed  int
	start   time.Time
	last    time.Time
	r       *seedRunner
	workers int
}

func newProgress(w io.Writer, total int, r *seedRunner, jobs int) *progress {
	p := &progress{w: w, total: total, start: time.Now(), r: r, workers: jobs}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	p.draw()
	return p
}

// done counts a finished seed; on a terminal, a failure gets a line of its
// own above the progress line.
func (p *progress) done(rec sweep.Record) {
	p.n++
	if !rec.Pass {
		p.failed++
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[KFAIL seed %d: %s\n", rec.Seed, rec.Failure)
			p.last = time.Time{}
		}
	}
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || p.n == p.total {
		p.last = now
		p.draw()
	}
}

func (p *progress) draw() {
	if !p.tty {
		return
	}
	elapsed := time.Since(p.start)
	line := fmt.Sprintf("%d/%d seeds, %d failed", p.n, p.total, p.failed)
	if p.n > 0 && elapsed > 0 {
		rate := float64(p.n) / elapsed.Seconds()
		left := time.Duration(float64(p.total-p.n) / rate * float64(time.Second))
		line += fmt.Sprintf(", %.0f/s, %v left", rate, left.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// end clears the progress line.
func (p *progress) end() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// sweepCompare is netsim sweep --compare A B.
func sweepCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("compare", false, "")
	files, err := parseInterspersed(fs, args)
	if err == nil && len(files) != 2 {
		err = fmt.Errorf("--compare takes two ledgers: netsim sweep --compare A.jsonl B.jsonl (got %d)", len(files))
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: %s\n", flagError(err))
		return 2
	}
	var ledgers [2][]sweep.Record
	for i, name := range files {
		recs, code := readLedgerFile(name, stderr)
		if code >= 0 {
			return code
		}
		ledgers[i] = recs
	}
	if err := sweep.Compare(files[0], ledgers[0], files[1], ledgers[1]); err != nil {
		fmt.Fprintf(stderr, "netsim sweep: %s and %s differ: %v\n", files[0], files[1], err)
		return 1
	}
	m, _ := sweep.Merge(ledgers[0])
	fmt.Fprintf(stdout, "netsim sweep: %s and %s: the same %d seed(s), the same records (wall times aside)\n", files[0], files[1], len(m))
	return 0
}

// sweepMerge is netsim sweep --merge [-o OUT] A B ...
func sweepMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("merge", false, "")
	out := fs.String("o", "-", "")
	files, err := parseInterspersed(fs, args)
	if err == nil && len(files) == 0 {
		err = errors.New("--merge takes the ledgers to merge: netsim sweep --merge -o ALL.jsonl A.jsonl B.jsonl [...]")
	}
	if err == nil && *out == "" {
		err = errors.New(`-o "": empty (give a file, or - for standard output)`)
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: %s\n", flagError(err))
		return 2
	}
	var all [][]sweep.Record
	for _, name := range files {
		recs, code := readLedgerFile(name, stderr)
		if code >= 0 {
			return code
		}
		all = append(all, recs)
	}
	merged, err := sweep.Merge(all...)
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: --merge: %v\n", err)
		return 1
	}
	if *out == "-" {
		w := sweep.NewWriter(stdout)
		for _, r := range merged {
			if err = w.Write(r); err != nil {
				break
			}
		}
	} else {
		err = sweep.WriteFile(*out, merged)
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsim sweep: -o %s: %v\n", *out, pathErr(err))
		return 1
	}
	if *out != "-" {
		fmt.Fprintf(stderr, "netsim sweep: merged %d ledger(s) into %s: %d seed(s)\n", len(files), *out, len(merged))
	}
	return 0
}

// parseInterspersed parses fs's flags wherever they are among args and
// returns the other arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readLedgerFile reads a ledger. It returns an exit status, or -1.
func readLedgerFile(name string, stderr io.Writer) ([]sweep.Record, int) {
	recs, torn, err := sweep.ReadFile(name)
	var le *sweep.LedgerError
	switch {
	case errors.As(err, &le):
		fmt.Fprintf(stderr, "netsim sweep: %v\n", err)
		return nil, 2
	case err != nil:
		fmt.Fprintf(stderr, "netsim sweep: %s: %v\n", name, pathErr(err))
		return nil, 1
	}
	if torn {
		fmt.Fprintf(stderr, "netsim sweep: %s: its last line was cut short (an interrupted sweep); dropped\n", name)
	}
	return recs, -1
}
