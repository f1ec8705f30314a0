package dfilter

import (
	"fmt"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// MatchReader decodes every frame of r and returns the numbers of the
// frames that pass f.
func (f *Filter) MatchReader(r *pcapread.Reader) ([]int, error) {
	var nums []int
	err := dissect.Scan(r, func(p *dissect.Packet) error {
		if f.Match(p) {
			nums = append(nums, p.Number)
		}
		return nil
	})
	return nums, err
}

// MatchFile returns the numbers of the frames of the capture at path that
// pass the display filter expr.
func MatchFile(path, expr string) ([]int, error) {
	f, err := Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("display filter %q: %w", expr, err)
	}
	r, err := pcapread.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	nums, err := f.MatchReader(r)
	if err != nil {
		return nums, fmt.Errorf("%s: %w", path, err)
	}
	return nums, nil
}

// CountFile returns how many frames of the capture at path pass the
// display filter expr.
func CountFile(path, expr string) (int, error) {
	nums, err := MatchFile(path, expr)
	return len(nums), err
}

// ExpectCount checks that exactly want frames of the capture at path pass
// the display filter expr. It returns nil when they do, and otherwise an
// error that names the frames that matched, ready for t.Fatal:
//
//	if err := dfilter.ExpectCount("tcp.pcap", "tcp.flags.syn==1", 2); err != nil {
//		t.Fatal(err)
//	}
func ExpectCount(path, expr string, want int) error {
	nums, err := MatchFile(path, expr)
	if err != nil {
		return err
	}
	if len(nums) != want {
		return fmt.Errorf("%s: filter %q matches %d frames %v, want %d", path, expr, len(nums), nums, want)
	}
	return nil
}
