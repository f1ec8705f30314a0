package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"netsim.dev/netsim"
)

// signalError is the cause of a run's context when a signal ended it.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return fmt.Sprintf("interrupted by %v", e.sig) }

// name is the signal's name as kill -l spells it: SIGINT, SIGTERM, SIGHUP.
func (e signalError) name() string {
	switch e.sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return e.sig.String()
}

// exitCode is the shell's status for a process ended by the signal: 128
// plus its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func (e signalError) exitCode() int { return 128 + int(e.sig) }

// onSignal returns a context that is cancelled, with a [signalError] as its
// cause, when the process receives SIGINT, SIGTERM or SIGHUP (its terminal
// closed), and a function that
// stops listening. Until stop is called every such signal is caught: the
// first ends the run, later ones are ignored while the capture is written
// out, so that no signal leaves a temporary file behind.
//
// With an output (out, nil or not given: none), the context is also
// cancelled, with a [writeError] as its cause, when a write to it fails.
func onSignal(out ...*output) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var failed chan struct{} // nil: never ready
	var o *output
	if len(out) > 0 && out[0] != nil {
		o = out[0]
		failed = o.failed
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case s := <-ch:
				sig, _ := s.(syscall.Signal)
				cancel(signalError{sig})
			case <-failed:
				cancel(writeError{o.err})
				failed = nil
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		<-ended
		cancel(nil)
	}
}

// interruptedBy reports the signal that ended a run whose error is err, if
// one did.
func interruptedBy(ctx context.Context, err error) (signalError, bool) {
	var se signalError
	if !errors.Is(err, netsim.ErrInterrupted) || !errors.As(context.Cause(ctx), &se) {
		return se, false
	}
	return se, true
}
