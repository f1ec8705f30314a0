package readcompare

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Ratio is a count of agreements out of a total.
type Ratio struct {
	Equal int `json:"equal"`
	Total int `json:"total"`
}

// Percent returns 100·Equal/Total (100 when Total is 0).
func (r Ratio) Percent() float64 {
	if r.Total == 0 {
		return 100
	}
	return 100 * float64(r.Equal) / float64(r.Total)
}

func (r Ratio) String() string {
	return fmt.Sprintf("%d/%d (%.2f%%)", r.Equal, r.Total, r.Percent())
}

func (r *Ratio) add(eq, total int) { r.Equal += eq; r.Total += total }

// KindCount is one kind of difference with its frame count and an example.
type KindCount struct {
	Kind    string   `json:"kind"`
	Proto   string   `json:"proto"`
	Count   int      `json:"count"`
	Files   int      `json:"files"`
	Example Mismatch `json:"example"`
	File    string   `json:"file"`
}

// FilterSummary is one filter's agreement over all captures.
type FilterSummary struct {
	Filter   string `json:"filter"`
	Agree    int    `json:"agree"`
	Pairs    int    `json:"pairs"`
	Rejected bool   `json:"rejected,omitempty"`
	// Example is a capture where they disagree, with the first frame
	// selected by one only.
	Example string `json:"example,omitempty"`
}

// Summary adds up [FileResult]s of one group (all captures, or the
// truncated copies of one snap length).
type Summary struct {
	Group string `json:"group"`
	Files int    `json:"files"`
	// Lines: all frames. NotMalformed: frames tshark does not mark
	// [Malformed Packet]. CleanFiles: frames of files where tshark marks
	// no frame malformed. InScope: see [FileResult.InScope].
	Lines        Ratio `json:"lines"`
	NotMalformed Ratio `json:"not_malformed"`
	CleanFiles   Ratio `json:"clean_files"`
	InScope      Ratio `json:"in_scope"`
	// Claimed: frames netsim's Protocol column claims to decode.
	Claimed Ratio `json:"claimed"`
	// Pairs is the filter agreement over (capture, filter) pairs;
	// PairsAccepted leaves out the filters netsim rejects.
	Pairs         Ratio            `json:"pairs"`
	PairsAccepted Ratio            `json:"pairs_accepted"`
	ByLink        map[string]Ratio `json:"by_link"`
	ByProto       map[string]Ratio `json:"by_proto"`
	Kinds         []KindCount      `json:"kinds"`
	// KindsInScope are the kinds counted over in-scope frames only.
	KindsInScope []KindCount     `json:"kinds_in_scope"`
	ByFilter     []FilterSummary `json:"by_filter"`
	// Rejected lists the filters netsim rejects.
	Rejected []string `json:"rejected,omitempty"`
}

// Summarize adds up results.
func Summarize(group string, results []*FileResult) *Summary {
	s := &Summary{Group: group, ByLink: map[string]Ratio{}, ByProto: map[string]Ratio{}}
	all, scoped := newKindCounter(), newKindCounter()
	filters := map[string]*FilterSummary{}
	var order []string
	for _, r := range results {
		s.Files++
		s.Lines.add(r.Equal, r.Frames)
		s.NotMalformed.add(r.Equal-r.EqualMalformed, r.Frames-r.Malformed)
		if r.Malformed == 0 {
			s.CleanFiles.add(r.Equal, r.Frames)
		}
		s.InScope.add(r.EqualInScope, r.InScope)
		s.Claimed.add(r.EqualClaimed, r.Claimed)
		l := s.ByLink[r.LinkType]
		l.add(r.Equal, r.Frames)
		s.ByLink[r.LinkType] = l
		for p, c := range r.Protos {
			v := s.ByProto[p]
			v.add(c[1], c[0])
			s.ByProto[p] = v
		}
		for _, m := range r.Mismatches {
			all.add(m, r.Path)
			if m.InScope {
				scoped.add(m, r.Path)
			}
		}
		for _, f := range r.Filters {
			fs := filters[f.Filter]
			if fs == nil {
				fs = &FilterSummary{Filter: f.Filter}
				filters[f.Filter] = fs
				order = append(order, f.Filter)
			}
			fs.Pairs++
			s.Pairs.Total++
			if !f.Rejected {
				s.PairsAccepted.Total++
			}
			if f.Agree {
				fs.Agree++
				s.Pairs.Equal++
				s.PairsAccepted.Equal++
			} else if fs.Example == "" {
				fs.Example = fmt.Sprintf("%s (tshark %d frames, netsim %d)", filepath.Base(r.Path), f.Tshark, f.Netsim)
				if f.First > 0 {
					fs.Example += fmt.Sprintf(", first differing frame %d", f.First)
				}
			}
			if f.Rejected {
				fs.Rejected = true
			}
		}
	}
	s.Kinds, s.KindsInScope = all.sorted(), scoped.sorted()
	for _, f := range order {
		s.ByFilter = append(s.ByFilter, *filters[f])
		if filters[f].Rejected {
			s.Rejected = append(s.Rejected, f)
		}
	}
	return s
}

// kindCounter counts mismatches by (tshark protocol, kind).
type kindCounter struct {
	kinds map[string]*KindCount
	files map[string]map[string]bool
}

func newKindCounter() *kindCounter {
	return &kindCounter{kinds: map[string]*KindCount{}, files: map[string]map[string]bool{}}
}

func (c *kindCounter) add(m Mismatch, path string) {
	key := m.Proto + "\x00" + m.Kind
	k := c.kinds[key]
	if k == nil {
		k = &KindCount{Kind: m.Kind, Proto: m.Proto, Example: m, File: path}
		c.kinds[key] = k
		c.files[key] = map[string]bool{}
	}
	k.Count++
	c.files[key][path] = true
}

// sorted returns the kinds, the most frequent first.
func (c *kindCounter) sorted() []KindCount {
	var out []KindCount
	for key, k := range c.kinds {
		k.Files = len(c.files[key])
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b KindCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// Report is the whole comparison: one [Summary] per group and the files.
type Report struct {
	Tshark  string        `json:"tshark"`
	Netsim  string        `json:"netsim"`
	Groups  []*Summary    `json:"groups"`
	Results []*FileResult `json:"files"`
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// WriteText writes the report for people: the figures of each group, the
// link types, the protocols, the top kinds of difference with an example
// each, the filters, and the files with the most differing lines.
func (rep *Report) WriteText(w io.Writer, topKinds, topFiles int) {
	fmt.Fprintf(w, "tshark: %s\nnetsim: %s\n", rep.Tshark, rep.Netsim)
	for _, s := range rep.Groups {
		name := s.Group
		if name == "" {
			name = "captures as they are"
		}
		fmt.Fprintf(w, "\n== %s: %d files\n", name, s.Files)
		fmt.Fprintf(w, "summary lines equal:          %s\n", s.Lines)
		fmt.Fprintf(w, "  not [Malformed Packet]:     %s\n", s.NotMalformed)
		fmt.Fprintf(w, "  files with none malformed:  %s\n", s.CleanFiles)
		fmt.Fprintf(w, "  in scope (issue #15):       %s\n", s.InScope)
		fmt.Fprintf(w, "  netsim claims to decode:    %s\n", s.Claimed)
		fmt.Fprintf(w, "filter pairs equal:           %s\n", s.Pairs)
		fmt.Fprintf(w, "  filters netsim accepts:     %s\n", s.PairsAccepted)
		if len(s.Rejected) > 0 {
			fmt.Fprintf(w, "filters netsim rejects (%d): %s\n", len(s.Rejected), strings.Join(s.Rejected, " | "))
		}
		fmt.Fprintf(w, "\nby link type:\n")
		writeRatios(w, s.ByLink, 0)
		fmt.Fprintf(w, "\nby tshark protocol (20 with the most frames):\n")
		writeRatios(w, s.ByProto, 20)
		writeKinds(w, fmt.Sprintf("top %d kinds of difference in scope (frames, files, [tshark protocol] kind, example)", topKinds), s.KindsInScope, topKinds)
		writeKinds(w, fmt.Sprintf("top %d kinds of difference, all frames", topKinds), s.Kinds, topKinds)
		fmt.Fprintf(w, "\nfilters (agreeing pairs / pairs):\n")
		byf := slices.Clone(s.ByFilter)
		slices.SortStableFunc(byf, func(a, b FilterSummary) int {
			return cmp.Compare(a.Agree*b.Pairs, b.Agree*a.Pairs)
		})
		for _, f := range byf {
			mark := ""
			if f.Rejected {
				mark = " REJECTED by netsim"
			}
			fmt.Fprintf(w, "%5d/%-5d %-50s%s", f.Agree, f.Pairs, f.Filter, mark)
			if f.Example != "" && !f.Rejected {
				fmt.Fprintf(w, "  e.g. %s", f.Example)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "\nfiles with the most differing lines (differing/frames, link type, group):\n")
	files := slices.Clone(rep.Results)
	slices.SortStableFunc(files, func(a, b *FileResult) int {
		return cmp.Compare(b.Frames-b.Equal, a.Frames-a.Equal)
	})
	for i, f := range files {
		if i == topFiles || f.Frames == f.Equal {
			break
		}
		extra := ""
		if f.NetsimLines != f.Frames {
			extra = fmt.Sprintf(" (netsim printed %d lines)", f.NetsimLines)
		}
		fmt.Fprintf(w, "%6d/%-6d %-12s %-12s %s%s\n", f.Frames-f.Equal, f.Frames, f.LinkType, f.Group, filepath.Base(f.Path), extra)
	}
}

func writeKinds(w io.Writer, title string, kinds []KindCount, top int) {
	fmt.Fprintf(w, "\n%s:\n", title)
	for i, k := range kinds {
		if i == top {
			fmt.Fprintf(w, "  ... %d more kinds\n", len(kinds)-top)
			break
		}
		fmt.Fprintf(w, "%5d %4d  [%s] %s\n        %s:%d\n        tshark: %s\n        netsim: %s\n",
			k.Count, k.Files, k.Proto, k.Kind, filepath.Base(k.File), k.Example.Frame, strings.TrimSpace(k.Example.Tshark), strings.TrimSpace(k.Example.Netsim))
	}
}

func writeRatios(w io.Writer, m map[string]Ratio, top int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b].Total, m[a].Total), cmp.Compare(a, b))
	})
	for i, k := range keys {
		if top > 0 && i == top {
			fmt.Fprintf(w, "  ... %d more\n", len(keys)-top)
			break
		}
		name := k
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, "  %-22s %s\n", name, m[k])
	}
}
