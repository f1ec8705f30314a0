package tsharktest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const ref = "../../testdata/reference/linux-lo-tcp.pcap"

// TestSelect: one tshark pass answers several display filters as tshark -Y
// does, preferences apply, and a filter tshark rejects is reported.
func TestSelect(t *testing.T) {
	Path(t)
	t.Parallel()
	filters := []string{"tcp.flags.syn==1", "tcp.len>0", "udp", "tcp.checksum.status==bad", "tcp.bogus==1", `frame.comment contains "x"`}
	frames, valid := SelectOrErr(t, ref, []string{"-o", "tcp.check_checksum:TRUE"}, filters...)
	want := [][]int{{1, 2}, {4}, nil, {1, 2, 3, 4, 5, 6, 7, 8}, nil, nil}
	wantValid := []bool{true, true, true, true, false, true}
	if !slices.EqualFunc(frames, want, slices.Equal[[]int]) || !slices.Equal(valid, wantValid) {
		t.Errorf("Select(%q) = %v %v, want %v %v", filters, frames, valid, want, wantValid)
	}
	if testing.Short() {
		return
	}
	// Without the preference tshark does not check checksums.
	if got := Select(t, ref, nil, "tcp.checksum.status==bad"); len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("checksum check off: %v", got)
	}
	// The same answers as one tshark -Y per filter.
	for i, f := range filters[:4] {
		var rows []int
		for _, r := range FieldsWith(t, []string{"-o", "tcp.check_checksum:TRUE"}, ref, f, "frame.number") {
			rows = append(rows, int(r[0][0]-'0'))
		}
		if !slices.Equal(rows, want[i]) {
			t.Errorf("tshark -Y %q: %v, Select %v", f, rows, want[i])
		}
	}
}

// TestJobs: the number of concurrent tshark processes is bounded.
func TestJobs(t *testing.T) {
	if Jobs < 1 || cap(slots) != Jobs {
		t.Fatalf("Jobs %d, %d slots", Jobs, cap(slots))
	}
	t.Setenv(JobsEnv, "3")
	if jobs() != 3 {
		t.Errorf("%s=3: jobs() = %d", JobsEnv, jobs())
	}
	t.Setenv(JobsEnv, "zero")
	if jobs() < 1 {
		t.Errorf("%s=zero: jobs() = %d", JobsEnv, jobs())
	}
}

// TestFieldsRemembered: the same question about the same bytes, under
// another name, runs no second tshark; another question runs one.
func TestFieldsRemembered(t *testing.T) {
	Path(t)
	b, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "copy.pcap")
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := started.Load()
	a := Fields(t, ref, "tcp.len>0", "frame.number", "tcp.seq")
	c := Fields(t, other, "tcp.len>0", "frame.number", "tcp.seq")
	if n := started.Load() - before; n != 1 || len(a) != 1 || !slices.Equal(a[0], []string{"4", "1"}) || !slices.Equal(a[0], c[0]) {
		t.Errorf("%d tshark processes for one question asked twice; answers %v and %v", n, a, c)
	}
	if d := Fields(t, other, "tcp.len>0", "frame.number"); started.Load()-before != 2 || len(d) != 1 || len(d[0]) != 1 {
		t.Errorf("another question: %v, %d processes in all", d, started.Load()-before)
	}
}
