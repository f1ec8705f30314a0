package demo

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// yamlSummary is what yaml reads as the summary key of src.
func yamlSummary(src []byte) (string, error) {
	var top struct {
		Summary string `yaml:"summary"`
	}
	err := yaml.Unmarshal(src, &top)
	return top.Summary, err
}

// TestPlainSummary: where plainSummary reads a summary line without yaml,
// it reads what yaml reads; every shipped scenario's summary is read so,
// and the lines yaml could read otherwise are left to yaml.
func TestPlainSummary(t *testing.T) {
	for _, s := range Scenarios() {
		want, err := yamlSummary(s.Source)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if s.Summary != want {
			t.Errorf("%s: summary %q, yaml reads %q", s.Name, s.Summary, want)
		}
		if _, ok := plainSummary([]byte("summary: " + want + "\n")); !ok {
			t.Errorf("%s: %q is read by yaml, not by plainSummary", s.Name, want)
		}
	}
	for line, plain := range map[string]bool{
		"summary: a b, c [d] {e} (f) 'g' \"h\" 50%\n": true,
		"summary:   two spaces, trailing ones   \n\n": true,
		"summary: a: b\n":                    false,
		"summary: a # comment\n":             false,
		"summary: 'quoted'\n":                false,
		"summary: true\n":                    false,
		"summary: Null\n":                    false,
		"summary: 12 frames\n":               false,
		"summary: ~\n":                       false,
		"summary: - dash\n":                  false,
		"summary: caf\u00e9\n":               false,
		"summary: tab\there\n":               false,
		"summary: ends with a colon:\n":      false,
		"summary: first line\n  continued\n": false,
		"summary:\n  on the next line\n":     false,
		"summary: &anchor x\n":               false,
		"summary: crlf\r\n":                  false,
	} {
		got, ok := plainSummary([]byte(line))
		if ok != plain {
			t.Errorf("plainSummary(%q): ok %v, want %v", line, ok, plain)
		}
		if want, err := yamlSummary([]byte(line)); ok && (err != nil || got != want) {
			t.Errorf("plainSummary(%q) = %q, yaml reads %q (%v)", line, got, want, err)
		}
		// summaryOf reads "" where yaml fails.
		want, _ := yamlSummary([]byte(line))
		if got := summaryOf([]byte("name: x\n" + line + "steps: []\n")); got != want {
			t.Errorf("summaryOf(%q) = %q, yaml reads %q", line, got, want)
		}
	}
}

// FuzzPlainSummary: whatever the summary line, plainSummary either leaves it to
// yaml or reads what yaml reads.
func FuzzPlainSummary(f *testing.F) {
	for _, s := range []string{"a b c", "a: b", "true", "x #y", "[a]", "1e3", "a\n  b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		line := "summary: " + value + "\n"
		got, ok := plainSummary([]byte(line))
		if !ok {
			return
		}
		want, err := yamlSummary([]byte(line))
		if err != nil || got != want {
			t.Errorf("plainSummary(%q) = %q, yaml reads %q (%v)", line, got, want, err)
		}
	})
}
