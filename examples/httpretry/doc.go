// Package httpretry is an example: a stock net/http client that retries,
// against a flaky server, over a lossy link, in netsim's test mode. The
// code is in httpretry_test.go; run it with
//
//	go test -v ./examples/httpretry
//
// (add -artifacts to keep the capture). Stock net/http starts goroutines of
// its own that block on channels and mutexes, so it runs deterministically
// only inside a testing/synctest bubble (netsimtest.Run); an Example
// function has no *testing.T to start one, so this example is a Test that
// checks its summary against the expected text instead of "// Output:".
package httpretry
