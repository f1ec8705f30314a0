package proc_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"netsim.dev/netsim/proc"
)

func frame(header string, data string) []byte {
	return proc.AppendFrame(nil, []byte(header), []byte(data))
}

func TestReadRequest(t *testing.T) {
	b := append(frame(`{"op":"send","fd":1000,"timeout":2.5}`, "abc"), frame(`{"op":"close","fd":1000}`, "")...)
	r := bytes.NewReader(b)
	req, err := proc.ReadRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	if req.Op != "send" || req.FD != 1000 || req.Timeout == nil || *req.Timeout != 2.5 || string(req.Data) != "abc" {
		t.Errorf("%+v", req)
	}
	var extra struct{ FD int }
	if err := req.Args(&extra); err != nil || extra.FD != 1000 {
		t.Errorf("Args: %v %+v", err, extra)
	}
	if req, err = proc.ReadRequest(r); err != nil || req.Op != "close" {
		t.Errorf("second: %+v %v", req, err)
	}
	if _, err := proc.ReadRequest(r); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
	for name, bad := range map[string][]byte{
		"short head":   {0, 0, 0},
		"empty header": frame("", ""),
		"huge header":  {0x7f, 0, 0, 0, 0, 0, 0, 0},
		"huge data":    {0, 0, 0, 2, 0x7f, 0, 0, 0, '{', '}'},
		"not JSON":     frame("op", ""),
		"no op":        frame(`{"fd":3}`, ""),
		"array":        frame(`[1]`, ""),
		"cut short":    frame(`{"op":"x"}`, "abc")[:12],
		"wrong type":   frame(`{"op":"x","fd":"3"}`, ""),
		"op too long":  frame(`{"op":"`+string(bytes.Repeat([]byte("x"), 100))+`"}`, ""),
	} {
		if _, err := proc.ReadRequest(bytes.NewReader(bad)); !errors.Is(err, proc.ErrProtocol) {
			t.Errorf("%s: %v, want ErrProtocol", name, err)
		}
	}
}

// FuzzReadRequest: whatever a child writes, the decoder returns a request
// or an error, never panics, and a request has an op.
func FuzzReadRequest(f *testing.F) {
	f.Add(frame(`{"op":"send","fd":1000,"timeout":2.5}`, "abc"))
	f.Add(frame(`{"op":"connect","host":"::1","port":80}`, ""))
	f.Add(frame(`{"op":"recv","n":-1,"flags":256}`, ""))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			req, err := proc.ReadRequest(r)
			if err != nil {
				if err != io.EOF && !errors.Is(err, proc.ErrProtocol) {
					t.Fatalf("error %v matches neither io.EOF nor ErrProtocol", err)
				}
				return
			}
			if req.Op == "" {
				t.Fatal("a request without an op")
			}
		}
	})
}

func TestParseArgs(t *testing.T) {
	ps, err := proc.ParseArgs([]string{"python3", "a.py", "--", "recv@server+10ms:", "python3", "b.py", `\--`, "x", "--", "@client:", "c"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{ps[0].String(), ps[1].String(), ps[2].String()}
	want := []string{"python3 a.py", "recv@server+10ms: python3 b.py -- x", "@client: c"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("process %d: %q, want %q", i, got[i], want[i])
		}
	}
	for _, bad := range [][]string{nil, {"--"}, {"a", "--"}, {"x:"}, {"@h+1parsec:", "p"}} {
		if _, err := proc.ParseArgs(bad); !errors.Is(err, proc.ErrUsage) {
			t.Errorf("%q: %v, want ErrUsage", bad, err)
		}
	}
}

func TestDefaultName(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{{[]string{"python3", "dir/tcp_recv.py", "x.py"}, "tcp_recv"}, {[]string{"/bin/echo", "hi"}, "echo"}} {
		if got := proc.DefaultName(c.argv); got != c.want {
			t.Errorf("%q: %q, want %q", c.argv, got, c.want)
		}
	}
}

// FuzzParseArgs: any command line gives processes with a program each, or
// an error matching ErrUsage; never a panic.
func FuzzParseArgs(f *testing.F) {
	f.Add("python3\x00a.py\x00--\x00recv@server+10ms:\x00python3\x00b.py")
	f.Add("--\x00@h+1parsec:\x00p")
	f.Add(":\x00x")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := proc.ParseArgs(strings.Split(s, "\x00"))
		if err != nil {
			if !errors.Is(err, proc.ErrUsage) {
				t.Fatalf("error %v does not match ErrUsage", err)
			}
			return
		}
		for _, p := range ps {
			if len(p.Argv) == 0 || p.At < 0 {
				t.Fatalf("%+v", p)
			}
		}
		if _, err := proc.Names(ps); err != nil && !errors.Is(err, proc.ErrStart) {
			t.Fatal(err)
		}
	})
}
