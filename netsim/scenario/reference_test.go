package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// sectionPaths say where each section's mapping sits, to make a file
// that sets one key there.
var sectionPaths = map[string]func(key string) string{
	"the file (the top level)":      func(k string) string { return k + ": ~\n" },
	"capture":                       func(k string) string { return "capture: {" + k + ": ~}\n" },
	"hosts[]":                       func(k string) string { return "hosts: [{" + k + ": ~}]\n" },
	"hosts[].routes[]":              func(k string) string { return "hosts: [{routes: [{" + k + ": ~}]}]\n" },
	"switches[]":                    func(k string) string { return "switches: [{" + k + ": ~}]\n" },
	"links[]":                       func(k string) string { return "links: [{" + k + ": ~}]\n" },
	"links[].a, links[].b (an end)": func(k string) string { return "links: [{a: {" + k + ": ~}}]\n" },
	"link settings (links[].both/ab/ba, events[].both/ab/ba, hosts[].loopback)": func(k string) string {
		return "links: [{both: {" + k + ": ~}}]\n"
	},
	"events[]":   func(k string) string { return "events: [{" + k + ": ~}]\n" },
	"programs[]": func(k string) string { return "programs: [{" + k + ": ~}]\n" },
	"programs[].steps[] (the keys inside a step; each kind takes the keys listed with it above)": func(k string) string {
		// A kind that takes k.
		for _, sk := range stepKinds {
			if slices.Contains(sk.keys, k) {
				return "programs: [{steps: [" + string(sk.kind) + ": {" + k + ": ~}]}]\n"
			}
		}
		return "programs: [{steps: [send: {" + k + ": ~}]}]\n"
	},
	"expect":            func(k string) string { return "expect: {" + k + ": ~}\n" },
	"expect.received[]": func(k string) string { return "expect: {received: [{" + k + ": ~}]}\n" },
}

// TestReferenceKeys: every key Reference lists is one the parser takes
// where Reference says, every step key is taken by some kind, and a key
// Reference does not list is refused there: the parser and the reference
// cannot drift apart.
func TestReferenceKeys(t *testing.T) {
	ref := Reference()
	secs := sections()
	if len(secs) != len(sectionPaths) {
		t.Fatalf("%d sections, %d paths", len(secs), len(sectionPaths))
	}
	for _, s := range secs {
		file, ok := sectionPaths[s.title]
		if !ok {
			t.Errorf("no path for section %q", s.title)
			continue
		}
		if !strings.Contains(ref, "\nKEYS OF "+s.title+"\n") {
			t.Errorf("Reference has no section %q", s.title)
		}
		for _, k := range s.keys {
			if !strings.Contains(ref, "\n  "+k.key+" ") || k.typ == "" || k.doc == "" {
				t.Errorf("%s: key %s is not described", s.title, k.key)
			}
			_, err := Parse("ref.yaml", []byte(file(k.key)))
			if err == nil || strings.Contains(err.Error(), "unknown key") || strings.Contains(err.Error(), "not a key of") || strings.Contains(err.Error(), "unknown step") {
				t.Errorf("%s: key %s: %v", s.title, k.key, err)
			}
		}
		_, err := Parse("ref.yaml", []byte(file("no_such_key")))
		if err == nil || !strings.Contains(err.Error(), "no_such_key: unknown key") {
			t.Errorf("%s: an unknown key: %v", s.title, err)
		}
	}
	// Every key a step kind takes is a step key, and every step kind is
	// in Reference with its keys.
	stepKeys := keysOf(stepFields)
	for _, sk := range stepKinds {
		for _, k := range sk.keys {
			if !slices.Contains(stepKeys, k) {
				t.Errorf("step %s takes %s, which is not a step key", sk.kind, k)
			}
		}
		if !strings.Contains(ref, "keys: "+strings.Join(sk.keys, ", ")+"\n") || !strings.Contains(ref, "\n  "+string(sk.kind)+" ") {
			t.Errorf("Reference does not list step %s with its keys", sk.kind)
		}
	}
	for _, k := range stepKeys {
		used := false
		for _, sk := range stepKinds {
			used = used || slices.Contains(sk.keys, k)
		}
		if !used {
			t.Errorf("step key %s is taken by no kind", k)
		}
	}
	// The step kinds are spec.go's constants.
	for _, k := range []StepKind{StepListen, StepAccept, StepConnect, StepBind, StepSend, StepRecv, StepSleep, StepShutdown, StepClose, StepAbort, StepSet, StepTLS, StepPrint} {
		if kindOf(k) == nil {
			t.Errorf("no step kind %s", k)
		}
	}
	if len(stepKinds) != 13 {
		t.Errorf("%d step kinds", len(stepKinds))
	}
	if d := netsim.DefaultStart.Format(time.RFC3339); !strings.Contains(ref, "(default: "+d+")") {
		t.Errorf("Reference does not give start's default, %s", d)
	}
	if !strings.HasSuffix(ref, indent(Example)) {
		t.Error("Reference does not end with the example")
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			fmt.Fprintf(&b, "  %s", l)
		}
	}
	return b.String()
}

// TestExampleUsesEveryKey: the example shows every key of every section
// (step keys: in some step).
func TestExampleUsesEveryKey(t *testing.T) {
	missing := map[string]bool{"sha256": true} // a comment in the example
	for _, s := range sections() {
		for _, k := range s.keys {
			if !missing[k.key] && !strings.Contains(Example, " "+k.key+":") && !strings.Contains(Example, "{"+k.key+":") && !strings.Contains(Example, "\n"+k.key+":") {
				t.Errorf("the example does not use %s (%s)", k.key, s.title)
			}
		}
	}
	for _, sk := range stepKinds {
		if !strings.Contains(Example, "- "+string(sk.kind)+":") {
			t.Errorf("the example has no %s step", sk.kind)
		}
	}
}
