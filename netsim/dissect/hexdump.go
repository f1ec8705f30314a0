package dissect

import (
	"fmt"
	"io"
)

// HexDump writes b as tshark -x does: 16 bytes per line with the offset,
// hex bytes and printable ASCII, followed by a blank line.
func HexDump(w io.Writer, b []byte) error {
	line := make([]byte, 0, 80)
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		line = append(line[:0], fmt.Sprintf("%04x  ", off)...)
		for i := off; i < off+16; i++ {
			if i < end {
				line = append(line, fmt.Sprintf("%02x ", b[i])...)
			} else {
				line = append(line, "   "...)
			}
		}
		line = append(line, "  "...)
		for i := off; i < end; i++ {
			c := b[i]
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			line = append(line, c)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n")
	return err
}
