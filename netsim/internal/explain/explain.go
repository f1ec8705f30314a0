// Package explain says, in plain words, why each frame of a run was sent
// and how its numbers follow from earlier frames, from what the simulator
// knew when the frame left (see [Cause]), in English or Russian.
//
// CONTRACT STUB: helper "explain" owns this file and replaces the bodies.
package explain

import (
	"fmt"
	"time"
)

// Lang is the language of the explanations.
type Lang string

// The languages.
const (
	English Lang = "en"
	Russian Lang = "ru"
)

// ErrLang is the error of an unsupported language.
var ErrLang = fmt.Errorf("explain: unsupported language (want en or ru)")

// ParseLang returns the language named s ("en", "ru"; "" is English).
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "en":
		return English, nil
	case "ru":
		return Russian, nil
	}
	return "", fmt.Errorf("%w: %q", ErrLang, s)
}

// Frame is one frame as it enters a link, with what caused it.
type Frame struct {
	Number int           // 1-based, in capture order
	Time   time.Duration // virtual time since the start
	Link   string        // the capture interface (link) name
	Data   []byte        // the Ethernet frame
	Note   string        // the wire's note ("lost: loss 3% on a-b a→b"), "" if none
	Cause  Cause
}

// Explainer follows the frames of one run, in order, and explains each.
// It is not safe for concurrent use (netsim calls it under its capture lock).
type Explainer struct {
	lang Lang
}

// New returns an Explainer writing in lang.
func New(lang Lang) *Explainer { return &Explainer{lang: lang} }

// Explain returns the frame's comments, in order: the explanation, then
// the wire's note (f.Note, kept as the wire wrote it) if any, then the
// sender's state (SenderState.Comment) if known.
func (x *Explainer) Explain(f Frame) []string {
	var out []string
	if f.Note != "" {
		out = append(out, f.Note)
	}
	if f.Cause.Sender != nil {
		out = append(out, f.Cause.Sender.Comment())
	}
	return out
}
