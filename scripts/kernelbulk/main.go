// Command kernelbulk moves bytes through one TCP connection over the
// kernel's loopback, for scripts/bench-core.sh to set beside netsim's own
// figure (demo.BenchmarkBulkLoopback64MiB) in the same run.
//
// Usage: kernelbulk [-size BYTES] [-port N] [-runs N]
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	size := flag.Int("size", 64<<20, "bytes to send")
	port := flag.Int("port", 0, "port to listen on (0: any)")
	runs := flag.Int("runs", 5, "how many transfers")
	flag.Parse()
	for i := 0; i < *runs; i++ {
		d, err := transfer(*size, *port)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kernelbulk:", err)
			os.Exit(1)
		}
		// The benchmark line format that benchstat reads.
		fmt.Printf("BenchmarkKernelLoopback64MiB \t1\t%d ns/op\t%.2f MB/s\n", d.Nanoseconds(), float64(*size)/d.Seconds()/1e6)
	}
}

func transfer(size, port int) (time.Duration, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		n, err := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
		if err == nil && n != int64(size) {
			err = fmt.Errorf("received %d of %d bytes", n, size)
		}
		done <- err
	}()
	start := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 256<<10)
	for left := size; left > 0; left -= len(buf) {
		if _, err := c.Write(buf[:min(left, len(buf))]); err != nil {
			return 0, err
		}
	}
	c.Close()
	if err := <-done; err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
