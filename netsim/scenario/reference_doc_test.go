package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"netsim.dev/netsim/scenario"
)

// referenceSection returns the lines of Reference's section title, up to the next
// blank line.
func referenceSection(t *testing.T, title string) []string {
	t.Helper()
	ref := scenario.Reference()
	i := strings.Index(ref, "\n"+title+"\n")
	if i < 0 {
		t.Fatalf("Reference has no section %s", title)
	}
	body := ref[i+len(title)+2:]
	if j := strings.Index(body, "\n\n"); j >= 0 {
		body = body[:j]
	}
	return strings.Split(body, "\n")
}

// TestReferenceFiltersForm: the EXPECT FILTERS section of `netsim help
// scenario` shows the form Parse takes (a mapping), and its example,
// pasted under a scenario, parses with each of its filters. The
// section used to describe the old "FILTER OP COUNT" strings, which Parse
// refuses.
func TestReferenceFiltersForm(t *testing.T) {
	var example []string
	for _, l := range referenceSection(t, "EXPECT FILTERS") {
		if strings.HasPrefix(l, "    ") {
			example = append(example, l[4:])
		}
	}
	if len(example) < 3 || example[0] != "expect:" {
		t.Fatalf("EXPECT FILTERS shows no example file (got %q)", example)
	}
	src := `hosts: [{name: h}]
programs:
  - host: h
    steps:
      - listen: ":80"
      - connect: "h:80"
      - send: {text: "GET / HTTP/1.1\r\n\r\n"}
      - close: conn
` + strings.Join(example, "\n") + "\n"
	s, err := scenario.Parse("ref.yaml", []byte(src))
	if err != nil {
		t.Fatalf("the EXPECT FILTERS example does not parse: %v\n%s", err, src)
	}
	if got := len(s.Expect.Filters); got != len(example)-2 {
		t.Fatalf("%d filters parsed from %d lines", got, len(example)-2)
	}
	// The list form the section says is refused is refused.
	bad := strings.Replace(src, "filters:\n", "filters:\n    - \"tcp.flags.fin == 1\"\n", 1)
	bad = bad[:strings.Index(bad, "    - \"tcp")+len("    - \"tcp.flags.fin == 1\"\n")]
	if _, err := scenario.Parse("ref.yaml", []byte(bad)); !errors.Is(err, scenario.ErrInvalid) {
		t.Fatalf("a list under filters: %v, want ErrInvalid", err)
	}
}

// reorderPastSwitch reorders frames on the link into a switch; LINK is
// the link captured and EXPECT its expectations.
const reorderPastSwitch = `seed: 4
hosts: [{name: client}, {name: server}]
switches: [{name: sw}]
links:
  - name: in
    a: {host: client, addrs: [10.0.0.1/24]}
    b: {switch: sw}
    both: {delay: 10ms}
    ab: {reorder: 20%}
  - name: out
    a: {switch: sw}
    b: {host: server, addrs: [10.0.0.2/24]}
capture: {links: [LINK]}
programs:
  - name: server
    host: server
    steps:
      - listen: ":5001"
      - accept: ln
      - recv: {until_eof: true}
      - close: conn
  - name: client
    host: client
    steps:
      - connect: "server:5001"
      - send: {random: 30000}
      - close: conn
expect:
  filters:
EXPECT`

// TestReferenceCapturePoints: what CAPTURE POINTS says holds: the impaired
// link's own capture has the reordered frames in sending order, with a
// comment, and the link past the switch shows them out of order.
func TestReferenceCapturePoints(t *testing.T) {
	text := strings.Join(referenceSection(t, "CAPTURE POINTS"), " ")
	for _, w := range []string{"as the frame enters it", "switch", "out-of-order"} {
		if !strings.Contains(text, w) {
			t.Errorf("CAPTURE POINTS does not say %q", w)
		}
	}
	for link, expect := range map[string]string{
		"in": `    'frame.comment contains "reordered"': ">= 1"
    tcp.analysis.out_of_order: 0
`,
		"out": `    'frame.comment contains "reordered"': 0
    tcp.analysis.out_of_order: ">= 1"
`,
	} {
		src := strings.NewReplacer("LINK", link, "EXPECT", expect).Replace(reorderPastSwitch)
		s := parse(t, "reorder-"+link+".yaml", src)
		if _, _, _, err := run(t, s, scenario.RunOptions{}); err != nil {
			t.Errorf("capturing %s: %v", link, err)
		}
	}
}
