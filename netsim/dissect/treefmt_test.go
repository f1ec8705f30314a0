package dissect

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// TestAppendfMatchesSprintf checks appendf against fmt.Sprintf for the
// verbs, flags and argument types the tree uses, named types among them.
func TestAppendfMatchesSprintf(t *testing.T) {
	type u8 uint8
	type i16 int16
	type name string
	type raw []byte
	ints := []any{0, 1, -1, 7, 42, -42, 255, 256, 65535, -65536, int64(-1 << 63), int8(-128), int16(300), int32(-70000),
		uint8(200), uint16(65535), uint32(1 << 31), uint64(1<<64 - 1), uint(12345), u8(17), i16(-300), pcapread.LinkType(113)}
	strs := []any{"", "abc", "Bröadcäst", name("tcp"), []byte("xyz"), raw{0, 1, 0xfe}, []byte{}, [4]byte{1, 2, 3, 0xff}, md5.Sum([]byte("x"))}
	floats := []any{0.0, 1.5, -0.0005, 123.4567, float32(2.25), 1e21}
	var cases []struct {
		format string
		arg    any
	}
	add := func(format string, args []any) {
		for _, a := range args {
			cases = append(cases, struct {
				format string
				arg    any
			}{format, a})
		}
	}
	add("%d", ints)
	add("%2d", ints)
	add("%09d", ints)
	add("%x", ints)
	add("%02x", ints)
	add("%04x", ints)
	add("%08x", ints)
	add("<%s>", strs)
	add("%x", strs)
	add("%12s|", strs)
	add("%.3f", floats)
	add("%.3f s", floats)
	for _, c := range cases {
		want := fmt.Sprintf(c.format, c.arg)
		if got := string(appendf([]byte(nil), c.format, []any{c.arg})); got != want {
			t.Errorf("appendf(%q, %T %v) = %q, Sprintf %q", c.format, c.arg, c.arg, got, want)
		}
	}
	multi := []struct {
		format string
		args   []any
	}{
		{"Frame %d: %d bytes on wire (%d bits), 100%% %s", []any{1, 74, 592, "done"}},
		{"Flags: 0x%03x (%s)", []any{uint16(0x18), "PSH, ACK"}},
		{"no verbs", []any{}},
		{"", nil},
	}
	for _, m := range multi {
		want := fmt.Sprintf(m.format, m.args...)
		if got := string(appendf(nil, m.format, m.args)); got != want {
			t.Errorf("appendf(%q, %v) = %q, Sprintf %q", m.format, m.args, got, want)
		}
	}
}

// TestAppendfUnsupported checks that what appendf does not format is
// marked, not formatted some other way: a Stringer, whose String fmt would
// call, and a verb the tree does not use.
func TestAppendfUnsupported(t *testing.T) {
	for _, c := range []struct {
		format string
		arg    any
	}{
		{"%s", ProtoTCP},
		{"%v", 5},
		{"%q", "x"},
		{"%s", 5},
		{"%d", "x"},
		{"%s", fmt.Errorf("e")},
	} {
		got := string(appendf(nil, c.format, []any{c.arg}))
		if !strings.Contains(got, "(unsupported)") {
			t.Errorf("appendf(%q, %T) = %q, want it marked unsupported", c.format, c.arg, got)
		}
	}
}

// TestTreeLabelTruncation checks the line writers cut a label longer than
// Wireshark's 239 bytes as truncLabel does, with and without arguments,
// and in bit-field lines.
func TestTreeLabelTruncation(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes, two a rune
	var tw treeWriter
	tw.f(1, "%s", long)
	tw.f(2, "Name: %s", long)
	tw.g(0, "%s", long)
	tw.bits(1, 8, 0x80, 0x80, "%s", long)
	want := "    " + truncLabel(long) + "\n" +
		"        " + truncLabel("Name: "+long) + "\n" +
		"[" + truncLabel(long) + "]\n" +
		"    " + truncLabel(bitStr(8, 0x80, 0x80)+" = "+long) + "\n"
	if got := tw.sb.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTreeAllocs checks that AppendTree allocates little for the
// real-world capture's frames (the interface names, strings the tree
// builds from several parts): far below a line's allocation each.
func TestTreeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations would count")
	}
	frames, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	d.SetMACNames(summaryNames(t), true)
	pkts := make([]Packet, len(frames))
	lines := 0
	var buf []byte
	for i := range frames {
		d.Dissect(&frames[i], &pkts[i])
		buf = AppendTree(buf[:0], &pkts[i])
		lines += bytes.Count(buf, []byte("\n"))
	}
	i := 0
	allocs := testing.AllocsPerRun(len(pkts), func() {
		buf = AppendTree(buf[:0], &pkts[i%len(pkts)])
		i++
	})
	perLine := allocs * float64(len(pkts)) / float64(lines)
	t.Logf("%.1f allocations a frame, %.3f a line (%d lines)", allocs, perLine, lines)
	if perLine > 0.1 {
		t.Errorf("AppendTree allocates %.3f times a line (%.1f a frame); want at most 0.1", perLine, allocs)
	}
	// Tree writes what AppendTree appends.
	var sb strings.Builder
	if err := Tree(&sb, &pkts[0]); err != nil {
		t.Fatal(err)
	}
	if got, want := sb.String(), string(AppendTree(nil, &pkts[0])); got != want {
		t.Errorf("Tree and AppendTree differ:\n%s\n%s", got, want)
	}
}
