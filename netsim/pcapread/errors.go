package pcapread

import "fmt"

// MaxSnapLen is the largest captured packet length accepted, as in
// Wireshark (WTAP_MAX_PACKET_SIZE_STANDARD).
const MaxSnapLen = 262144

// FormatError reports malformed capture data.
type FormatError struct {
	// Offset is the file offset of the header or block that is bad.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

// Error returns the offset and what is wrong there.
func (e *FormatError) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

func formatErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
