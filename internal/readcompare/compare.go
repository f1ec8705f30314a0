// Package readcompare measures how far `netsim read` agrees with tshark on
// captures no one here wrote: summary lines (tshark's default output,
// compared line by line) and display-filter selections (for a fixed list of
// filters, whether both select the same frames).
//
// [Compare] checks one capture; a [Report] adds captures up into figures
// overall, by link type, by tshark's Protocol column and by the kind of
// difference ([Kind]), and prints them for people or as JSON.
// scripts/readcompare is the command-line tool; the package's tests check
// a committed corpus against golden tshark outputs.
package readcompare

import (
	"slices"
	"strings"
)

// inScopeProtos are the values of tshark's Protocol column that issue
// #15's goal covers.
var inScopeProtos = map[string]bool{
	"ARP": true, "IPv4": true, "IPv6": true, "ICMP": true, "ICMPv6": true, "TCP": true, "UDP": true,
	"DNS": true, "MDNS": true, "HTTP": true, "SSL": true, "SSLv2": true, "SSLv3": true, "TLSv1": true,
	"TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true,
}

// InScope reports whether a Protocol column value is one of the protocols
// issue #15's goal covers.
func InScope(proto string) bool { return inScopeProtos[proto] }

// Mismatch is one frame whose lines differ.
type Mismatch struct {
	Frame  int    `json:"frame"`
	Tshark string `json:"tshark"`
	Netsim string `json:"netsim"`
	Kind   string `json:"kind"`
	Proto  string `json:"proto"`
	// InScope is true when the frame counts in [FileResult.InScope].
	InScope bool `json:"in_scope,omitempty"`
}

// FilterResult is one (capture, filter) pair.
type FilterResult struct {
	Filter string `json:"filter"`
	// Agree is true when both select the same frames.
	Agree bool `json:"agree"`
	// Rejected is true when netsim rejects the filter (a disagreement).
	Rejected bool `json:"rejected,omitempty"`
	// Tshark and Netsim count the frames each selects.
	Tshark int `json:"tshark"`
	Netsim int `json:"netsim"`
	// First is the first frame selected by one and not the other (0: none).
	First int `json:"first,omitempty"`
}

// FileResult is the comparison of one capture.
type FileResult struct {
	Path     string `json:"path"`
	Group    string `json:"group,omitempty"` // "" or "snaplen N"
	LinkType string `json:"link_type"`
	// Frames counts tshark's lines; Equal those netsim prints identically.
	Frames int `json:"frames"`
	Equal  int `json:"equal"`
	// Malformed counts the frames tshark marks [Malformed Packet];
	// EqualMalformed those of them that are equal.
	Malformed      int `json:"malformed"`
	EqualMalformed int `json:"equal_malformed"`
	// InScope counts the frames of an in-scope link type whose tshark
	// Protocol column is in scope ([InScope]), not malformed.
	InScope      int `json:"in_scope"`
	EqualInScope int `json:"equal_in_scope"`
	// Claimed counts the frames netsim claims to decode: its Protocol
	// column is in scope ([InScope]), whatever tshark says.
	Claimed      int `json:"claimed"`
	EqualClaimed int `json:"equal_claimed"`
	// NetsimLines counts netsim's lines (may differ from Frames).
	NetsimLines int            `json:"netsim_lines"`
	TsharkErr   string         `json:"tshark_err,omitempty"`
	NetsimErr   string         `json:"netsim_err,omitempty"`
	Mismatches  []Mismatch     `json:"mismatches,omitempty"`
	Filters     []FilterResult `json:"filters,omitempty"`
	// Protos counts frames and equal frames by tshark's Protocol column.
	Protos map[string][2]int `json:"protos,omitempty"`
}

// malformedMark is how tshark's Info column marks a frame a dissector
// found malformed.
const malformedMark = "[Malformed Packet"

// Compare compares netsim's output for a capture with tshark's. filters are
// the filters both outputs' Selections answer, in order.
func Compare(path, link string, tshark, netsim *Output, filters []string) *FileResult {
	r := &FileResult{Path: path, LinkType: link, Frames: len(tshark.Lines), NetsimLines: len(netsim.Lines),
		TsharkErr: tshark.Err, NetsimErr: netsim.Err, Protos: map[string][2]int{}}
	for i, t := range tshark.Lines {
		n := ""
		if i < len(netsim.Lines) {
			n = netsim.Lines[i]
		}
		tc := ParseLine(t)
		malformed := strings.Contains(t, malformedMark)
		eq := t == n
		pc := r.Protos[tc.Proto]
		pc[0]++
		if malformed {
			r.Malformed++
		}
		scoped := !malformed && inScopeLinks[link] && InScope(tc.Proto)
		if scoped {
			r.InScope++
		}
		claimed := i < len(netsim.Lines) && InScope(ParseLine(netsim.Lines[i]).Proto)
		if claimed {
			r.Claimed++
		}
		if eq {
			r.Equal++
			pc[1]++
			if malformed {
				r.EqualMalformed++
			}
			if scoped {
				r.EqualInScope++
			}
			if claimed {
				r.EqualClaimed++
			}
		} else {
			kind := "netsim printed no line"
			if i < len(netsim.Lines) {
				kind = Kind(t, n)
			}
			r.Mismatches = append(r.Mismatches, Mismatch{Frame: i + 1, Tshark: t, Netsim: n, Kind: kind, Proto: tc.Proto, InScope: scoped})
		}
		r.Protos[tc.Proto] = pc
	}
	for i, f := range filters {
		var ts, ns Selection
		if i < len(tshark.Selections) {
			ts = tshark.Selections[i]
		}
		if i < len(netsim.Selections) {
			ns = netsim.Selections[i]
		}
		if !ts.Valid {
			continue // tshark rejects it (or read nothing): no pair
		}
		fr := FilterResult{Filter: f, Tshark: len(ts.Frames), Netsim: len(ns.Frames), Rejected: !ns.Valid}
		fr.Agree = ns.Valid && slices.Equal(ts.Frames, ns.Frames)
		if !fr.Agree && ns.Valid {
			fr.First = firstDiff(ts.Frames, ns.Frames)
		}
		r.Filters = append(r.Filters, fr)
	}
	return r
}

// firstDiff returns the smallest frame number in exactly one of a and b
// (both ascending).
func firstDiff(a, b []int) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case a[i] < b[j]:
			return a[i]
		default:
			return b[j]
		}
	}
	if i < len(a) {
		return a[i]
	}
	if j < len(b) {
		return b[j]
	}
	return 0
}
