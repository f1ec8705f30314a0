//go:build !linux

package netsimtest

import "errors"

func init() { guard.err = errors.New("real sockets are refused only on Linux") }
