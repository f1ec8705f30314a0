// Package proc runs external programs (Python scripts, unmodified) over a
// simulated [netsim.Network]: each program is a child process whose
// socket calls, clocks and random sources are served by netsim, so that
// the book's own scripts give the same capture, byte for byte, on every
// run, with no root, no host network and no waiting.
//
// It runs programs on Linux, with a seccomp sandbox, and on other Unix
// systems without one (netsim exec --no-sandbox). The package builds on
// Windows too, where [New] and [Run] fail with an error matching
// [errors.ErrUnsupported].
//
// # How
//
// Each process is one program-mode task ([netsim.Network.GoNamed], named
// after the process). The task starts the child with two extra inherited
// descriptors, a request pipe (the child's fd 3, for writing) and a reply
// pipe (fd 4, for reading), named in NETSIM_PROC_FDS="3,4", and with
// PYTHONPATH pointing at a generated directory holding the shim
// (sitecustomize.py, _netsim.py, embedded in this package). Python imports
// sitecustomize before the program: the shim replaces socket.socket, the
// name functions, the time functions, datetime's now, random's seed and
// os.urandom with proxies. Each proxy writes one request and blocks until
// the task replies; the task executes the request with netsim's public API
// (Host.Listen, Dial, DialFrom, ListenPacket, deadlines, Network.Sleep and
// Now). A process computes only while its task waits for its request, and
// the simulation runs one task at a time, so only one process runs at any
// moment and the order of everything is fixed.
//
// When a process exits, its task closes the sockets it left open, in
// descriptor order, as the kernel does (in the book's exchange, that close
// sends the receiver's FIN), and collects its exit status.
//
// What a process prints goes to [Config.Stdout] and [Config.Stderr], each
// line prefixed with its name; the shim flushes Python's buffers before
// each request and the task copies the output before it serves the
// request, so lines keep the virtual order across processes.
//
// # The wire protocol
//
// Both directions carry frames:
//
//	uint32 big endian   H, the header's length (1 to 65536)
//	uint32 big endian   D, the data's length (0 to 16 MiB)
//	H bytes             the header: a JSON object
//	D bytes             the data, raw
//
// A request's header has "op" (the call) and the call's fields: "fd" (the
// socket, a number netsim gave), "family" (2 AF_INET, 10 AF_INET6),
// "type" (1 SOCK_STREAM, 2 SOCK_DGRAM), "host" and "port" (an address),
// "n" (recv's size, listen's backlog), "flags" (MSG_*), "timeout" (seconds;
// absent: the call blocks), "level", "opt", "value" (socket options),
// "how" (shutdown), "seconds" (sleep); its data is what send and sendto
// send. A reply's header has "r", the result (a number, an address as
// [host, port], a list), or "err" with "errno" and "msg" when the call
// failed: "os" (raise OSError(errno), which Python maps to
// ConnectionRefusedError, BrokenPipeError...), "timeout" (socket.timeout),
// "gai" (socket.gaierror), "unsupported" (the shim's Unsupported), "exit"
// (the network was torn down: the process ends at once). A reply's data is
// what recv returns. Numbers are Linux's (errno, AF_*, MSG_*, SOL_*).
//
// The ops: hello (first, gives "name", "host", "seed", "now"), now, sleep,
// socket, bind, listen, accept (r: [fd, address]), connect, send, sendto,
// recv, recvfrom (r: the sender's address), shutdown, setsockopt,
// getsockopt, getsockname, getpeername, getaddrinfo (r: the addresses of
// "host" in the simulated network), close, poll ("fds": [[fd, events],
// ...] with poll(2)'s bits; r: [[fd, revents], ...] of the ready ones). A
// call with "timeout" 0 (a non-blocking socket) or MSG_DONTWAIT never
// waits: EAGAIN, or EINPROGRESS for connect. An op netsim does not know is
// answered "unsupported". Another language's shim speaks the same frames.
//
// # Non-blocking sockets, select and asyncio
//
// setblocking(False) and settimeout(0) make a socket non-blocking, as on
// Linux: its calls use netsim's Try calls ([netsim.TryRead]...), connect
// starts the handshake ([netsim.Host.StartDial]) and raises
// BlockingIOError (EINPROGRESS), getsockopt(SO_ERROR) tells how it ended.
// select.select, select.poll and select.epoll (and so selectors'
// DefaultSelector and asyncio's default event loop) wait on netsim's
// sockets with one "poll" request ([netsim.Network.Poll], on the virtual
// clock); the process's own descriptors (asyncio's self-pipe, an AF_UNIX
// socketpair) are checked with the kernel's poll without waiting. asyncio
// resolves names without its thread pool. TLS runs on ssl.SSLObject and
// MemoryBIO: asyncio's ssl= does so itself, and SSLContext.wrap_socket on
// a (blocking) netsim socket returns the shim's SSLSocket, which does so
// too. OpenSSL's randomness is the kernel's: TLS bytes differ from run to
// run.
//
// # Adding a request
//
// An op is a Go handler and a shim function, each in a file of its own:
// a Go file of this package registers its handlers in an init function,
//
//	func init() { register("select", handleSelect) }
//
// where a handler is func(p *process, req *Request) (*Reply, error), finds
// its sockets with p.sock(fd), decodes fields that [Request] lacks with
// req.Args, and returns a Go error that errReply maps to the errno a Linux
// program would get. On the Python side, a module shim/_netsim_NAME.py is
// imported after the core (in name order) and uses the core's call(op,
// data, **fields), Unsupported, socket, is_shim_socket and after_import.
//
// # Not supported, loudly
//
// The shim raises its Unsupported (a NotImplementedError) at the first
// use of: threads (threading.Thread.start; they would run on wall-clock
// time), fork, subprocess, os.system, os.exec*, _socket.socket,
// socket.fromfd and dup, TLS on a non-blocking socket outside asyncio,
// select.epoll.fromfd, and asyncio's run_in_executor (a thread pool).
// With [Config.Launcher], a seccomp filter makes every socket(2) call but
// AF_UNIX's fail with EPERM in the child, so a C extension cannot reach
// the host's network either. A process that makes no call for
// [Config.Watchdog] of wall time (it computes, reads its standard input,
// which is /dev/null, or blocks outside the shim) is killed and named in a
// [*HangError].
package proc
