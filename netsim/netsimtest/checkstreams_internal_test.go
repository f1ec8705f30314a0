package netsimtest

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// h2Builder writes HTTP/2 frames of one direction.
type h2Builder struct {
	buf bytes.Buffer
	enc *hpack.Encoder
	hb  bytes.Buffer
}

func newH2Builder(client bool) *h2Builder {
	b := &h2Builder{}
	b.enc = hpack.NewEncoder(&b.hb)
	if client {
		b.buf.WriteString(h2Preface)
	}
	b.frame(4, 0, 0, nil) // SETTINGS
	return b
}

func (b *h2Builder) frame(typ, flags uint8, stream uint32, p []byte) *h2Builder {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(p)>>16), byte(len(p)>>8), byte(len(p))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	b.buf.Write(h[:])
	b.buf.Write(p)
	return b
}

// headers writes a HEADERS frame of pseudo-header pairs (END_HEADERS).
func (b *h2Builder) headers(stream uint32, kv ...string) *h2Builder {
	b.hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		b.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return b.frame(h2Headers, 0x4, stream, bytes.Clone(b.hb.Bytes()))
}

func (b *h2Builder) data(stream uint32, s string) *h2Builder {
	return b.frame(h2Data, 0, stream, []byte(s))
}

// TestExplainH2: requests under other stream IDs, responses on other
// streams, and the same streams interleaved otherwise are told apart; the
// same bytes, or other contents, are not explained.
func TestExplainH2(t *testing.T) {
	requests := func(paths ...string) []byte {
		b := newH2Builder(true)
		for i, p := range paths {
			b.headers(uint32(1+2*i), ":method", "GET", ":path", p)
		}
		return b.buf.Bytes()
	}
	resp := func(build func(b *h2Builder)) []byte {
		b := newH2Builder(false)
		build(b)
		return b.buf.Bytes()
	}
	inOrder := resp(func(b *h2Builder) {
		b.headers(1, ":status", "200").data(1, "aa").headers(3, ":status", "200").data(3, "bbb")
	})
	for _, c := range []struct {
		name       string
		a, b       *conn
		want, what string // "" for not explained
	}{
		{
			name: "request ids",
			a:    &conn{up: requests("/a", "/b"), down: inOrder},
			b:    &conn{up: requests("/b", "/a"), down: inOrder},
			want: causeH2IDs,
			what: "HTTP/2 requests under other stream IDs: run 1: stream 1 GET /a; stream 3 GET /b; run 2: stream 1 GET /b; stream 3 GET /a",
		},
		{
			name: "responses swapped",
			a:    &conn{up: requests("/a", "/b"), down: inOrder},
			b: &conn{up: requests("/a", "/b"), down: resp(func(b *h2Builder) {
				b.headers(1, ":status", "200").data(1, "bbb").headers(3, ":status", "200").data(3, "aa")
			})},
			want: causeH2Mix,
			what: "HTTP/2 responses on other streams: run 1: stream 1 200, 2 bytes of DATA; stream 3 200, 3 bytes of DATA; run 2: stream 1 200, 3 bytes of DATA; stream 3 200, 2 bytes of DATA",
		},
		{
			name: "interleaved",
			a:    &conn{up: requests("/a", "/b"), down: inOrder},
			b: &conn{up: requests("/a", "/b"), down: resp(func(b *h2Builder) {
				b.headers(1, ":status", "200").headers(3, ":status", "200").data(3, "bbb").frame(8, 0, 0, []byte{0, 0, 1, 0}).data(1, "aa")
			})},
			want: causeH2Mix,
			what: "each HTTP/2 stream carries the same in both runs, but the frames on the connection come in another order, and the connection's own frames (stream 0) differ: 2 SETTINGS in run 1, 2 SETTINGS, 1 WINDOW_UPDATE (+256) in run 2",
		},
		{
			name: "other contents",
			a:    &conn{up: requests("/a", "/b"), down: inOrder},
			b:    &conn{up: requests("/a", "/c"), down: inOrder},
		},
		{
			name: "same bytes",
			a:    &conn{up: requests("/a", "/b"), down: inOrder},
			b:    &conn{up: requests("/a", "/b"), down: inOrder},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			what, cause, _, ok := explainH2(c.a, c.b, 1, 2)
			if c.want == "" {
				if ok {
					t.Fatalf("explained: %s (%s)", what, cause)
				}
				return
			}
			if !ok || cause != c.want || !strings.Contains(what, c.what) {
				t.Errorf("explainH2 = %q, %q, %v; want %q saying %q", what, cause, ok, c.want, c.what)
			}
		})
	}
}
