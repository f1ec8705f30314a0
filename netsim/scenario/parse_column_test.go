package scenario

import (
	"strings"
	"testing"
)

// TestSyntaxColumns: a YAML syntax error names the column at fault, not
// column 1 (the YAML library gives no column; refineCol finds it).
func TestSyntaxColumns(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"hosts: [{name: h}]\nprograms:\n  - host: h\n    steps:\n      - print: \"abc\n", "f.yaml:5:16: YAML: found unexpected end of stream"}, // the quote left open
		{"name: a\nhosts:\n  - name: b\n  - name: c: d\n", "f.yaml:4:12: YAML: mapping values are not allowed in this context"},                 // the second colon
		{"hosts:\n  - name: a\n   bad: indent\n", "f.yaml:3:4: YAML: did not find expected '-' indicator"},                                      // the key out of line
		{"hosts:\n  - name: h\n programs:\n", "f.yaml:3:2: YAML: did not find expected key"},
		{"hosts:\n\t- name: a\n", "f.yaml:2:1: YAML: found character that cannot start any token"},   // the tab
		{"hosts: [{name: h}\nprograms: []\n", "f.yaml:1:17: YAML: did not find expected ',' or ']'"}, // the flow sequence never closed
	} {
		_, err := Parse("f.yaml", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}
