package proc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"syscall"
	"time"

	"netsim.dev/netsim"
)

// handler executes one request of process p with netsim's public API. It
// returns the reply, or an error that errReply turns into the Python
// exception a Linux program would get.
type handler func(p *process, req *Request) (*Reply, error)

// handlers are the ops, by name. Each file registers its own in an init
// function (see the package doc: "Adding a request").
var handlers = map[string]handler{}

// register adds the handler of op. It panics on an op registered twice: a
// programming error, found by any test.
func register(op string, h handler) {
	if _, dup := handlers[op]; dup {
		panic("proc: op " + op + " registered twice")
	}
	handlers[op] = h
}

// unsupportedError is a call the shim made that netsim does not serve.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }

// errUnsupported returns an error that the shim raises as
// NetsimUnsupported.
func errUnsupported(format string, a ...any) error {
	return &unsupportedError{fmt.Sprintf(format, a...)}
}

// handle serves one request.
func (p *process) handle(req *Request) *Reply {
	h := handlers[req.Op]
	if h == nil {
		return errReply(errUnsupported("netsim exec does not support %q (unknown request)", req.Op))
	}
	p.call = p.describe(req)
	p.last = p.call
	rep, err := h(p, req)
	if err != nil {
		rep = errReply(err)
		if rep.Err == "exit" && p.torn == "" {
			p.torn = p.call // the call the network's end found it in
		}
	}
	p.call = ""
	if rep == nil {
		rep = &Reply{}
	}
	return rep
}

// describe names a request for reports: "recv(fd 1000 tcp
// 127.0.0.1:24000<-127.0.0.1:49152)".
func (p *process) describe(req *Request) string {
	if s := p.socks[req.FD]; s != nil {
		return fmt.Sprintf("%s(fd %d %s)", req.Op, req.FD, s)
	}
	return req.Op + "()"
}

// Linux's errno values for errors netsim's API does not give as an errno.
const (
	eaiNoName = -2 // EAI_NONAME
)

// errReply maps a Go error to the reply that makes the shim raise what
// Linux would.
func errReply(err error) *Reply {
	var un *unsupportedError
	var errno syscall.Errno
	var dns *net.DNSError
	var addr *net.AddrError
	switch {
	case errors.As(err, &un):
		return &Reply{Err: "unsupported", Msg: un.msg}
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return &Reply{Err: "timeout", Msg: "timed out"}
	case errors.Is(err, net.ErrClosed), errors.Is(err, netsim.ErrNotRunning):
		// The network was torn down under the call (a deadlock, an
		// interruption): the process ends at once.
		return &Reply{Err: "exit", Msg: err.Error()}
	case errors.As(err, &errno):
		return &Reply{Err: "os", Errno: int(errno), Msg: errno.Error()}
	case errors.As(err, &dns):
		return &Reply{Err: "gai", Errno: eaiNoName, Msg: "Name or service not known"}
	case errors.As(err, &addr):
		return &Reply{Err: "os", Errno: int(syscall.EINVAL), Msg: addr.Error()}
	}
	return &Reply{Err: "os", Errno: int(syscall.EIO), Msg: err.Error()}
}

// duration converts a timeout in seconds, clamped to netsim's range.
func duration(sec float64) time.Duration {
	switch {
	case math.IsNaN(sec) || sec <= 0:
		return 0
	case sec >= netsim.MaxDuration.Seconds():
		return netsim.MaxDuration
	}
	return time.Duration(sec * 1e9)
}

// deadline returns the deadline of a call with req's timeout: the zero
// time for none.
func (p *process) deadline(req *Request) time.Time {
	if req.Timeout == nil {
		return time.Time{}
	}
	return p.r.n.Now().Add(duration(*req.Timeout))
}

// context returns a context with req's timeout on the virtual clock.
func (p *process) context(req *Request) (context.Context, context.CancelFunc) {
	if req.Timeout == nil {
		return context.WithCancel(context.Background())
	}
	return p.r.n.WithTimeout(context.Background(), duration(*req.Timeout))
}

func init() {
	register("hello", func(p *process, req *Request) (*Reply, error) {
		n := p.r.n
		return &Reply{Value: map[string]any{
			"name": p.name, "host": p.host.Name(), "seed": p.seed,
			"now": n.Now().UnixNano(), "tick": int64(ClockTick),
		}}, nil
	})
	register("now", func(p *process, req *Request) (*Reply, error) {
		n := p.r.n
		t := n.Now()
		n.Sleep(ClockTick)
		return &Reply{Value: t.UnixNano()}, nil
	})
	register("sleep", func(p *process, req *Request) (*Reply, error) {
		if req.Seconds < 0 || math.IsNaN(req.Seconds) {
			return nil, syscall.EINVAL
		}
		p.r.n.Sleep(duration(req.Seconds))
		return nil, nil
	})
}
