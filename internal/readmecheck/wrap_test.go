package myproto_test

import (
	"strings"
	"testing"
)

// TestReadmeBlocks finds ```go blocks, their README lines and the skip
// marker.
func TestReadmeBlocks(t *testing.T) {
	readme := "# x\n```go\na := 1\n```\n\n<!-- readmecheck: skip -->\n```go\nnot Go\n```\n```sh\nls\n```\n"
	bs := readmeBlocks(readme)
	if len(bs) != 2 || bs[0].line != 3 || bs[0].code != "a := 1\n" || bs[0].skip || bs[1].line != 8 || !bs[1].skip {
		t.Errorf("readmeBlocks: %+v", bs)
	}
}

// TestWrapFragment: a fragment becomes main's body, with the imports of the
// package names it uses, f predeclared, its variables used, and a //line
// directive at its README line.
func TestWrapFragment(t *testing.T) {
	src, err := wrapFragment(block{line: 42, code: "n, _ := netsim.New(netsim.Options{Capture: f})\nerr := n.Run()\nfmt.Println(time.Second)\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"import (\n\t\"bytes\"\n\t\"fmt\"\n\t\"netsim.dev/netsim\"\n\t\"time\"\n)",
		"f := new(bytes.Buffer)\n\t_ = f\n//line README.md:42\nn, _ := netsim.New",
		"\t_ = n\n\t_ = err\n}\n",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("wrapped fragment\n%s\ndoes not contain\n%s", src, want)
		}
	}
	// A fragment that declares f gets no f of the wrapper's.
	src, err = wrapFragment(block{line: 1, code: "f, _ := os.Create(\"x.pcap\")\n"})
	if err != nil || strings.Contains(src, "new(bytes.Buffer)") || !strings.Contains(src, "\"os\"") {
		t.Errorf("fragment declaring f: %v\n%s", err, src)
	}
	if _, err := wrapFragment(block{line: 7, code: "this is not Go\n"}); err == nil || !strings.Contains(err.Error(), "README.md:7") {
		t.Errorf("a block that is not Go: %v", err)
	}
}
