package netsimtest

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"netsim.dev/netsim/internal/sim"
)

// socketFunc is the type of net.socketFunc.
type socketFunc = func(family, sotype, proto int) (int, error)

// anchor is a variable of the same kind as net.socketFunc (a function
// value statically initialised, so in the data segment): the address of
// net.socketFunc is computed from anchor's, so that it is a pointer into
// the same segment for checkptr (-race).
var anchor socketFunc = socketGuard

func init() {
	p, err := findSocketFunc()
	if err != nil {
		guard.err = err
		return
	}
	*p = socketGuard
	guard.installed = true
}

// findSocketFunc returns the address of net.socketFunc: the one word of
// the executable's .data section that points to syscall.Socket's function
// value. (The section headers stay in binaries without a symbol table.)
func findSocketFunc() (*socketFunc, error) {
	want := syscall.Socket
	target := *(*uintptr)(unsafe.Pointer(&want))
	key := unsafe.Slice((*byte)(unsafe.Pointer(&target)), unsafe.Sizeof(target))
	start, end, err := dataSection()
	if err != nil {
		return nil, fmt.Errorf("netsim: cannot find net.socketFunc: %w", err)
	}
	// anchor is in .data: the pointer made from its address below stays
	// in the allocation checkptr (-race) allows.
	if a := uint64(uintptr(unsafe.Pointer(&anchor))); a < start || a >= end {
		return nil, fmt.Errorf("netsim: cannot find net.socketFunc: the data section is not where it was looked for")
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		return nil, fmt.Errorf("netsim: cannot find net.socketFunc: %w", err)
	}
	defer mem.Close()
	var found []uintptr
	buf := make([]byte, 64<<10)
	// In chunks of a multiple of the word's size, from an aligned
	// address: no word straddles two chunks.
	for at := start; at < end; at += uint64(len(buf)) {
		chunk := buf[:min(uint64(len(buf)), end-at)]
		if _, err := mem.ReadAt(chunk, int64(at)); err != nil {
			return nil, fmt.Errorf("netsim: cannot find net.socketFunc: reading the data section: %w", err)
		}
		for i := 0; i+len(key) <= len(chunk); i += len(key) {
			if bytes.Equal(chunk[i:i+len(key)], key) {
				found = append(found, uintptr(at)+uintptr(i))
			}
		}
	}
	if len(found) > 1 {
		// Another variable holds syscall.Socket too. net declares
		// connectFunc (syscall.Connect) right after socketFunc, and the
		// linker has kept them side by side in the releases seen (Go
		// 1.26, 1.27): keep the one word so followed, if only one is.
		connect := syscall.Connect
		next := *(*uintptr)(unsafe.Pointer(&connect))
		var word [unsafe.Sizeof(uintptr(0))]byte
		var followed []uintptr
		for _, a := range found {
			if _, err := mem.ReadAt(word[:], int64(a)+int64(len(word))); err == nil && *(*uintptr)(unsafe.Pointer(&word)) == next {
				followed = append(followed, a)
			}
		}
		if len(followed) == 1 {
			found = followed
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("netsim: cannot find net.socketFunc: %d words of the data section point to syscall.Socket, want 1", len(found))
	}
	p := (*socketFunc)(unsafe.Add(unsafe.Pointer(&anchor), int(found[0])-int(uintptr(unsafe.Pointer(&anchor)))))
	if got := *p; *(*uintptr)(unsafe.Pointer(&got)) != target {
		return nil, fmt.Errorf("netsim: cannot find net.socketFunc: the word changed")
	}
	return p, nil
}

// dataSection returns where the executable's .data section is mapped:
// from its section header and the mapping of the executable's file that
// holds its offset (/proc/self/maps), so with or without -buildmode=pie.
func dataSection() (start, end uint64, err error) {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sec := f.Section(".data")
	if sec == nil || sec.Type != elf.SHT_PROGBITS {
		return 0, 0, fmt.Errorf("the executable has no .data section")
	}
	if sec.Addr%8 != 0 {
		return 0, 0, fmt.Errorf(".data is not aligned")
	}
	var exe syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &exe); err != nil {
		return 0, 0, err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// "start-end perms offset dev inode path"
		m := strings.Fields(sc.Text())
		if len(m) < 6 || !strings.HasPrefix(m[1], "rw") {
			continue
		}
		if ino, err := strconv.ParseUint(m[4], 10, 64); err != nil || ino != exe.Ino {
			continue
		}
		lo, hi, _ := strings.Cut(m[0], "-")
		mstart, err1 := strconv.ParseUint(lo, 16, 64)
		mend, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(m[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil || mend <= mstart {
			continue
		}
		if sec.Offset < off || sec.Offset+sec.Size > off+(mend-mstart) {
			continue
		}
		start = mstart + (sec.Offset - off)
		return start, start + sec.Size, nil
	}
	return 0, 0, fmt.Errorf("the .data section is in no writable mapping of the executable")
}

// socketGuard is installed in net.socketFunc.
func socketGuard(family, sotype, proto int) (int, error) {
	if running.Load() == 0 {
		return syscall.Socket(family, sotype, proto)
	}
	if b := currentRun(); b != nil {
		return b.realSocket(family, sotype, proto)
	}
	return syscall.Socket(family, sotype, proto)
}

// realSocket reports a socket that the net package was about to make for
// a goroutine of b's bubble, and returns the error that refuses it; but
// the net package's probes of what the kernel supports pass.
func (b *bubbleRun) realSocket(family, sotype, proto int) (int, error) {
	call, at, stack := socketCall()
	if probes[call] {
		// The first socket the process asks for, if asked inside Run,
		// has the net package probe once for all what the kernel
		// supports: IPv4, IPv6 and IPv4-mapped IPv6 (a socket bound to
		// port 0 of a loopback address), Multipath TCP (a socket). No
		// packet is sent, and they are closed at once; refused, they
		// would leave the whole process believing that it has no IPv4
		// or IPv6. The call that asked is refused next.
		return syscall.Socket(family, sotype, proto)
	}
	kind := socketKind(family, sotype)
	err := fmt.Errorf("%w (a %s socket, refused: dial through the simulated host's DialContext)", ErrRealNetwork, kind)
	key := call + " " + at
	b.mu.Lock()
	seen := b.sockets[key]
	b.sockets[key] = true
	b.mu.Unlock()
	if seen {
		return -1, err
	}
	id, _ := sim.Current()
	b.t.Errorf("%v: %s, called from %s, asked for a real %s socket of the machine; no socket was made, and the call fails with this error. Dial and listen through the simulated hosts instead: host.DialContext (http.Transport.DialContext, grpc.WithContextDialer, redis.Options.Dialer), host.Listen, host.ListenPacket (netsimtest.NewServer for httptest). Further such calls from the same place fail without a report. The goroutine:\ngoroutine %s:\n%s",
		ErrRealNetwork, call, at, kind, id, stack)
	return -1, err
}

// probes are the net package's functions that probe, once per process,
// what the kernel supports, with sockets of their own.
var probes = map[string]bool{
	"net.(*ipStackCapabilities).probe": true, // IPv4, IPv6, IPv4-mapped IPv6
	"net.initMPTCPavailable":           true, // Multipath TCP (Linux)
}

// socketCall returns the net package's exported function that the calling
// goroutine called to make a socket (net.Dial, net.(*Dialer).DialContext,
// net.ListenPacket), where it was called from (function and file:line),
// and the goroutine's stack from that call on. A goroutine that the net
// package started for a call (the resolver's queries) is followed to the
// goroutine that made it. call is a probe's name for net's probes.
func socketCall() (call, at, stack string) {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, false)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	_, rest, _ := strings.Cut(string(buf), "\n") // the header
	call, at, stack, creator, parent := parseCall(rest)
	for range 3 {
		if creator == "" || probes[call] {
			break
		}
		var next string
		for _, g := range sim.Stacks() {
			if g.ID == creator {
				next = g.Stack
			}
		}
		if next == "" {
			break
		}
		c, a, st, cr, pa := parseCall(next)
		if c == "" {
			break
		}
		stack += "\n\ngoroutine " + creator + ", which started it:\n" + st
		call, at, creator, parent = c, a, cr, pa
	}
	if at == "" {
		at = "an unknown place"
	}
	if call == "" {
		call = "a socket call"
	}
	// Called from the standard library (net/http's Transport dials from
	// a goroutine of its own): name the code it works for, in the
	// goroutine that started it.
	for range 3 {
		fn, _, _ := strings.Cut(at, " at ")
		if !stdFunc(fn) || parent == "" {
			break
		}
		var next string
		for _, g := range sim.Stacks() {
			if g.ID == parent {
				next = g.Stack
			}
		}
		frames, grand := stackFrames(next)
		user := -1
		for i, f := range frames {
			if !stdFunc(f.fn) {
				user = i
				break
			}
		}
		stack += "\n\ngoroutine " + parent + ", which started it:\n" + next
		if user >= 0 {
			at += fmt.Sprintf(" (for %s at %s, in goroutine %s)", frames[user].fn, frames[user].file, parent)
			break
		}
		parent = grand
	}
	return call, at, stack
}

// stdFunc reports whether a function named as in a stack trace
// ("net/http.(*Transport).dial") is of the standard library: its import
// path's first element has no dot (but main's).
func stdFunc(fn string) bool {
	path := fn
	if i := strings.LastIndex(path, "/"); i >= 0 {
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".")
	}
	pkg, _, _ := strings.Cut(path, ".")
	return pkg != "main" && pkg != ""
}

// stackFrame is one frame of a stack trace.
type stackFrame struct{ fn, file string }

// stackFrames parses a goroutine's stack trace (without its header) into
// its frames, and returns the id of the goroutine that created it.
func stackFrames(text string) (frames []stackFrame, parent string) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	// Frames are pairs of lines: "pkg.Func(args)" and "\tfile:line +0x..".
	for i := 0; i+1 < len(lines); i += 2 {
		if c, ok := strings.CutPrefix(lines[i], "created by "); ok {
			if _, id, ok := strings.Cut(c, " in goroutine "); ok {
				parent = strings.TrimSpace(id)
			}
			break
		}
		fn := lines[i]
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j] // the arguments
		}
		file, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), " +0x")
		frames = append(frames, stackFrame{fn, file})
	}
	return frames, parent
}

// parseCall finds, in a goroutine's stack (without its header), the
// outermost frame of package net (not net/http) in the run of them that
// the stack starts with (after netsimtest's own): the function called.
// at is its caller and file:line ("" when the goroutine was started by
// the net package: creator is then the id of the goroutine that did);
// parent is the id of the goroutine that started this one.
func parseCall(text string) (call, at, stack, creator, parent string) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	frames, parent := stackFrames(text)
	first := -1
	for i, f := range frames {
		if strings.HasPrefix(f.fn, "net.") {
			first = i
			break
		}
	}
	if first < 0 {
		return "", "", strings.Join(lines, "\n"), "", parent
	}
	last := first
	for {
		if probes[frames[last].fn] {
			return frames[last].fn, "", "", "", ""
		}
		if last+1 >= len(frames) || !strings.HasPrefix(frames[last+1].fn, "net.") {
			break
		}
		last++
	}
	call = frames[last].fn
	if last+1 < len(frames) {
		at = frames[last+1].fn + " at " + frames[last+1].file
	} else if strings.Contains(text, "\ncreated by net.") || strings.HasPrefix(text, "created by net.") {
		creator = parent
	}
	// The stack from the call on: the frames below it are net's own.
	return call, at, strings.Join(lines[2*last:], "\n"), creator, parent
}

// socketKind names a socket by its family and type: "TCP/IPv4".
func socketKind(family, sotype int) string {
	fam := map[int]string{syscall.AF_INET: "IPv4", syscall.AF_INET6: "IPv6", syscall.AF_UNIX: "Unix"}[family]
	if fam == "" {
		fam = fmt.Sprintf("family %d", family)
	}
	typ := sotype &^ (syscall.SOCK_NONBLOCK | syscall.SOCK_CLOEXEC)
	inet := family == syscall.AF_INET || family == syscall.AF_INET6
	var name string
	switch {
	case typ == syscall.SOCK_STREAM && inet:
		name = "TCP"
	case typ == syscall.SOCK_DGRAM && inet:
		name = "UDP"
	case typ == syscall.SOCK_STREAM:
		name = "stream"
	case typ == syscall.SOCK_DGRAM:
		name = "datagram"
	case typ == syscall.SOCK_RAW:
		name = "raw"
	case typ == syscall.SOCK_SEQPACKET:
		name = "seqpacket"
	default:
		name = fmt.Sprintf("type %d", typ)
	}
	return name + "/" + fam
}
