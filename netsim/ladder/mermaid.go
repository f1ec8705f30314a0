package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMermaid writes the ladder as a Mermaid sequenceDiagram, for pages
// that render Mermaid (GitHub, GitLab, many wikis): one participant per
// host, one message per frame, "frame · time · label", a lost frame as a
// message ending in a cross (-x). With [Options.Notes], each frame's
// comments follow as a note over its sender.
func (l *Ladder) WriteMermaid(w io.Writer, opt Options) error {
	if err := l.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("sequenceDiagram\n")
	for i, h := range l.Hosts {
		fmt.Fprintf(bw, "    participant h%d as %s\n", i, mermaidText(h))
	}
	for i := range l.Messages {
		m := &l.Messages[i]
		arrow := "->>"
		label := m.Label
		if m.Lost {
			arrow = "-x"
			label += " (lost)"
		}
		fmt.Fprintf(bw, "    h%d%sh%d: %s\n", m.From, arrow, m.To,
			mermaidText(fmt.Sprintf("%d · %s · %s", m.Frame, timeString(m.Time, m.Precision), label)))
		if note := noteText(m.Comments); opt.Notes && note != "" {
			side := "right of"
			if m.To < m.From {
				side = "left of"
			}
			fmt.Fprintf(bw, "    Note %s h%d: %s\n", side, m.From, mermaidText(note))
		}
	}
	return bw.Flush()
}

// mermaidText makes s safe in a Mermaid message or alias: one line, with
// the characters Mermaid reads as syntax (; ends a statement, # starts an
// entity, %% a comment) written as entities.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '#':
			b.WriteString("#35;")
		case r == ';':
			b.WriteString("#59;")
		case r == '%':
			b.WriteString("#37;")
		case r == '<':
			b.WriteString("#60;")
		case r == '>':
			b.WriteString("#62;")
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
