package sock

import (
	"errors"
	"os"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// errno maps a gVisor error to the errno a Linux socket call would return, so
// that callers can test errors with errors.Is(err, syscall.ECONNREFUSED) as
// they do with package net.
func errno(e tcpip.Error) error {
	switch e.(type) {
	case *tcpip.ErrConnectionRefused:
		return syscall.ECONNREFUSED
	case *tcpip.ErrConnectionReset:
		return syscall.ECONNRESET
	case *tcpip.ErrConnectionAborted:
		return syscall.ECONNABORTED
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrPortInUse, *tcpip.ErrDuplicateAddress:
		return syscall.EADDRINUSE
	case *tcpip.ErrBadLocalAddress:
		return syscall.EADDRNOTAVAIL
	case *tcpip.ErrHostUnreachable, *tcpip.ErrHostDown:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrNoNet:
		return syscall.ENETUNREACH
	case *tcpip.ErrClosedForSend:
		return syscall.EPIPE
	case *tcpip.ErrNotConnected:
		return syscall.ENOTCONN
	case *tcpip.ErrMessageTooLong:
		return syscall.EMSGSIZE
	case *tcpip.ErrNoBufferSpace:
		return syscall.ENOBUFS
	case *tcpip.ErrInvalidEndpointState, *tcpip.ErrInvalidOptionValue, *tcpip.ErrBadAddress:
		return syscall.EINVAL
	case *tcpip.ErrAddressFamilyNotSupported:
		return syscall.EAFNOSUPPORT
	case *tcpip.ErrAlreadyConnected:
		return syscall.EISCONN
	case *tcpip.ErrAlreadyBound:
		return syscall.EINVAL
	case *tcpip.ErrAborted:
		return syscall.EPIPE
	case *tcpip.ErrDestinationRequired:
		return syscall.EDESTADDRREQ
	}
	return errors.New(e.String())
}

// sysErr wraps a gVisor error as package net does: an *os.SyscallError named
// after the call, holding the errno.
func sysErr(call string, e tcpip.Error) error {
	return os.NewSyscallError(call, errno(e))
}

// timeoutError is os.ErrDeadlineExceeded: a net.Error whose Timeout() is true.
var timeoutError = os.ErrDeadlineExceeded
