package dissect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// ErrNoEntries is matched by the [*NoEntriesError] of [LoadMACNamesFile]
// and [Dissector.LoadTLSKeyLogFile]: the file holds no entry of its format.
var ErrNoEntries = errors.New("no entry of the file's format")

// NoEntriesError says that a file a user named holds no entry of its
// format (a MAC names file, a TLS key log): it is most likely another
// file (a capture, a picture). Both formats skip lines that are not
// entries, as Wireshark does, so a file is refused only when none is one.
type NoEntriesError struct {
	// Path is the file.
	Path string
	// What names an entry: "MAC name (ADDRESS NAME)".
	What string
	// Line is the number (from 1) of the file's first line that is
	// neither blank, nor a comment, nor an entry; 0 if it has none.
	Line int
	// Text is the start of that line.
	Text string
}

func (e *NoEntriesError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: no %s in the file (it is empty or holds only comments)", e.Path, e.What)
	}
	return fmt.Sprintf("%s:%d: no %s in the file; line %d is not one: %s", e.Path, e.Line, e.What, e.Line, e.Text)
}

// Unwrap returns [ErrNoEntries].
func (e *NoEntriesError) Unwrap() error { return ErrNoEntries }

// noEntries builds the [*NoEntriesError] of a file b of which no line is
// an entry: its first line with anything but blanks before a comment
// (comment starts a comment, 0 for none) is the first bad one.
func noEntries(path, what string, b []byte, comment byte) *NoEntriesError {
	e := &NoEntriesError{Path: path, What: what}
	for n := 1; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		content := line
		if i := bytes.IndexByte(line, comment); i >= 0 && comment != 0 {
			content = line[:i]
		}
		if len(bytes.TrimSpace(content)) == 0 {
			continue
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > 32 {
			line = line[:32]
		}
		e.Line, e.Text = n, strconv.QuoteToASCII(string(line))
		if len(line) == 32 {
			e.Text += "..."
		}
		return e
	}
	return e
}

// LoadMACNamesFile reads one file in Wireshark's manuf format (see
// [MACNames.Parse]) that a user named, as tshark's manuf option does.
// Unlike [LoadMACNames], which reads system files that may be empty, it
// fails when the file does not exist and when it holds no entry: that is
// a [*NoEntriesError] naming its first line that is not one.
func LoadMACNamesFile(path string) (*MACNames, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("MAC names: %w", err)
	}
	n := NewMACNames()
	if err := n.Parse(bytes.NewReader(b), path); err != nil {
		return nil, err
	}
	if len(n.oui)+len(n.exact)+len(n.masked) == 0 {
		return nil, noEntries(path, "MAC name (ADDRESS NAME)", b, '#')
	}
	return n, nil
}

// LoadTLSKeyLogFile is [Dissector.LoadTLSKeyLog] for a file a user named:
// it fails when the file holds no secret d can use (no line of the NSS
// key log format with one of the labels Wireshark reads), with a
// [*NoEntriesError] naming its first line that is not one.
func (d *Dissector) LoadTLSKeyLogFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("TLS key log: %w", err)
	}
	n := d.AddTLSKeyLog(b)
	if n == 0 {
		return 0, noEntries(path, "TLS secret (LABEL CLIENT_RANDOM SECRET)", b, '#')
	}
	return n, nil
}
