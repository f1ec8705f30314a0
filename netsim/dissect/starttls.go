package dissect

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Protocols that turn a plaintext connection into TLS: after the client's
// request and the server's go-ahead, tshark 4.0's dissectors for them hand
// the rest of the conversation to TLS (ssl_starttls_ack). netsim does not
// decode the plaintext protocols, only watches for that exchange, so that
// the TLS records after it are decoded as TLS.
const (
	stNone  uint8 = iota
	stSMTP        // STARTTLS, then 220 (TCP 25, 587)
	stIMAP        // TAG STARTTLS, then TAG OK (TCP 143)
	stPOP         // STLS, then +OK (TCP 110)
	stFTP         // AUTH TLS or AUTH SSL, then 234 (TCP 21)
	stXMPP        // <starttls/>, then <proceed/> (TCP 5222, 5269)
	stPGSQL       // SSLRequest, then S (TCP 5432)
	stMySQL       // a handshake response asking for SSL, then the ClientHello (TCP 3306)
	stLDAP        // StartTLS extended request, then a successful response (TCP 389)
)

// starttls is a conversation's watch for the switch to TLS.
type starttls struct {
	kind   uint8
	asked  bool   // the request was seen
	askDir int    // the direction (0 or 1) it came from
	tag    string // IMAP: the request's tag
	now    bool   // the switch happened: the next segment is TLS
	// checked is set once kind was worked out from the ports.
	checked bool
}

// starttlsKind picks the protocol by port, the lower port first.
func starttlsKind(a, b uint16) uint8 {
	for _, p := range [2]uint16{min(a, b), max(a, b)} {
		switch p {
		case 25, 587:
			return stSMTP
		case 143:
			return stIMAP
		case 110:
			return stPOP
		case 21:
			return stFTP
		case 5222, 5269:
			return stXMPP
		case 5432:
			return stPGSQL
		case 3306:
			return stMySQL
		case 389:
			return stLDAP
		}
	}
	return stNone
}

// watch looks at a segment's payload b from direction fi and records the
// request and the go-ahead; after the go-ahead, now is set.
func (s *starttls) watch(fi int, b []byte) {
	if s.kind == stNone || s.now {
		return
	}
	if !s.asked {
		s.askDir = fi
		s.asked = starttlsRequest(s, b)
		if s.asked && s.kind == stMySQL {
			s.now = true // the client's next bytes are its ClientHello
		}
		return
	}
	if fi == s.askDir {
		// Another request (a pipelined command): keep waiting.
		s.asked = starttlsRequest(s, b)
		return
	}
	s.now = starttlsGoAhead(s, b)
	s.asked = false
}

// starttlsRequest reports whether b is the client's request to start TLS.
func starttlsRequest(s *starttls, b []byte) bool {
	var line string
	if len(b) <= 64 { // the text commands are short
		line = strings.ToUpper(strings.TrimSpace(string(b)))
	}
	switch s.kind {
	case stSMTP:
		return line == "STARTTLS"
	case stIMAP:
		tag, cmd, ok := strings.Cut(line, " ")
		if ok && cmd == "STARTTLS" {
			s.tag = tag
			return true
		}
	case stPOP:
		return line == "STLS"
	case stFTP:
		return line == "AUTH TLS" || line == "AUTH SSL" || line == "AUTH TLS-C" || line == "AUTH TLS-P"
	case stXMPP:
		return bytes.Contains(b, []byte("<starttls"))
	case stPGSQL:
		return bytes.Equal(b, []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f})
	case stMySQL:
		// A handshake response cut short after its fixed 32 bytes, with
		// CLIENT_SSL among its capability flags.
		return len(b) == 36 && b[0] == 32 && b[1] == 0 && b[2] == 0 && b[3] == 1 &&
			binary.LittleEndian.Uint32(b[4:])&0x800 != 0
	case stLDAP:
		return bytes.Contains(b, []byte("1.3.6.1.4.1.1466.20037"))
	}
	return false
}

// starttlsGoAhead reports whether b is the server's positive answer.
func starttlsGoAhead(s *starttls, b []byte) bool {
	switch s.kind {
	case stSMTP:
		return bytes.HasPrefix(b, []byte("220"))
	case stIMAP:
		for _, l := range strings.Split(string(b), "\n") {
			tag, rest, _ := strings.Cut(strings.TrimSpace(l), " ")
			if strings.EqualFold(tag, s.tag) {
				return strings.HasPrefix(strings.ToUpper(rest), "OK")
			}
		}
	case stPOP:
		return bytes.HasPrefix(b, []byte("+OK"))
	case stFTP:
		return bytes.HasPrefix(b, []byte("234"))
	case stXMPP:
		return bytes.Contains(b, []byte("<proceed"))
	case stPGSQL:
		return len(b) == 1 && b[0] == 'S'
	case stLDAP:
		// An extendedResp ([APPLICATION 24]) whose resultCode is success.
		i := bytes.IndexByte(b, 0x78)
		if i < 0 || i+2 >= len(b) {
			return false
		}
		j := i + 2
		if b[i+1]&0x80 != 0 {
			j += int(b[i+1] & 0x7f)
		}
		return j+3 <= len(b) && b[j] == 0x0a && b[j+1] == 1 && b[j+2] == 0
	}
	return false
}

// socks follows a SOCKS 4 or 5 handshake (TCP 1080): after the server
// grants the client's CONNECT, tshark's SOCKS dissector hands the
// tunnelled bytes to the dissector of the port the client asked for.
type socks struct {
	step uint8  // 0: nothing seen; 1: v5 greeting; 2: v5 method chosen; 3: connect asked
	v4   bool   // the CONNECT was SOCKS 4
	port uint16 // the port the client asked for
	done bool   // the server granted it: the next segment is the tunnel's
}

// watch looks at a segment's payload b; client is set for the client's
// direction (towards port 1080).
func (s *socks) watch(client bool, b []byte) {
	if s.done || len(b) < 2 {
		return
	}
	switch {
	case client && s.step == 0 && b[0] == 4 && b[1] == 1 && len(b) >= 9:
		s.v4, s.port, s.step = true, binary.BigEndian.Uint16(b[2:]), 3
	case client && s.step == 0 && b[0] == 5 && len(b) == 2+int(b[1]):
		s.step = 1
	case !client && s.step == 1 && b[0] == 5 && len(b) == 2:
		s.step = 2
	case client && s.step == 2 && b[0] == 5 && b[1] == 1 && len(b) >= 10:
		s.port, s.step = binary.BigEndian.Uint16(b[len(b)-2:]), 3
	case !client && s.step == 3 && s.v4 && b[0] == 0 && b[1] == 0x5a:
		s.done = true
	case !client && s.step == 3 && !s.v4 && b[0] == 5 && b[1] == 0:
		s.done = true
	}
}
