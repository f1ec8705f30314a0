package proc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits of one frame of the wire protocol (see the package doc).
const (
	// MaxHeader is the largest JSON header of a frame.
	MaxHeader = 64 << 10
	// MaxData is the largest data part of a frame: a send or sendall of
	// more is split by the shim, a recv of more is cut to it.
	MaxData = 16 << 20
)

// ErrProtocol matches (with [errors.Is]) every error decoding what a
// child wrote on its request pipe: a frame too large, a header that is
// not a JSON object, an op missing. The run fails with it and names the
// process.
var ErrProtocol = errors.New("proc: protocol error")

// Request is one call a process makes: the JSON header of a request frame,
// decoded, and the frame's data. Op names the call; the other fields are
// those calls take (absent: zero). Handlers of ops added later decode
// their own fields from Raw with [Request.Args].
type Request struct {
	// Op is the call: "socket", "connect", "recv", "sleep"...
	Op string `json:"op"`
	// FD is the socket's descriptor, as "socket" and "accept" returned it.
	FD int `json:"fd,omitempty"`
	// Family is the address family: 2 (AF_INET) or 10 (AF_INET6).
	Family int `json:"family,omitempty"`
	// Type is the socket type: 1 (SOCK_STREAM) or 2 (SOCK_DGRAM).
	Type int `json:"type,omitempty"`
	// Host and Port are an address (bind, connect, sendto, getaddrinfo).
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// N is a byte count (recv's buffer size) or a backlog (listen).
	N int `json:"n,omitempty"`
	// Flags are the call's MSG_* flags.
	Flags int `json:"flags,omitempty"`
	// Timeout, when present, is the socket's timeout in seconds (Python's
	// settimeout); absent, the call blocks.
	Timeout *float64 `json:"timeout,omitempty"`
	// Level, Opt and Value are setsockopt's and getsockopt's.
	Level int `json:"level,omitempty"`
	Opt   int `json:"opt,omitempty"`
	Value int `json:"value,omitempty"`
	// How is shutdown's SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2).
	How int `json:"how,omitempty"`
	// Seconds is sleep's duration.
	Seconds float64 `json:"seconds,omitempty"`

	// Raw is the whole JSON header, for [Request.Args].
	Raw json.RawMessage `json:"-"`
	// Data is the frame's data: what send and sendto send.
	Data []byte `json:"-"`
}

// Args decodes the request's JSON header into v: the fields of an op that
// Request does not have.
func (r *Request) Args(v any) error {
	if err := json.Unmarshal(r.Raw, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrProtocol, r.Op, err)
	}
	return nil
}

// Reply is the answer to one request: Value (any JSON value) and Data on
// success; on failure, Err names the Python exception's kind and Errno
// its errno.
type Reply struct {
	// Value is the call's result: a descriptor, a count, an address.
	Value any `json:"r,omitempty"`
	// Err, when not empty, says the call failed: "os" (an OSError with
	// Errno), "timeout", "gai" (socket.gaierror with Errno an EAI_*
	// code), "unsupported" (the shim's NetsimUnsupported), "exit" (the
	// network was torn down: the process ends at once, quietly).
	Err string `json:"err,omitempty"`
	// Errno is the error number (Linux's) for Err "os" and "gai".
	Errno int `json:"errno,omitempty"`
	// Msg is the error's text.
	Msg string `json:"msg,omitempty"`
	// Data is the bytes a recv returns.
	Data []byte `json:"-"`
}

// ReadRequest reads one request frame from r. It returns io.EOF when r
// ends cleanly between two frames (the process closed its pipe or
// exited), and an error matching [ErrProtocol] for anything malformed.
func ReadRequest(r io.Reader) (*Request, error) {
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: a frame cut short", ErrProtocol)
		}
		return nil, err
	}
	hn, dn := binary.BigEndian.Uint32(head[:4]), binary.BigEndian.Uint32(head[4:])
	switch {
	case hn == 0 || hn > MaxHeader:
		return nil, fmt.Errorf("%w: header of %d bytes (1 to %d)", ErrProtocol, hn, MaxHeader)
	case dn > MaxData:
		return nil, fmt.Errorf("%w: data of %d bytes (at most %d)", ErrProtocol, dn, MaxData)
	}
	buf := make([]byte, int(hn)+int(dn))
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: a frame cut short: %v", ErrProtocol, err)
	}
	req, err := decodeRequest(buf[:hn])
	if err != nil {
		return nil, err
	}
	req.Data = buf[hn:]
	return req, nil
}

// decodeRequest decodes a request's JSON header.
func decodeRequest(hdr []byte) (*Request, error) {
	req := &Request{}
	if err := json.Unmarshal(hdr, req); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrProtocol, err)
	}
	if req.Op == "" {
		return nil, fmt.Errorf("%w: header without an op", ErrProtocol)
	}
	if len(req.Op) > 64 {
		return nil, fmt.Errorf("%w: op of %d bytes", ErrProtocol, len(req.Op))
	}
	req.Raw = json.RawMessage(hdr)
	return req, nil
}

// AppendFrame appends a frame of the wire protocol to b: the lengths of
// header (JSON) and data, then both.
func AppendFrame(b []byte, header, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(header)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, header...)
	return append(b, data...)
}

// encodeReply returns rep as a frame.
func encodeReply(rep *Reply) ([]byte, error) {
	hdr, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("proc: encoding a reply: %w", err)
	}
	if len(rep.Data) > MaxData {
		return nil, fmt.Errorf("proc: reply data of %d bytes", len(rep.Data))
	}
	return AppendFrame(nil, hdr, rep.Data), nil
}
