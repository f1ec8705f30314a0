package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"netsim.dev/internal/units"
)

// MaxFileSize is the largest scenario file Parse reads: 4 MiB.
const MaxFileSize = 4 << 20

// parser turns the YAML tree into a Scenario, checking the shape of every
// value (its type, the keys of every mapping). What the values mean
// (references, addresses, link settings) is the checker's (validate.go),
// shared with Scenario.Validate.
type parser struct {
	errs *errList
	// pos records where a value came from, keyed by a pointer to the
	// field that holds it (&step.Sock), for the checker's messages.
	pos map[any]Pos
	// src is the file, ends the offsets after each of its lines.
	src  []byte
	ends []int
}

func parse(name string, src []byte, noPrograms bool) (s *Scenario, err error) {
	errs := &errList{file: name}
	defer func() {
		if err != nil {
			err = clamp(err, src)
		}
	}()
	defer func() {
		// The YAML library is not ours: whatever it does, Parse returns
		// an error, not a panic.
		if r := recover(); r != nil {
			errs.add(Pos{1, 1}, "", "the YAML parser failed: %v", r)
			s, err = nil, errs.err()
		}
	}()
	if len(src) > MaxFileSize {
		errs.add(Pos{1, 1}, "", "the file is %d bytes, more than a scenario may be (%d, 4 MiB)", len(src), MaxFileSize)
		return nil, errs.err()
	}
	root := decodeYAML(src, errs)
	if root == nil {
		return nil, errs.err()
	}
	p := &parser{errs: errs, pos: make(map[any]Pos), src: src, ends: lineEnds(src)}
	s = &Scenario{File: name}
	p.noAliases(root, 0)
	if len(errs.errs) == 0 {
		decodeMap(p, root, "", "the scenario", scenarioFields, s)
	}
	if len(errs.errs) > 0 {
		return nil, errs.err()
	}
	c := &checker{errs: errs, pos: p.pos, dir: dataDir(name), noPrograms: noPrograms}
	c.check(s)
	if len(errs.errs) > 0 {
		return nil, errs.err()
	}
	return s, nil
}

// clamp keeps the positions of errors inside src: the YAML library puts
// some at the line after the last (a document that ends early).
func clamp(err error, src []byte) error {
	list, ok := err.(ErrorList)
	if !ok {
		return err
	}
	ends := lineEnds(src)
	for _, e := range list {
		if e.Pos.Line > len(ends) {
			start := 0
			if len(ends) > 1 {
				start = ends[len(ends)-2]
			}
			e.Pos = Pos{len(ends), len([]rune(string(src[start:]))) + 1}
		}
	}
	return list
}

// wholeNumber matches an integer as YAML writes it (digits, underscores,
// a sign). It and yamlLine are compiled on first use, not when netsim
// starts.
var wholeNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-+]?[0-9_]+$`) })

// yamlLine finds the line in the YAML library's messages ("yaml: line 3:
// mapping values are not allowed in this context").
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): `) })

// decodeYAML returns the root mapping of the file's one document, or nil
// after adding an error.
func decodeYAML(src []byte, errs *errList) *yaml.Node {
	lines := len(lineEnds(src))
	syntax := func(err error) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = err.Error()[len(m[0]):]
			line = max(1, min(line, lines))
		}
		line = refineLine(src, line, err.Error())
		errs.add(Pos{line, refineCol(src, line, err.Error())}, "", "YAML: %s", msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errs.add(Pos{1, 1}, "", "the file is empty: a scenario needs at least hosts and programs")
		} else {
			syntax(err)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		errs.add(nodePos(&next), "", "a second YAML document (after ---): a file holds one scenario")
		return nil
	} else if !errors.Is(err, io.EOF) {
		syntax(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null" && doc.Content[0].Value == "" {
		errs.add(Pos{1, 1}, "", "the file is empty: a scenario needs at least hosts and programs")
		return nil
	}
	return doc.Content[0]
}

// lineEnds returns the offset after each line of src, as YAML breaks
// lines: at \n, \r\n, \r, NEL (U+0085), LS (U+2028) and PS (U+2029).
// The last line ends at len(src).
func lineEnds(src []byte) []int {
	var ends []int
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n':
			i++
			ends = append(ends, i+1)
		case src[i] == '\n' || src[i] == '\r':
			ends = append(ends, i+1)
		case bytes.HasPrefix(src[i:], []byte("\u0085")):
			i++
			ends = append(ends, i+1)
		case bytes.HasPrefix(src[i:], []byte("\u2028")) || bytes.HasPrefix(src[i:], []byte("\u2029")):
			i += 2
			ends = append(ends, i+1)
		}
	}
	return append(ends, len(src))
}

// refineLine finds the line of a syntax error. The YAML library names the
// line where the enclosing block starts, not the line at fault; the first
// prefix of the file, in whole lines from there, that gives the same error
// ends with the line at fault. A binary search takes a few parses.
func refineLine(src []byte, line int, msg string) int {
	ends := lineEnds(src)
	same := func(k int) bool {
		var n yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(src[:ends[k-1]])).Decode(&n)
		return err != nil && err.Error() == msg
	}
	lo, hi := max(line, 1), len(ends)
	if lo > hi || !same(hi) {
		return min(max(line, 1), len(ends))
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if same(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// colSearchLimit is how far into the file refineCol looks for a column,
// and colLineLimit the longest line it searches (a line of 20,000 nested
// brackets took 15 deep parses).
const (
	colSearchLimit = 256 << 10
	colLineLimit   = 4 << 10
)

// refineCol finds the column of a syntax error on line: the YAML library
// gives none. The shortest prefix of the file that ends inside the line
// and gives the same error ends at the character at fault (a tab, a quote
// left open, the place a closing bracket was wanted); a binary search
// takes a few parses. It returns 1 when no prefix within the line does,
// and when the line ends past colSearchLimit or is longer than
// colLineLimit (each parse reads the prefix: a 4 MiB file of one line
// would take 20 parses of megabytes).
func refineCol(src []byte, line int, msg string) int {
	ends := lineEnds(src)
	if line < 1 || line > len(ends) {
		return 1
	}
	start := 0
	if line > 1 {
		start = ends[line-2]
	}
	end := ends[line-1]
	same := func(k int) bool {
		var n yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(src[:k])).Decode(&n)
		return err != nil && err.Error() == msg
	}
	if end <= start || end > colSearchLimit || end-start > colLineLimit || !same(end) {
		return 1
	}
	lo, hi := start+1, end
	for lo < hi {
		mid := (lo + hi) / 2
		if same(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	// lo is the offset after the character at fault; the column counts
	// characters (runes) from 1.
	col := utf8.RuneCount(src[start:lo])
	if lo == end && col > 1 && (src[lo-1] == '\n' || src[lo-1] == '\r') {
		col-- // the line's end: name the place before the line break
	}
	return max(col, 1)
}

// noAliases rejects every alias: a scenario is small enough to write out,
// and an alias of an alias of ... ("billion laughs") would blow up what
// the file makes.
func (p *parser) noAliases(n *yaml.Node, depth int) {
	if n.Kind == yaml.AliasNode {
		p.errs.add(nodePos(n), "", "an alias (*%s): scenario files take no aliases; write the value out", n.Value)
		return
	}
	if depth > 100 {
		p.errs.add(nodePos(n), "", "nested more than 100 levels deep")
		return
	}
	for _, c := range n.Content {
		p.noAliases(c, depth+1)
		if len(p.errs.errs) > MaxErrors {
			return
		}
	}
}

func nodePos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// describe says what a node is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return n.Value
		}
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "..."
		}
		return strconv.Quote(v)
	}
	return "something else"
}

// field is one key of a mapping: what Reference says about it, and how the
// parser sets it in a T.
type field[T any] struct {
	key string
	// typ, def and doc are for Reference: the value's type, its default
	// ("" if none: the key is optional and unset means nothing, or
	// "required"), one line of meaning.
	typ, def, doc string
	set           func(p *parser, n *yaml.Node, key string, t *T)
}

func keysOf[T any](fields []field[T]) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}

// decodeMap decodes mapping n into t with fields: what is "the host" for
// messages; allow, if not nil, narrows the keys taken (a step's kind).
func decodeMap[T any](p *parser, n *yaml.Node, path, what string, fields []field[T], t *T, allow ...string) bool {
	if n.Kind != yaml.MappingNode {
		p.errs.add(nodePos(n), path, "expected a mapping (%s), got %s", what, describe(n))
		return false
	}
	seen := make(map[string]Pos)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
			p.errs.add(nodePos(k), path, "a key is %s, not a name", describe(k))
			continue
		}
		key := k.Value
		kpath := join(path, key)
		if first, ok := seen[key]; ok {
			p.errs.add(nodePos(k), kpath, "duplicate key (first at %d:%d)", first.Line, first.Col)
			continue
		}
		seen[key] = nodePos(k)
		var f *field[T]
		for j := range fields {
			if fields[j].key == key {
				f = &fields[j]
			}
		}
		allowed := keysOf(fields)
		if allow != nil {
			allowed = allow
			if f != nil && !contains(allow, key) {
				p.errs.add(nodePos(k), kpath, "not a key of %s; %s takes %s", what, what, strings.Join(allow, ", "))
				continue
			}
		}
		if f == nil {
			p.errs.add(nodePos(k), kpath, "unknown key%s; the keys of %s are %s", didYouMean(key, allowed), what, strings.Join(allowed, ", "))
			continue
		}
		f.set(p, v, kpath, t)
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// didYouMean returns ` (did you mean "name"?)` for the closest of names
// to s, if one is close.
func didYouMean(s string, names []string) string {
	if m := closest(s, names); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	return ""
}

func closest(s string, names []string) string {
	if len(names) > 1000 {
		return "" // too many to look through for every mistake
	}
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(strings.ToLower(s), strings.ToLower(n))
		limit := 2
		if len(n) <= 3 {
			limit = 1
		}
		if d <= limit && d < len(n) && (best == "" || d < bestD) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// The scalar readers below check n's type, record where the value came
// from and set it; each reports its own error.

// scalar returns n's text if n is a scalar a string may be written as.
func (p *parser) scalar(n *yaml.Node, key, expected string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float", "!!timestamp":
			return n.Value, true
		}
	}
	p.errs.add(nodePos(n), key, "expected %s, got %s", expected, describe(n))
	return "", false
}

func (p *parser) str(n *yaml.Node, key string, dst *string) {
	if v, ok := p.scalar(n, key, "a string"); ok {
		*dst = v
		p.pos[dst] = nodePos(n)
	}
}

func (p *parser) strPtr(n *yaml.Node, key string, dst **string) {
	var s string
	if v, ok := p.scalar(n, key, "a string"); ok {
		s = v
		*dst = &s
		p.pos[*dst] = nodePos(n)
		p.pos[dst] = nodePos(n)
	}
}

func (p *parser) boolean(n *yaml.Node, key string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			return b, true
		}
	}
	p.errs.add(nodePos(n), key, "expected true or false, got %s", describe(n))
	return false, false
}

func (p *parser) boolVal(n *yaml.Node, key string, dst *bool) {
	if b, ok := p.boolean(n, key); ok {
		*dst = b
		p.pos[dst] = nodePos(n)
	}
}

func (p *parser) boolPtr(n *yaml.Node, key string, dst **bool) {
	if b, ok := p.boolean(n, key); ok {
		*dst = &b
		p.pos[dst] = nodePos(n)
	}
}

// integer reads an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, key string, lo, hi int64) (int64, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var v int64
		if err := n.Decode(&v); err != nil {
			p.errs.add(nodePos(n), key, "%s is out of range (%d to %d)", n.Value, lo, hi)
			return 0, false
		}
		if v < lo || v > hi {
			p.errs.add(nodePos(n), key, "%d is out of range (%d to %d)", v, lo, hi)
			return 0, false
		}
		return v, true
	}
	if n.Kind == yaml.ScalarNode && wholeNumber().MatchString(n.Value) {
		p.errs.add(nodePos(n), key, "%s is out of range (%d to %d)", n.Value, lo, hi)
		return 0, false
	}
	p.errs.add(nodePos(n), key, "expected an integer, got %s", describe(n))
	return 0, false
}

func (p *parser) intVal(n *yaml.Node, key string, dst *int, lo, hi int64) {
	if v, ok := p.integer(n, key, lo, hi); ok {
		*dst = int(v)
		p.pos[dst] = nodePos(n)
	}
}

func (p *parser) intPtr(n *yaml.Node, key string, dst **int, lo, hi int64) {
	if v, ok := p.integer(n, key, lo, hi); ok {
		i := int(v)
		*dst = &i
		p.pos[dst] = nodePos(n)
	}
}

// unit reads a scalar through one of package units' parsers.
func unit[V any](p *parser, n *yaml.Node, key, expected string, parse func(string) (V, error)) (V, bool) {
	var zero V
	s, ok := p.scalar(n, key, expected)
	if !ok {
		return zero, false
	}
	v, err := parse(s)
	if err != nil {
		p.errs.add(nodePos(n), key, "%s: %v", strconv.Quote(s), err)
		return zero, false
	}
	return v, true
}

func (p *parser) duration(n *yaml.Node, key string, dst *time.Duration) {
	if v, ok := unit(p, n, key, "a duration (10ms)", units.Duration); ok {
		*dst = v
		p.pos[dst] = nodePos(n)
	}
}

func (p *parser) durationPtr(n *yaml.Node, key string, dst **time.Duration) {
	if v, ok := unit(p, n, key, "a duration (10ms)", units.Duration); ok {
		*dst = &v
		p.pos[dst] = nodePos(n)
	}
}

// size reads a byte count in [lo, hi]: 1500, "64KiB".
func (p *parser) size(n *yaml.Node, key string, lo, hi int64) (int64, bool) {
	v, ok := unit(p, n, key, "a byte count (1500, 64KiB)", units.Size)
	if ok && (v < lo || v > hi) {
		p.errs.add(nodePos(n), key, "%d bytes is out of range (%d to %d)", v, lo, hi)
		return 0, false
	}
	return v, ok
}

func (p *parser) strList(n *yaml.Node, key string, dst *[]string) {
	if n.Kind != yaml.SequenceNode {
		p.errs.add(nodePos(n), key, "expected a sequence of strings ([a, b]), got %s", describe(n))
		return
	}
	*dst = make([]string, len(n.Content))
	for i, c := range n.Content {
		p.str(c, fmt.Sprintf("%s[%d]", key, i), &(*dst)[i])
	}
}

// list decodes sequence n, one item at a time.
func list[T any](p *parser, n *yaml.Node, key, what string, dst *[]T, item func(p *parser, n *yaml.Node, key string, t *T)) {
	if n.Kind != yaml.SequenceNode {
		p.errs.add(nodePos(n), key, "expected a sequence (of %s), got %s", what, describe(n))
		return
	}
	*dst = make([]T, len(n.Content))
	for i, c := range n.Content {
		item(p, c, fmt.Sprintf("%s[%d]", key, i), &(*dst)[i])
	}
}
