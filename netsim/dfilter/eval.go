package dfilter

import (
	"bytes"
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"netsim.dev/netsim/dissect"
)

// Filter is a compiled display filter. It is safe for concurrent use.
type Filter struct {
	expr string
	root node // nil: match everything
}

// String returns the filter's source text.
func (f *Filter) String() string { return f.expr }

// Match reports whether the packet passes the filter.
func (f *Filter) Match(p *dissect.Packet) bool {
	if f.root == nil {
		return true
	}
	sc := scratchPool.Get().(*scratch)
	ok := f.root.eval(p, sc)
	scratchPool.Put(sc)
	return ok
}

// scratch holds reusable value buffers for one evaluation.
type scratch struct {
	l, r []dissect.Value
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{l: make([]dissect.Value, 0, 16), r: make([]dissect.Value, 0, 16)}
}}

type node interface {
	eval(p *dissect.Packet, sc *scratch) bool
}

type orNode struct{ a, b node }
type andNode struct{ a, b node }
type notNode struct{ a node }

func (n *orNode) eval(p *dissect.Packet, sc *scratch) bool { return n.a.eval(p, sc) || n.b.eval(p, sc) }
func (n *andNode) eval(p *dissect.Packet, sc *scratch) bool {
	return n.a.eval(p, sc) && n.b.eval(p, sc)
}
func (n *notNode) eval(p *dissect.Packet, sc *scratch) bool { return !n.a.eval(p, sc) }

type existsNode struct {
	f     *dissect.Field
	slice *sliceSpec
}

func (n *existsNode) eval(p *dissect.Packet, sc *scratch) bool {
	return len(fetch(n.f, n.slice, p, &sc.l)) > 0
}

// fetch returns the field's values (sliced to bytes when s is set) in buf.
func fetch(f *dissect.Field, s *sliceSpec, p *dissect.Packet, buf *[]dissect.Value) []dissect.Value {
	if s != nil && s.fn != "" {
		return fetchFunc(f, s, p, buf)
	}
	vals := f.Values(p, (*buf)[:0])
	*buf = vals
	if s == nil {
		return vals
	}
	out := vals[:0]
	for _, v := range vals {
		b, ok := s.apply(valueBytes(f.Type, v))
		if ok {
			out = append(out, dissect.Value{B: b})
		}
	}
	return out
}

// valueBytes returns the bytes of a byte-like value.
func valueBytes(t dissect.FieldType, v dissect.Value) []byte {
	if t == dissect.TypeString {
		return []byte(v.S)
	}
	return v.B
}

// sliceSpec is a [start:len] / [start-end] / [i] / [start:] range.
type sliceSpec struct {
	start  int
	length int // -1: to the end
	// fn is a function applied instead of the slice ("len", "count";
	// funcs.go).
	fn string
}

func parseSlice(w string) (*sliceSpec, error) {
	bad := func() (*sliceSpec, error) { return nil, errSlice(w) }
	num := func(s string) (int, bool) {
		x, err := strconv.Atoi(s)
		return x, err == nil
	}
	switch {
	case strings.Contains(w, ":"):
		a, b, _ := strings.Cut(w, ":")
		s := &sliceSpec{length: -1}
		if a != "" {
			x, ok := num(a)
			if !ok {
				return bad()
			}
			s.start = x
		}
		if b != "" {
			x, ok := num(b)
			if !ok || x < 0 {
				return bad()
			}
			s.length = x
		}
		return s, nil
	case strings.Count(w, "-") == 1 && !strings.HasPrefix(w, "-"):
		a, b, _ := strings.Cut(w, "-")
		x, ok1 := num(a)
		y, ok2 := num(b)
		if !ok1 || !ok2 || y < x {
			return bad()
		}
		return &sliceSpec{start: x, length: y - x + 1}, nil
	}
	x, ok := num(w)
	if !ok {
		return bad()
	}
	return &sliceSpec{start: x, length: 1}, nil
}

type sliceErr string

// Error describes the bad range.
func (e sliceErr) Error() string { return "\"" + string(e) + "\" is not a valid range." }

func errSlice(w string) error { return sliceErr(w) }

func (s *sliceSpec) apply(b []byte) ([]byte, bool) {
	start := s.start
	if start < 0 {
		start += len(b)
	}
	if start < 0 || start > len(b) {
		return nil, false
	}
	if s.length < 0 {
		return b[start:], true
	}
	if start+s.length > len(b) {
		return nil, false
	}
	return b[start : start+s.length], true
}

type setElem struct {
	lo, hi  lit
	isRange bool
}

type inNode struct {
	f     *dissect.Field
	slice *sliceSpec
	elems []setElem
}

func (n *inNode) eval(p *dissect.Packet, sc *scratch) bool {
	t := specType(n.f.Type, n.slice)
	for _, v := range fetch(n.f, n.slice, p, &sc.l) {
		for i := range n.elems {
			e := &n.elems[i]
			if !e.isRange {
				if c, ok := cmpLit(t, v, &e.lo); ok && c == 0 {
					return true
				}
				continue
			}
			c1, ok1 := cmpLit(t, v, &e.lo)
			c2, ok2 := cmpLit(t, v, &e.hi)
			if ok1 && ok2 && c1 >= 0 && c2 <= 0 {
				return true
			}
		}
	}
	return false
}

type cmpNode struct {
	f      *dissect.Field
	slice  *sliceSpec
	op     string
	lit    lit
	rf     *dissect.Field // field on the right, or nil
	rslice *sliceSpec
	re     *regexp.Regexp
}

func (n *cmpNode) eval(p *dissect.Packet, sc *scratch) bool {
	t := specType(n.f.Type, n.slice)
	vals := fetch(n.f, n.slice, p, &sc.l)
	if len(vals) == 0 {
		return false
	}
	switch n.op {
	case "contains":
		for _, v := range vals {
			if t == dissect.TypeString {
				if strings.Contains(v.S, n.lit.s) {
					return true
				}
			} else if bytes.Contains(v.B, n.lit.b) {
				return true
			}
		}
		return false
	case "matches":
		for _, v := range vals {
			if t == dissect.TypeString {
				if n.re.MatchString(v.S) {
					return true
				}
			} else if n.re.Match(v.B) {
				return true
			}
		}
		return false
	case "&":
		for _, v := range vals {
			if v.N&n.lit.n != 0 {
				return true
			}
		}
		return false
	}
	if n.rf != nil {
		rt := specType(n.rf.Type, n.rslice)
		rvals := fetch(n.rf, n.rslice, p, &sc.r)
		if len(rvals) == 0 {
			return false
		}
		return combine(n.op, len(vals), func(i int, each func(c int) bool) bool {
			for _, r := range rvals {
				if each(cmpValues(t, rt, vals[i], r)) {
					return true
				}
			}
			return false
		})
	}
	return combine(n.op, len(vals), func(i int, each func(c int) bool) bool {
		c, ok := cmpLit(t, vals[i], &n.lit)
		if !ok {
			// Not comparable (e.g. a CIDR block with ordering): only
			// "not equal" holds.
			return n.op == "!=" || n.op == "~=" || n.op == "!=="
		}
		return each(c)
	})
}

// combine applies op's quantifier: "any" for most operators, "all" for
// != (all not equal) and === (all equal). pair(i, test) reports whether
// value i satisfies test for some comparison partner.
func combine(op string, n int, pair func(i int, test func(c int) bool) bool) bool {
	var test func(c int) bool
	all := false
	switch op {
	case "==":
		test = func(c int) bool { return c == 0 }
	case "!=":
		// all not equal: no value equals
		for i := 0; i < n; i++ {
			if pair(i, func(c int) bool { return c == 0 }) {
				return false
			}
		}
		return true
	case "~=", "!==":
		test = func(c int) bool { return c != 0 }
	case "===":
		test, all = func(c int) bool { return c == 0 }, true
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	default:
		return false
	}
	for i := 0; i < n; i++ {
		ok := pair(i, test)
		if all && !ok {
			return false
		}
		if !all && ok {
			return true
		}
	}
	return all
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpLit compares a field value with a literal of the field's type.
func cmpLit(t dissect.FieldType, v dissect.Value, l *lit) (int, bool) {
	switch t {
	case dissect.TypeUint, dissect.TypeFrameNum, dissect.TypeBool:
		if l.neg {
			return 1, true
		}
		if t == dissect.TypeBool && v.N != 0 {
			return cmpUint(1, l.n), true
		}
		return cmpUint(v.N, l.n), true
	case dissect.TypeInt, dissect.TypeTime:
		return cmp.Compare(int64(v.N), l.i), true
	case dissect.TypeIPv4:
		if l.prefix >= 0 {
			mask := uint64(0xffffffff) << (32 - uint(l.prefix)) & 0xffffffff
			if l.prefix == 0 {
				mask = 0
			}
			return cmpUint(v.N&mask, l.n&mask), true
		}
		return cmpUint(v.N, l.n), true
	case dissect.TypeIPv6:
		if l.prefix >= 0 {
			return cmpPrefix(v.B, l.b, l.prefix), true
		}
		return bytes.Compare(v.B, l.b), true
	case dissect.TypeString:
		return strings.Compare(v.S, l.s), true
	case dissect.TypeBytes, dissect.TypeEther, dissect.TypeProtocol:
		return cmpBytes(v.B, l.b), true
	}
	return 0, false
}

func cmpPrefix(a, b []byte, bits int) int {
	if len(a) != len(b) {
		return bytes.Compare(a, b)
	}
	for i := 0; i < len(a) && bits > 0; i++ {
		m := byte(0xff)
		if bits < 8 {
			m = ^byte(0xff >> uint(bits))
		}
		if c := cmpUint(uint64(a[i]&m), uint64(b[i]&m)); c != 0 {
			return c
		}
		bits -= 8
	}
	return 0
}

// cmpValues compares two field values (field == field).
func cmpValues(lt, rt dissect.FieldType, a, b dissect.Value) int {
	switch lt {
	case dissect.TypeInt, dissect.TypeTime:
		return cmp.Compare(int64(a.N), int64(b.N))
	case dissect.TypeUint, dissect.TypeFrameNum, dissect.TypeBool, dissect.TypeIPv4:
		return cmpUint(a.N, b.N)
	case dissect.TypeString:
		return strings.Compare(a.S, b.S)
	}
	return cmpBytes(valueBytes(lt, a), valueBytes(rt, b))
}

// cmpBytes orders byte strings as Wireshark does: the shorter is less,
// equal lengths compare byte by byte.
func cmpBytes(a, b []byte) int {
	if len(a) != len(b) {
		return cmp.Compare(int64(len(a)), int64(len(b)))
	}
	return bytes.Compare(a, b)
}
