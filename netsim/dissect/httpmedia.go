package dissect

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
)

// What tshark 4.0 shows for an HTTP body: the dissector registered for
// its media type appends to the Info column (and XML and JSON to the
// Protocol column); a type with no dissector of its own goes to the media
// dissector, which appends " (TYPE)". Image dissectors that do not find
// their format's signature decline, and the media dissector takes the
// body instead. multipart/* bodies are split into their parts, each part
// with a Content-Type shown the same way.

// httpBody is what an HTTP message's body adds to the columns.
type httpBody struct {
	proto string // appended to "HTTP" in the Protocol column: "/XML", "/JSON" or ""
	info  string // appended to the Info column
}

// maxMultipartParts bounds the parts of a multipart body netsim looks at.
const maxMultipartParts = 64

// httpBodyColumns returns what a body of media type t (lower-case, without
// parameters; params are the Content-Type's parameters) adds to the columns.
func httpBodyColumns(t, params string, body []byte, depth int) httpBody {
	switch {
	case t == "" || len(body) == 0:
		return httpBody{}
	case isXMLType(t):
		return httpBody{proto: "/XML"}
	case t == "application/octet-stream":
		// A dissector tshark registers for it takes the body silently.
		return httpBody{}
	case t == "application/json":
		return httpBody{proto: "/JSON", info: ", JavaScript Object Notation (" + t + ")"}
	case t == "image/png" && len(body) >= 20 && bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")):
		// The PNG dissector declines a body shorter than 20 bytes.
		return httpBody{info: " (PNG)"}
	case (t == "image/jpeg" || t == "image/jpg" || t == "image/pjpeg") && bytes.HasPrefix(body, []byte{0xff, 0xd8}):
		return httpBody{info: " (JPEG JFIF image)"}
	case t == "image/gif" && len(body) >= 20 && (bytes.HasPrefix(body, []byte("GIF87a")) || bytes.HasPrefix(body, []byte("GIF89a"))):
		return httpBody{info: " (" + string(body[:6]) + ")"}
	case strings.HasPrefix(t, "multipart/") && depth < 2:
		boundary := mimeParam(params, "boundary")
		if boundary == "" {
			return httpBody{info: " (" + t + ")"}
		}
		var out httpBody
		for _, part := range multipartParts(body, boundary) {
			h := httpHeaderEnd(part)
			if h < 0 {
				continue
			}
			_, hdrs := httpParseHeaders(append([]byte("x\r\n"), part[:h]...), nil)
			pm := &HTTP{Headers: hdrs}
			pt, pp := splitMediaType(pm.Header("Content-Type"))
			b := httpBodyColumns(pt, pp, part[h:], depth+1)
			out.info += b.info
		}
		return out
	}
	return httpBody{info: " (" + t + ")"}
}

// splitMediaType splits a Content-Type value into its lower-cased type
// and its parameters.
func splitMediaType(ct string) (t, params string) {
	t, params, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t)), params
}

// mimeParam returns a parameter's value (unquoted) from a Content-Type's
// parameters, "" when absent.
func mimeParam(params, name string) string {
	for _, kv := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// multipartParts splits a multipart body at its "--boundary" lines and
// returns the parts (headers and content) between them.
func multipartParts(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	i := bytes.Index(body, delim)
	for i >= 0 && len(parts) < maxMultipartParts {
		start := i + len(delim)
		if bytes.HasPrefix(body[start:], []byte("--")) {
			break // the closing delimiter
		}
		if nl := bytes.IndexByte(body[start:], '\n'); nl >= 0 {
			start += nl + 1
		} else {
			break
		}
		j := bytes.Index(body[start:], delim)
		if j < 0 {
			parts = append(parts, body[start:])
			break
		}
		end := start + j
		// The line end before the delimiter belongs to it.
		p := bytes.TrimSuffix(body[start:end], []byte("\n"))
		p = bytes.TrimSuffix(p, []byte("\r"))
		parts = append(parts, p)
		i = end
	}
	return parts
}

// httpDechunk returns the data of a chunked body (as much as is there).
func httpDechunk(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			break
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(b[:nl])), ";")
		n := 0
		for _, c := range strings.TrimSpace(line) {
			d := strings.IndexRune("0123456789abcdef", c|0x20)
			if d < 0 || n > 1<<27 {
				return out
			}
			n = n<<4 | d
		}
		b = b[nl+1:]
		if n == 0 {
			break
		}
		n = min(n, len(b))
		out = append(out, b[:n]...)
		b = b[n:]
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 && nl <= 1 {
			b = b[nl+1:]
		}
	}
	return out
}

// bodyColumns returns what m's body adds to the columns, worked out once.
func (m *HTTP) bodyColumns() httpBody {
	if !m.bodyDone {
		m.body, m.bodyDone = m.findBodyColumns(), true
	}
	return m.body
}

func (m *HTTP) findBodyColumns() httpBody {
	t, params := splitMediaType(m.Header("Content-Type"))
	body := m.Body
	if strings.Contains(strings.ToLower(m.Header("Transfer-Encoding")), "chunked") {
		body = httpDechunk(body)
	}
	switch strings.ToLower(strings.TrimSpace(m.Header("Content-Encoding"))) {
	case "gzip", "x-gzip", "deflate":
		// tshark dissects the uncompressed body when it can.
		if u, ok := httpInflate(body); ok {
			body = u
		}
	}
	return httpBodyColumns(t, params, body, 0)
}

// maxInflated bounds the uncompressed size of a body netsim inflates.
const maxInflated = 16 << 20

// httpInflate uncompresses a gzip or zlib (or raw deflate) body, false
// when it is none of them or is cut short.
func httpInflate(b []byte) ([]byte, bool) {
	var r io.Reader
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = z
	case len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0:
		z, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = z
	default:
		r = flate.NewReader(bytes.NewReader(b))
	}
	u, err := io.ReadAll(io.LimitReader(r, maxInflated))
	if err != nil {
		return nil, false
	}
	return u, true
}
