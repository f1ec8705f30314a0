package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	got, err := ParseSeeds("1-3, 7,-5,10-10,-9223372036854775808")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 3, 7, -5, 10, -9223372036854775808}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "x", "5-1", "1-3,2", "1-10,5", "1-5,5-9", "1-", "1-2-3", "0-10000000", "0-5000000,5000001-10000000"} {
		if _, err := ParseSeeds(bad); !errors.Is(err, ErrSeeds) {
			t.Errorf("ParseSeeds(%q) = %v, want ErrSeeds", bad, err)
		}
	}
}

func TestShardsCoverOnce(t *testing.T) {
	seeds, _ := ParseSeeds("1-1000")
	for n := 1; n <= 7; n++ {
		var all []int64
		for i := range n {
			all = append(all, Shard{i, n}.Select(seeds)...)
		}
		slices.Sort(all)
		if !slices.Equal(all, seeds) {
			t.Fatalf("%d shards: cover %d seeds, not each of 1000 once", n, len(all))
		}
	}
}

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("2/5"); err != nil || s != (Shard{2, 5}) || s.String() != "2/5" {
		t.Fatalf("ParseShard(2/5) = %v, %v", s, err)
	}
	for _, bad := range []string{"5/5", "-1/3", "1/0", "x", "1/", "1"} {
		if _, err := ParseShard(bad); !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q) = %v, want ErrShard", bad, err)
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		env   map[string]string
		total int
		want  Shard
		bad   bool
	}{
		{env: nil},
		{env: map[string]string{EnvBazelIndex: "1", EnvBazelTotal: "4"}, want: Shard{1, 4}},
		{env: map[string]string{EnvBazelIndex: "4", EnvBazelTotal: "4"}, bad: true},
		{env: map[string]string{EnvBazelIndex: "1"}, bad: true},
		{env: map[string]string{EnvJobIndex: "2", EnvShards: "3"}, want: Shard{2, 3}},
		{env: map[string]string{EnvJobIndex: "2", EnvShards: "3"}, total: 5, want: Shard{2, 5}},
		{env: map[string]string{EnvJobIndex: "2"}, bad: true},
		{env: map[string]string{EnvJobIndex: "x", EnvShards: "3"}, bad: true},
		{env: map[string]string{EnvJobIndex: "3", EnvShards: "3"}, bad: true},
	} {
		s, from, err := ShardFromEnv(env(c.env), c.total)
		if c.bad {
			if !errors.Is(err, ErrShard) {
				t.Errorf("%v: err %v, want ErrShard", c.env, err)
			}
			continue
		}
		if err != nil || s != c.want || (c.env != nil) != (from != "") {
			t.Errorf("%v: %v %q %v, want %v", c.env, s, from, err, c.want)
		}
	}
	var touched string
	err := TouchShardStatus(env(map[string]string{EnvBazelStatus: "/x/status"}), func(n string) error { touched = n; return nil })
	if err != nil || touched != "/x/status" {
		t.Fatalf("TouchShardStatus: %v, touched %q", err, touched)
	}
}

func rec(seed int64, pass bool, wall int64) Record {
	r := Record{Seed: seed, Pass: pass, SHA256: fmt.Sprintf("%064x", seed), Frames: 10, SimNS: 1e6, WallNS: wall, Version: "v1"}
	if !pass {
		r.Failure = "expect: no"
	}
	return r
}

func TestLedgerRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for s := range int64(3) {
		if err := w.Write(rec(s, s != 1, s*100)); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines:\n%s", n, buf.String())
	}
	// A torn last line (a sweep killed mid-write) is dropped, reported.
	torn := buf.String() + `{"seed":3,"pa`
	got, isTorn, err := Read("l.jsonl", strings.NewReader(torn))
	if err != nil || !isTorn || len(got) != 3 || got[1] != rec(1, false, 100) {
		t.Fatalf("Read = %v, %v, %v", got, isTorn, err)
	}
	// A bad line in the middle is an error naming it.
	_, _, err = Read("l.jsonl", strings.NewReader("{\"seed\":1}\nnope\n{\"seed\":2}\n"))
	var le *LedgerError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("Read of a bad line: %v", err)
	}
}

func TestMergeCompare(t *testing.T) {
	a := []Record{rec(3, true, 1), rec(1, false, 2)}
	b := []Record{rec(2, true, 3), rec(1, false, 99), rec(4, true, 0)}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 || m[0].Seed != 1 || m[3].Seed != 4 || m[0].WallNS != 2 {
		t.Fatalf("Merge = %v", m)
	}
	bad := rec(3, true, 1)
	bad.Frames = 11
	var ce *ConflictError
	if _, err := Merge(a, []Record{bad}); !errors.As(err, &ce) || ce.Seed != 3 || ce.Field != "frames" {
		t.Fatalf("Merge of a disagreeing seed: %v", err)
	}
	// Same records, other order and wall times: equal.
	if err := Compare("A", m, "B", []Record{rec(4, true, 7), rec(3, true, 7), rec(2, true, 7), rec(1, false, 7)}); err != nil {
		t.Fatal(err)
	}
	var de *DiffError
	other := slices.Clone(m)
	other[2].SHA256 = "00"
	if err := Compare("A", m, "B", other); !errors.As(err, &de) || de.Seed != 3 || de.Field != "sha256" {
		t.Fatalf("Compare: %v", err)
	}
	if err := Compare("A", m, "B", m[:3]); !errors.As(err, &de) || de.Seed != 4 || de.Field != "seed" || !strings.Contains(err.Error(), "in A only") {
		t.Fatalf("Compare of a missing seed: %v", err)
	}
}

func TestMergeCompareNames(t *testing.T) {
	a, b := rec(1, true, 0), rec(1, false, 0)
	a.Name, b.Name = "TestA", "TestB"
	m, err := Merge([]Record{b, a})
	if err != nil || len(m) != 2 || m[0].Name != "TestA" || m[1].Name != "TestB" {
		t.Fatalf("Merge of two names, one seed: %v, %v", m, err)
	}
	var de *DiffError
	if err := Compare("X", m, "Y", m[:1]); !errors.As(err, &de) || de.Name != "TestB" || de.Seed != 1 || err.Error() != "TestB seed 1: in X only" {
		t.Fatalf("Compare: %v", err)
	}
	c := b
	c.Frames++
	var ce *ConflictError
	if _, err := Merge([]Record{a, b, c}); !errors.As(err, &ce) || ce.Name != "TestB" {
		t.Fatalf("Merge of a disagreeing named record: %v", err)
	}
}

// TestParseSeedsNegativeRanges: a range may start or end below zero (it
// used to be refused as "not a seed or a range").
func TestParseSeedsNegativeRanges(t *testing.T) {
	for in, want := range map[string][]int64{
		"-2-2":     {-2, -1, 0, 1, 2},
		"-10--8":   {-10, -9, -8},
		"-3,-1-0":  {-3, -1, 0},
		" -1 - 1 ": nil, // spaces inside a range are not taken
	} {
		got, err := ParseSeeds(in)
		if want == nil {
			if err == nil {
				t.Errorf("ParseSeeds(%q) = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseSeeds("-1--3"); err == nil || !strings.Contains(err.Error(), "ends before it starts") {
		t.Errorf("-1--3: %v", err)
	}
	// Past MaxSeeds the advice is to split the range over sweeps: --shard
	// does not help, since every shard reads the whole list.
	if _, err := ParseSeeds("1-20000000"); err == nil || strings.Contains(err.Error(), "shard") || !strings.Contains(err.Error(), "--seeds 1-10000000, then 10000001-20000000") {
		t.Errorf("1-20000000: %v", err)
	}
}

// TestReadTwoRecordsOnALine: a line holding more than one record (two
// writers run together) is an error, not its first record alone.
func TestReadTwoRecordsOnALine(t *testing.T) {
	in := `{"seed":1,"pass":true}{"seed":2,"pass":true}` + "\n" + `{"seed":3,"pass":true}` + "\n"
	_, _, err := Read("l.jsonl", strings.NewReader(in))
	var le *LedgerError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "after the record") {
		t.Fatalf("Read: %v", err)
	}
}
