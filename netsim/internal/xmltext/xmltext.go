// Package xmltext escapes text for XML documents such as the SVG pictures
// that packages ladder and tsg draw.
package xmltext

import "strings"

// Escape returns s escaped for an XML text node or a double-quoted
// attribute: the markup characters become entities, and what XML 1.0
// cannot hold (bytes that are not UTF-8, control characters other than
// tab, newline and carriage return, U+FFFE, U+FFFF, surrogates) becomes
// U+FFFD, so that a title or a capture's comment never makes a document
// ill-formed. With oneLine, tab, newline and carriage return become
// spaces.
func Escape(s string, oneLine bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\t' || r == '\n' || r == '\r':
			if oneLine {
				r = ' '
			}
			b.WriteRune(r)
		case r < 0x20 || r == 0xfffe || r == 0xffff || (r >= 0xd800 && r <= 0xdfff):
			b.WriteRune('\ufffd')
		default:
			b.WriteRune(r) // an invalid byte arrives here as utf8.RuneError, U+FFFD
		}
	}
	return b.String()
}
