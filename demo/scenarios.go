package demo

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"netsim.dev/netsim/scenario"
)

// scenarioFS holds the shipped scenarios: scenarios/NAME.yaml.
//
//go:embed scenarios/*.yaml
var scenarioFS embed.FS

// ScenarioInfo is one shipped scenario: its name, what it shows and its
// file, as [Scenarios] lists them.
type ScenarioInfo struct {
	// Name is the scenario's name (its file name without ".yaml"), what
	// `netsim run NAME` takes.
	Name string
	// Summary says in one sentence what the scenario shows (the file's
	// summary key).
	Summary string
	// Source is the file's bytes, comments included.
	Source []byte
}

// Scenarios returns the shipped scenarios, sorted by name. Each is a
// scenario file (see package [scenario]) that teaches one thing about
// TCP/IP, and a regression test: its expectations say what its capture
// must show.
func Scenarios() []ScenarioInfo {
	entries, err := fs.ReadDir(scenarioFS, "scenarios")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	var list []ScenarioInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		src, err := scenarioFS.ReadFile(path.Join("scenarios", e.Name()))
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		list = append(list, ScenarioInfo{Name: name, Summary: summaryOf(src), Source: src})
	}
	slices.SortFunc(list, func(a, b ScenarioInfo) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// summaryOf reads a scenario file's top-level summary key, without
// parsing the whole file (listing must not depend on every file being
// valid, and `netsim list` would spend most of its time parsing the 22
// files whole): the line that starts with "summary:" and the indented or
// blank lines that continue it are parsed alone. "" if there is none.
func summaryOf(src []byte) string {
	rest := src
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		if !bytes.HasPrefix(line, []byte("summary:")) {
			rest = after
			continue
		}
		end := len(src) - len(after)
		for len(after) > 0 {
			next, more, _ := bytes.Cut(after, []byte("\n"))
			if len(bytes.TrimSpace(next)) > 0 && next[0] != ' ' && next[0] != '\t' {
				break
			}
			end, after = len(src)-len(more), more
		}
		if v, ok := plainSummary(src[len(src)-len(rest) : end]); ok {
			return v
		}
		var top struct {
			Summary string `yaml:"summary"`
		}
		if err := yaml.Unmarshal(src[len(src)-len(rest):end], &top); err != nil {
			return ""
		}
		return top.Summary
	}
	return ""
}

// plainSummary reads a "summary: VALUE" line followed by nothing but
// lines of spaces, whose VALUE is printable ASCII that YAML reads as that
// text: a plain scalar that no indicator starts, with no ": " or " #" in
// it, that cannot be read as a number, a boolean or null. ok is false for anything else,
// which yaml.Unmarshal reads: a YAML parser costs some 60,000
// instructions a call, most of what `netsim list` did for 22 summaries.
func plainSummary(block []byte) (v string, ok bool) {
	line, rest, _ := bytes.Cut(block, []byte("\n"))
	val, found := bytes.CutPrefix(line, []byte("summary: "))
	if !found || len(bytes.Trim(rest, " \n")) > 0 {
		return "", false
	}
	val = bytes.Trim(val, " ")
	if len(val) == 0 || bytes.ContainsAny(val[:1], "-?:,[]{}#&*!|>'\"%@`+.0123456789~") ||
		val[len(val)-1] == ':' || bytes.Contains(val, []byte(": ")) || bytes.Contains(val, []byte(" #")) {
		return "", false
	}
	for _, c := range val {
		if c < ' ' || c > '~' {
			return "", false
		}
	}
	switch strings.ToLower(string(val)) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return "", false
	}
	return string(val), true
}

// ErrNoScenario is returned, wrapped, by [LookupScenario] for a name that
// no shipped scenario has.
var ErrNoScenario = errors.New("no such scenario")

// LookupScenario parses the shipped scenario called name (as [Scenarios]
// lists them), named "scenarios/NAME.yaml" in errors. A name that no
// scenario has is an error that wraps [ErrNoScenario] and lists the names.
func LookupScenario(name string) (*scenario.Scenario, error) {
	file := "scenarios/" + name + ".yaml"
	src, err := scenarioFS.ReadFile(file)
	if err != nil || strings.ContainsAny(name, "/\\") || name == "" {
		var names []string
		for _, s := range Scenarios() {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("%w %q (the scenarios: %s)", ErrNoScenario, name, strings.Join(names, ", "))
	}
	return scenario.Parse(file, src)
}
