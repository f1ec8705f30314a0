package dissect

import (
	"io"

	"netsim.dev/netsim/pcapread"
)

// Scan decodes every remaining frame of r in order and calls fn with each.
// The Packet is reused between calls. Scan stops at the first error from
// fn or from the reader and returns it; the end of the capture is nil.
func Scan(r *pcapread.Reader, fn func(p *Packet) error) error {
	return New().Scan(r, fn)
}

// Scan is [Scan] with d: its MAC names ([Dissector.SetMACNames]) and
// state. d must be new.
func (d *Dissector) Scan(r *pcapread.Reader, fn func(p *Packet) error) error {
	var p Packet
	nifs := -1
	for {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if ifs := r.Interfaces(); len(ifs) != nifs {
			d.SetInterfaces(ifs)
			nifs = len(ifs)
		}
		d.takeSecrets(r)
		d.Dissect(f, &p)
		if err := fn(&p); err != nil {
			return err
		}
	}
}
