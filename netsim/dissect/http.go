package dissect

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HTTP is one HTTP/1.x message (or a continuation: bytes of an HTTP
// conversation that do not begin a message) as Wireshark's http dissector
// decodes it.
type HTTP struct {
	// Request and Response tell the message's kind; neither is set for
	// a continuation.
	Request, Response bool
	// FirstLine is the request or status line, without its line end.
	FirstLine string
	// Method, URI and Version are the request line's parts; Version,
	// Code and Phrase the status line's.
	Method, URI, Version string
	Code                 int
	Phrase               string
	// Headers are the header lines in order.
	Headers []HTTPHeader
	// ContentLength is the Content-Length header's value, -1 without.
	ContentLength int64
	// Body is the message body as sent (chunks undecoded).
	Body []byte
	// HeaderLen is the length of the first line and headers with the
	// blank line that ends them.
	HeaderLen int
	// RequestIn is the frame of the request a response answers, 0 if
	// unknown; RequestTime its time and RequestURI its full URI.
	RequestIn   int
	RequestTime int64
	RequestURI  string
	// Number is the message's index among the conversation's requests
	// (or responses), from 1.
	Number int
	// Data is the whole message.
	Data []byte
	// TLS is set for a message decrypted from TLS (tlsdecrypt.go): its
	// full URI is https.
	TLS bool
	// PrevRequest and PrevResponse are the frames of the conversation's
	// previous request and (for a response) previous response, 0 for the
	// first (http.prev_request_in, http.prev_response_in).
	PrevRequest, PrevResponse int

	body     httpBody // what the body adds to the columns (bodyColumns)
	bodyDone bool
}

// HTTPHeader is one header line.
type HTTPHeader struct{ Name, Value string }

// Header returns the value of the first header with the given name
// (case-insensitive), or "".
func (h *HTTP) Header(name string) string {
	for _, x := range h.Headers {
		if strings.EqualFold(x.Name, name) {
			return x.Value
		}
	}
	return ""
}

// httpConv pairs a conversation's responses with its requests.
type httpConv struct {
	reqs     []httpReq // requests not yet answered, oldest first
	nreq     int
	nresp    int
	lastHead bool

	// reqFrames and respFrames are the frames of the conversation's
	// requests and responses, by number.
	reqFrames, respFrames []int
	// reqBuf and respBuf hold a short conversation's frames without an
	// allocation of their own.
	reqBuf, respBuf [2]int

	// lastConnect is set when the last request was CONNECT; tunnel once
	// a 2xx response accepted it: the connection then carries what the
	// client tunnels (TLS, as tshark finds it, or data).
	lastConnect, tunnel bool
	upgraded            bool // a 101 response switched the connection away from HTTP
	websocket           bool // ... to WebSocket
}

type httpReq struct {
	frame  int
	time   int64
	uri    string
	method string
}

var httpMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "NOTIFY",
	"SUBSCRIBE", "UNSUBSCRIBE", "M-SEARCH", "MERGE", "CHECKOUT", "MKACTIVITY", "RPC_IN_DATA", "RPC_OUT_DATA",
	"BPROPFIND", "BPROPPATCH", "BCOPY", "BDELETE", "BMOVE", "POLL", "SSDP", "ACL", "LABEL", "MKWORKSPACE",
	"UPDATE", "VERSION-CONTROL", "BASELINE-CONTROL", "MKREDIRECTREF", "UPDATEREDIRECTREF", "ORDERPATCH", "BIND",
	"UNBIND", "REBIND", "UNCHECKOUT", "MKCALENDAR"}

// httpStarts reports whether b begins an HTTP request or response line.
func httpStarts(b []byte) bool {
	if bytes.HasPrefix(b, []byte("HTTP/")) {
		return true
	}
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || sp > 20 {
		return false
	}
	m := string(b[:sp])
	for _, x := range httpMethods {
		if m == x {
			return true
		}
	}
	return false
}

// httpHeuristic is Wireshark's HTTP-over-TCP heuristic: a complete first
// line that is a request line ending in an HTTP version or a status line.
func httpHeuristic(b []byte) bool {
	if !httpStarts(b) {
		return false
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return false
	}
	line := strings.TrimRight(string(b[:nl]), "\r")
	if strings.HasPrefix(line, "HTTP/1.") {
		return len(line) >= 12 && line[8] == ' '
	}
	return strings.HasSuffix(line, " HTTP/1.1") || strings.HasSuffix(line, " HTTP/1.0")
}

// httpHeaderEnd returns the length of the header block (through the blank
// line), or -1 when it is not complete.
func httpHeaderEnd(b []byte) int {
	i := 0
	for {
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			return -1
		}
		line := b[i : i+nl]
		i += nl + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
	}
}

// httpParseHeaders splits the header block into its first line and
// headers: substrings of one copy of the block, from a (nil: the heap),
// the headers in room for as many as it has lines.
func httpParseHeaders(b []byte, a *arena) (first string, hdrs []HTTPHeader) {
	text := a.str(b)
	hdrs = a.headers(strings.Count(text, "\n"))
	for i := 0; text != ""; i++ {
		l, rest, _ := strings.Cut(text, "\n")
		text = rest
		l = strings.TrimSuffix(l, "\r")
		if i == 0 {
			first = l
			continue
		}
		if l == "" {
			break
		}
		name, val, ok := strings.Cut(l, ":")
		if !ok {
			hdrs = append(hdrs, HTTPHeader{Name: l})
			continue
		}
		hdrs = append(hdrs, HTTPHeader{Name: name, Value: strings.TrimLeft(val, " \t")})
	}
	return first, hdrs
}

// httpHeaderBytes returns the value of the first header of the header
// block b with the given name (case-insensitive), as HTTP.Header does on
// httpParseHeaders' headers, without them; ok is false when there is none.
func httpHeaderBytes(b []byte, name string) (val []byte, ok bool) {
	for i := 0; len(b) > 0; i++ {
		l := b
		if j := bytes.IndexByte(b, '\n'); j >= 0 {
			l, b = b[:j], b[j+1:]
		} else {
			b = nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if i == 0 {
			continue
		}
		if len(l) == 0 {
			break
		}
		n, v, found := bytes.Cut(l, []byte(":"))
		if !found {
			v = nil
		}
		if bytes.EqualFold(n, []byte(name)) {
			return bytes.TrimLeft(v, " \t"), true
		}
	}
	return nil, false
}

// httpChunkedLen returns the length of a chunked body at b, or false when
// it is not complete.
func httpChunkedLen(b []byte) (int, bool) {
	off := 0
	for {
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			return 0, false
		}
		line := strings.TrimSpace(string(b[off : off+nl]))
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseUint(strings.TrimSpace(line), 16, 31)
		if err != nil {
			return len(b), true
		}
		off += nl + 1
		if n == 0 {
			// Trailers until a blank line.
			e := httpHeaderEnd(b[off:])
			if e < 0 {
				return 0, false
			}
			return off + e, true
		}
		off += int(n)
		if off > len(b) {
			return 0, false
		}
		// The CRLF after the chunk data.
		nl = bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			return 0, false
		}
		off += nl + 1
	}
}

// httpLen returns the length of the HTTP message at the start of b, or
// false when more bytes are needed (or b does not start a message).
func (d *Dissector) httpLen(c *appConv, fi int, b []byte, fin bool) (int, bool) {
	if !httpStarts(b) {
		return 0, false
	}
	h := httpHeaderEnd(b)
	if h < 0 {
		return 0, false
	}
	// The headers looked at in place: this runs for every segment of an
	// HTTP conversation until its message is complete.
	contentLength := int64(-1)
	if cl, _ := httpHeaderBytes(b[:h], "Content-Length"); len(cl) != 0 {
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(cl)), 10, 64); err == nil && n >= 0 {
			contentLength = n
		}
	}
	response := bytes.HasPrefix(b, []byte("HTTP/"))
	if response {
		code := 0
		// The status code: strings.Fields' second field of the first line.
		first := b[:h]
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		if f, ok := secondField(first); ok {
			code, _ = strconv.Atoi(string(f))
		}
		if code/100 == 1 || code == 204 || code == 304 || c.http.lastHead || code/100 == 2 && c.http.lastConnect {
			return h, true
		}
	}
	te, _ := httpHeaderBytes(b[:h], "Transfer-Encoding")
	switch {
	case containsFoldASCII(te, "chunked"):
		n, ok := httpChunkedLen(b[h:])
		if !ok {
			return 0, false
		}
		return h + n, true
	case contentLength >= 0:
		// A body longer than any capture holds is never complete.
		return h + int(min(contentLength, 1<<40)), true
	case !response && len(te) == 0:
		// A request without either header has no body.
		return h, true
	case response && !fin:
		// The body lasts until the server closes the connection
		// (Wireshark's DESEGMENT_UNTIL_FIN).
		return httpUntilFIN, true
	}
	return len(b), true
}

// secondField returns the second of bytes.Fields(b), without the slice of
// fields.
func secondField(b []byte) ([]byte, bool) {
	for n := 0; ; n++ {
		// Skip spaces, then take a field.
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		b = b[i:]
		if len(b) == 0 {
			return nil, false
		}
		j := 0
		for j < len(b) {
			r, size := utf8.DecodeRune(b[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		if n == 1 {
			return b[:j], true
		}
		b = b[j:]
	}
}

// containsFoldASCII reports whether b contains sub (lower-case ASCII),
// ASCII letters compared without case: bytes.Contains of bytes.ToLower(b)
// for the ASCII word sub.
func containsFoldASCII(b []byte, sub string) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			// Unicode lower-cases some letters to ASCII (the Kelvin sign).
			return bytes.Contains(bytes.ToLower(b), []byte(sub))
		}
	}
	for i := 0; i+len(sub) <= len(b); i++ {
		j := 0
		for j < len(sub) {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// httpUntilFIN is the length httpLen gives a response whose body ends
// with the connection: longer than any message, so that the segments
// until the FIN are parts of it.
const httpUntilFIN = 1 << 30

// httpFirstLineInfo is the Info Wireshark's HTTP dissector writes for a
// message start before asking TCP for the rest of the message.
func httpFirstLineInfo(b []byte) string {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return ""
	}
	return formatText(strings.TrimSuffix(string(b[:nl]), "\r")) + " "
}

// httpMessage decodes one HTTP message (or continuation) b.
func (d *Dissector) httpMessage(p *Packet, c *appConv, fi int, b []byte) {
	m := d.arena.newHTTP()
	m.ContentLength, m.Data, m.TLS = -1, b, c.proto == appTLS
	if p.HTTP == nil {
		p.HTTP = d.arena.httpList()
	}
	p.HTTP = append(p.HTTP, m)
	p.push(ProtoHTTP, idHTTP, b)
	if !httpStarts(b) {
		return
	}
	h := httpHeaderEnd(b)
	if h < 0 {
		h = len(b)
	}
	m.HeaderLen = h
	m.FirstLine, m.Headers = httpParseHeaders(b[:h], &d.arena)
	m.Body = b[h:]
	if cl := m.Header("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); err == nil && n >= 0 {
			m.ContentLength = n
		}
	}
	if len(m.Body) > 0 {
		switch t := m.mediaType(); {
		case isXMLType(t):
			p.push(0, idXML, m.Body)
		case t == "application/json":
			p.push(0, idJSON, m.Body)
		case strings.HasPrefix(t, "text/"):
			p.push(0, idTextLines, m.Body)
		case t == "" || t == "application/octet-stream" || strings.HasPrefix(t, "multipart/"):
			// multipart parts of types without a dissector of their own
			// go to data too.
			p.setData(m.Body)
		default:
			p.push(0, idMedia, m.Body)
		}
	}
	// The first line's three parts, as strings.SplitN(line, " ", 3).
	part0, rest, has1 := strings.Cut(m.FirstLine, " ")
	part1, part2, has2 := strings.Cut(rest, " ")
	if strings.HasPrefix(m.FirstLine, "HTTP/") {
		m.Response = true
		m.Version = part0
		if has1 {
			m.Code, _ = strconv.Atoi(part1)
		}
		if has2 {
			m.Phrase = part2
		}
		c.http.nresp++
		m.Number = c.http.nresp
		if n := m.Number; n > 1 {
			if n-2 < len(c.http.reqFrames) {
				m.PrevRequest = c.http.reqFrames[n-2]
			}
			m.PrevResponse = c.http.respFrames[n-2]
		}
		if c.http.respFrames == nil {
			c.http.respFrames = c.http.respBuf[:0]
		}
		c.http.respFrames = append(c.http.respFrames, p.Number)
		if m.Code == 101 {
			// The connection switched to WebSocket (whose frames netsim
			// follows, pdulen.go) or to another protocol, which tshark's
			// HTTP dissector hands to data.
			c.http.websocket = strings.EqualFold(m.Header("Upgrade"), "websocket")
			c.http.upgraded = !c.http.websocket
		}
		if len(c.http.reqs) > 0 {
			r := c.http.reqs[0]
			c.http.reqs = c.http.reqs[1:]
			m.RequestIn, m.RequestTime, m.RequestURI = r.frame, r.time, r.uri
			c.http.tunnel = r.method == "CONNECT" && m.Code/100 == 2
		}
		return
	}
	m.Request = true
	m.Method = part0
	if has1 {
		m.URI = part1
	}
	if has2 {
		m.Version = part2
	}
	c.http.nreq++
	m.Number = c.http.nreq
	if m.Number > 1 {
		m.PrevRequest = c.http.reqFrames[m.Number-2]
	}
	if c.http.reqFrames == nil {
		c.http.reqFrames = c.http.reqBuf[:0]
	}
	c.http.reqFrames = append(c.http.reqFrames, p.Number)
	c.http.lastHead = m.Method == "HEAD"
	c.http.lastConnect = m.Method == "CONNECT"
	uri := m.URI
	if !strings.HasPrefix(m.URI, "http://") && !strings.HasPrefix(m.URI, "https://") {
		uri = "" // FullURI, its string from the arena
		if host := m.Header("Host"); host != "" {
			scheme := "http://"
			if m.TLS {
				scheme = "https://"
			}
			uri = d.arena.concat(scheme, host, m.URI)
		}
	}
	c.http.reqs = append(c.http.reqs, httpReq{frame: p.Number, time: p.Time, uri: uri, method: m.Method})
}

// FullURI is the request's absolute URI (http.request.full_uri).
func (h *HTTP) FullURI() string {
	if strings.HasPrefix(h.URI, "http://") || strings.HasPrefix(h.URI, "https://") {
		return h.URI
	}
	host := h.Header("Host")
	if host == "" {
		return ""
	}
	if h.TLS {
		return "https://" + host + h.URI
	}
	return "http://" + host + h.URI
}

// mediaType is the Content-Type without parameters, lower-cased.
func (h *HTTP) mediaType() string {
	ct := h.Header("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

func isXMLType(t string) bool {
	return t == "text/xml" || t == "application/xml" || strings.HasSuffix(t, "+xml")
}

// httpInfo is the Info text of p's HTTP messages.
func httpInfo(p *Packet) string {
	m := p.HTTP[0]
	if !m.Request && !m.Response {
		return "Continuation"
	}
	return formatText(m.FirstLine) + " " + m.bodyColumns().info
}

// httpProtocol is the Protocol column of an HTTP frame.
func httpProtocol(p *Packet) string {
	m := p.HTTP[0]
	return "HTTP" + m.bodyColumns().proto
}
