package dissect

import "unsafe"

// arena hands out the memory of decoded application messages (a DNS
// message's struct, records and names; an HTTP message's) from chunks it
// allocates now and then, instead of an allocation or more for every
// message. Nothing it hands out is ever handed out again or written after
// the message is decoded: a chunk is only appended to, and a new one is
// allocated when it is full, so a Packet kept by its caller keeps its
// message intact (and keeps the chunk alive). A nil *arena allocates
// each piece on the heap, as for a message decoded outside a Dissector.
type arena struct {
	text  []byte // the current chunk's free room for strings
	dns   []DNS
	query []DNSQuery
	rr    []DNSRecord
	http  []HTTP
	hdr   []HTTPHeader
	httpP []*HTTP
	// Scratch buffers, reused: parseDNS's Info and names as they are
	// built (what is kept is copied into text).
	infoBuf, nameBuf []byte
}

// Chunk sizes: a string chunk is 32 KB; the structs come 64 at a time.
const (
	arenaText  = 32 << 10
	arenaBatch = 64
)

// str returns b as a string. Through an arena the bytes are copied into
// its current chunk, and the string points there: the chunk's bytes are
// never written again once handed out.
func (a *arena) str(b []byte) string {
	if a == nil {
		return string(b)
	}
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaText/4 {
		return string(b) // a long string: its own allocation
	}
	if cap(a.text)-len(a.text) < len(b) {
		a.text = make([]byte, 0, arenaText)
	}
	start := len(a.text)
	a.text = append(a.text, b...)
	s := a.text[start:len(a.text):len(a.text)]
	return unsafe.String(unsafe.SliceData(s), len(s))
}

// take returns a slice of length 0 and capacity n from *free, refilled
// with a batch (or n, when more) when it has less than n.
func take[T any](free *[]T, n int) []T {
	if n <= 0 {
		return nil
	}
	if len(*free) < n {
		*free = make([]T, max(n, arenaBatch))
	}
	s := (*free)[:0:n]
	*free = (*free)[n:]
	return s
}

// newDNS returns a zeroed DNS.
func (a *arena) newDNS() *DNS {
	if a == nil {
		return new(DNS)
	}
	return &take(&a.dns, 1)[:1][0]
}

// queries returns room for n questions.
func (a *arena) queries(n int) []DNSQuery {
	if a == nil {
		return nil
	}
	return take(&a.query, n)
}

// records returns room for n resource records.
func (a *arena) records(n int) []DNSRecord {
	if a == nil {
		return nil
	}
	return take(&a.rr, n)
}

// newHTTP returns a zeroed HTTP.
func (a *arena) newHTTP() *HTTP {
	if a == nil {
		return new(HTTP)
	}
	return &take(&a.http, 1)[:1][0]
}

// headers returns room for n headers.
func (a *arena) headers(n int) []HTTPHeader {
	if a == nil {
		return nil
	}
	return take(&a.hdr, n)
}

// httpList returns room for a packet's HTTP message (more move it to the
// heap).
func (a *arena) httpList() []*HTTP {
	if a == nil {
		return nil
	}
	return take(&a.httpP, 1)
}

// concat returns x+y+z, from the arena.
func (a *arena) concat(x, y, z string) string {
	if a == nil {
		return x + y + z
	}
	b := append(append(append(a.nameBuf[:0], x...), y...), z...)
	a.nameBuf = b[:0]
	return a.str(b)
}
