package sweep

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxSeeds is the most seeds one [ParseSeeds] list may hold: ten million,
// 80 MB of seeds. Run more as several sweeps, each with a range of its
// own (a [Shard] divides one list; it does not lift the limit).
const MaxSeeds = 10_000_000

// ErrSeeds is matched (errors.Is) by every error of [ParseSeeds].
var ErrSeeds = errors.New("bad seed list")

// ParseSeeds reads a seed list: comma-separated seeds and inclusive
// ranges, "1-10000", "7", "1-100,137,500-600". The seeds are returned in
// the order given; a seed given twice is an error, as is an empty list, a
// range whose end comes before its start, or more than [MaxSeeds] seeds.
// Seeds may be negative: "-5" is seed -5, "-5-5" the eleven seeds from -5
// to 5, "-10--1" the ten from -10 to -1.
func ParseSeeds(s string) ([]int64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty (give seeds as 1-10000 or 1,5,9-20)", ErrSeeds)
	}
	type span struct {
		lo, hi int64
		text   string
	}
	var spans []span
	var total int64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		// The range's dash is the first one after the first character:
		// a leading dash is the sign of a negative seed ("-5", "-5-5").
		var lo, hi string
		isRange := false
		if i := strings.IndexByte(part[min(1, len(part)):], '-'); i >= 0 {
			lo, hi, isRange = part[:i+1], part[i+2:], true
		}
		var sp span
		if !isRange {
			v, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %q is not a seed or a range FROM-TO", ErrSeeds, part)
			}
			sp = span{v, v, part}
		} else {
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: %q is not a range FROM-TO of seeds", ErrSeeds, part)
			}
			if b < a {
				return nil, fmt.Errorf("%w: range %q ends before it starts", ErrSeeds, part)
			}
			sp = span{a, b, part}
		}
		n := uint64(sp.hi) - uint64(sp.lo) + 1 // wraps to 0 for the whole int64 range
		if n == 0 || n > MaxSeeds || total+int64(n) > MaxSeeds {
			return nil, fmt.Errorf("%w: more than %d seeds in one sweep: run the range in parts, each a sweep of its own (--seeds 1-%d, then %d-%d, ...)", ErrSeeds, MaxSeeds, MaxSeeds, MaxSeeds+1, 2*MaxSeeds)
		}
		total += int64(n)
		spans = append(spans, sp)
	}
	// No seed twice: sorted by start, each span must end before the next
	// starts. (A map of the seeds would cost far more than the seeds.)
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	for i := 1; i < len(sorted); i++ {
		if a, b := sorted[i-1], sorted[i]; b.lo <= a.hi {
			return nil, fmt.Errorf("%w: seed %d is given twice (%s and %s)", ErrSeeds, b.lo, a.text, b.text)
		}
	}
	seeds := make([]int64, 0, total)
	for _, sp := range spans {
		for v := sp.lo; ; v++ {
			seeds = append(seeds, v)
			if v == sp.hi {
				break
			}
		}
	}
	return seeds, nil
}

// Shard is one of Count slices of a seed list: the seeds whose index in
// the list, counted from 0, is Index modulo Count. The Count shards of a
// list cover each of its seeds exactly once, whichever machine runs them.
// The zero value is no sharding (every seed).
type Shard struct {
	Index, Count int
}

// String returns the shard as [ParseShard] reads it, "I/N" ("" for the
// zero value).
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Valid reports an error if s is not a shard: Count < 0, or Index outside
// 0..Count-1 when Count > 0. The error matches [ErrShard].
func (s Shard) Valid() error {
	switch {
	case s.Count == 0 && s.Index == 0:
		return nil
	case s.Count < 1:
		return fmt.Errorf("%w: %d shards: there must be at least 1", ErrShard, s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("%w: shard %d of %d: the index must be from 0 to %d", ErrShard, s.Index, s.Count, s.Count-1)
	}
	return nil
}

// Select returns the seeds of list that belong to shard s: those whose
// index in list is s.Index modulo s.Count (all of them for the zero
// Shard), in list's order.
func (s Shard) Select(list []int64) []int64 {
	if s.Count <= 1 {
		return list
	}
	out := make([]int64, 0, len(list)/s.Count+1)
	for i := s.Index; i < len(list); i += s.Count {
		out = append(out, list[i])
	}
	return out
}

// ErrShard is matched (errors.Is) by every error of [ParseShard] and
// [ShardFromEnv], and by [Shard.Valid]'s.
var ErrShard = errors.New("bad shard")

// ParseShard reads a shard as "I/N": shard I (from 0) of N.
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(text, "/")
	a, err1 := strconv.Atoi(strings.TrimSpace(i))
	b, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w: %q is not I/N (shard I, from 0, of N)", ErrShard, text)
	}
	s := Shard{Index: a, Count: b}
	if err := s.Valid(); err != nil {
		return Shard{}, err
	}
	return s, nil
}

// The environment variables [ShardFromEnv] reads.
const (
	// EnvBazelIndex and EnvBazelTotal are Bazel's test sharding: the
	// shard's index, from 0, and the number of shards.
	EnvBazelIndex = "TEST_SHARD_INDEX"
	EnvBazelTotal = "TEST_TOTAL_SHARDS"
	// EnvBazelStatus names a file a test that shards must touch (see
	// [TouchShardStatus]): Bazel then knows the test honoured sharding.
	EnvBazelStatus = "TEST_SHARD_STATUS_FILE"
	// EnvJobIndex is a Kubernetes Indexed Job's completion index: the
	// pod's index, from 0. Its number of shards (the Job's completions)
	// comes from [EnvShards] or the caller.
	EnvJobIndex = "JOB_COMPLETION_INDEX"
	// EnvShards is the number of shards of a Kubernetes Indexed Job (set
	// it to the Job's spec.completions), or of another engine that sets
	// an index only.
	EnvShards = "NETSIM_SHARDS"
)

// ShardFromEnv finds the shard an engine gives this process through
// getenv (os.Getenv): Bazel's [EnvBazelIndex] and [EnvBazelTotal] first,
// then a Kubernetes Indexed Job's [EnvJobIndex], whose number of shards
// is total if above 0, else [EnvShards]. It reports the variables it used
// ("TEST_SHARD_INDEX=1, TEST_TOTAL_SHARDS=4"), or "" and the zero Shard
// when none is set. A variable that is set but not a number, an index
// without its total, or an index out of range is an error matching
// [ErrShard].
func ShardFromEnv(getenv func(string) string, total int) (Shard, string, error) {
	num := func(name string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(getenv(name)))
		if err != nil {
			return 0, fmt.Errorf("%w: %s=%q is not a number", ErrShard, name, getenv(name))
		}
		return v, nil
	}
	if getenv(EnvBazelIndex) != "" || getenv(EnvBazelTotal) != "" {
		if getenv(EnvBazelIndex) == "" || getenv(EnvBazelTotal) == "" {
			return Shard{}, "", fmt.Errorf("%w: %s and %s must be set together", ErrShard, EnvBazelIndex, EnvBazelTotal)
		}
		i, err := num(EnvBazelIndex)
		if err != nil {
			return Shard{}, "", err
		}
		n, err := num(EnvBazelTotal)
		if err != nil {
			return Shard{}, "", err
		}
		s := Shard{Index: i, Count: n}
		from := fmt.Sprintf("%s=%d, %s=%d", EnvBazelIndex, i, EnvBazelTotal, n)
		if err := s.Valid(); err != nil {
			return Shard{}, "", fmt.Errorf("%w: %s: %s", ErrShard, from, strings.TrimPrefix(err.Error(), ErrShard.Error()+": "))
		}
		return s, from, nil
	}
	if getenv(EnvJobIndex) == "" {
		return Shard{}, "", nil
	}
	i, err := num(EnvJobIndex)
	if err != nil {
		return Shard{}, "", err
	}
	from := fmt.Sprintf("%s=%d", EnvJobIndex, i)
	n := total
	if n <= 0 {
		if getenv(EnvShards) == "" {
			return Shard{}, "", fmt.Errorf("%w: %s is set but not the number of shards: give it (the Job's completions) as %s or --shards", ErrShard, EnvJobIndex, EnvShards)
		}
		if n, err = num(EnvShards); err != nil {
			return Shard{}, "", err
		}
		from += fmt.Sprintf(", %s=%d", EnvShards, n)
	} else {
		from += fmt.Sprintf(", %d shards", n)
	}
	s := Shard{Index: i, Count: n}
	if err := s.Valid(); err != nil {
		return Shard{}, "", fmt.Errorf("%w: %s: %s", ErrShard, from, strings.TrimPrefix(err.Error(), ErrShard.Error()+": "))
	}
	return s, from, nil
}

// TouchShardStatus creates or touches the file Bazel names in
// [EnvBazelStatus], if getenv gives one, telling Bazel the test honoured
// its sharding. touch is called with the file's name (os.WriteFile of no
// bytes will do; it is a parameter so that tests need no real file).
func TouchShardStatus(getenv func(string) string, touch func(name string) error) error {
	name := getenv(EnvBazelStatus)
	if name == "" {
		return nil
	}
	if err := touch(name); err != nil {
		return fmt.Errorf("%s: %w", EnvBazelStatus, err)
	}
	return nil
}
