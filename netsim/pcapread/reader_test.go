package pcapread

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestClassicPcap(t *testing.T) {
	frames, err := ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 8 || frames[0].LinkType != LinkEthernet || frames[0].Precision != 6 || len(frames[3].Data) != 69 || frames[3].Number != 4 {
		t.Fatalf("unexpected frames: %d, first %+v", len(frames), frames[0])
	}
	if d := frames[1].Time - frames[0].Time; d != 26000 {
		t.Errorf("time delta %d ns, want 26000", d)
	}
}

func TestBigEndianNanoRaw(t *testing.T) {
	r, err := Open("testdata/raw-nano-be.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Format() != FormatPcap || r.LinkType() != LinkRaw {
		t.Fatalf("format %v link %d", r.Format(), r.LinkType())
	}
	f, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if f.Precision != 9 || f.Time%1000 == 0 || f.Data[0]>>4 != 4 {
		t.Errorf("frame %+v", f)
	}
}

func TestPcapNGInterfacesAndComments(t *testing.T) {
	r, err := Open("testdata/mixed.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames, err := ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	ifs := r.Interfaces()
	if len(ifs) != 3 || ifs[0].Name != "eth0" || ifs[1].Name != "lo" || ifs[1].LinkType != LinkRaw || ifs[2].Precision != 9 {
		t.Fatalf("interfaces %+v", ifs)
	}
	if frames[0].Comments == nil || frames[0].Comments[0] != "who has the gateway" || !frames[0].HasInterface {
		t.Errorf("frame 1 comments %q", frames[0].Comments)
	}
	seen := map[int]bool{}
	for _, f := range frames {
		seen[f.Interface] = true
	}
	if len(seen) != 3 {
		t.Errorf("frames on interfaces %v", seen)
	}
}

func TestErrorsNameOffsets(t *testing.T) {
	good, err := os.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "offset 0: file is empty"},
		{"garbage", []byte("hello, this is not a capture"), "offset 0: not a pcap or pcapng file"},
		{"truncated record", good[:len(good)-10], "packet data cut short"},
		{"huge record", append(append([]byte(nil), good[:24]...), 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0), "offset 24: record 1: captured length"},
	}
	for _, c := range cases {
		r, err := NewReader(bytes.NewReader(c.data))
		if err == nil {
			_, err = ReadAll(r)
		}
		var fe *FormatError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &fe) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestNextAfterEOF(t *testing.T) {
	r, err := NewReader(bytes.NewReader(mustRead(t, "testdata/linux-lo-udp.pcap")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
