package readcompare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// Reader is the reader under test: it lists a capture's frames as
// `netsim read -r FILE` does and evaluates display filters as
// `netsim read -r FILE -Y FILTER` does.
type Reader interface {
	Read(file string, filters []string) (*Output, error)
}

// InProcess is netsim's reader linked into this program: the same packages
// (dissect, dfilter) and the same loop as `netsim read`, without a process
// per filter.
type InProcess struct {
	// Names resolves MAC addresses as `netsim read` and tshark do (from
	// Wireshark's installed manuf file, [dissect.SystemMACNames]); nil
	// prints them in hex.
	Names *dissect.MACNames
}

// Read implements [Reader].
func (ip InProcess) Read(file string, filters []string) (o *Output, err error) {
	compiled := make([]*dfilter.Filter, len(filters))
	o = &Output{Selections: make([]Selection, len(filters))}
	for i, f := range filters {
		if c, err := dfilter.Compile(f); err == nil {
			compiled[i] = c
			o.Selections[i].Valid = true
		}
	}
	r, err := pcapread.Open(file)
	if err != nil {
		o.Err = err.Error()
		return o, nil
	}
	defer r.Close()
	var sb strings.Builder
	var last int64
	shown := false
	d := dissect.New()
	d.SetMACNames(ip.Names, true)
	err = d.Scan(r, func(p *dissect.Packet) error {
		// As `netsim read` without -Y: every frame is shown.
		p.TimeDeltaDisplayed = 0
		if shown {
			p.TimeDeltaDisplayed = p.Time - last
		}
		last, shown = p.Time, true
		sb.Reset()
		sb.WriteString(dissect.Summary(p))
		o.Lines = append(o.Lines, sb.String())
		for i, c := range compiled {
			if c != nil && c.Match(p) {
				o.Selections[i].Frames = append(o.Selections[i].Frames, p.Number)
			}
		}
		return nil
	})
	if err != nil {
		o.Err = err.Error()
	}
	return o, nil
}

// Binary runs a netsim executable: `netsim read -r FILE` for the summary
// lines, and `netsim read -r FILE -Y FILTER -T fields -e frame.number` for
// each filter.
type Binary struct {
	// Path is the netsim executable.
	Path string
	// Timeout bounds one netsim process (0: one minute).
	Timeout time.Duration
	// Jobs is how many filter processes run at once for one capture (0: 1).
	Jobs int
}

// Read implements [Reader].
func (b Binary) Read(file string, filters []string) (*Output, error) {
	o := &Output{Selections: make([]Selection, len(filters))}
	out, errs, err := b.run("-r", file)
	if err != nil {
		o.Err = strings.TrimSpace(err.Error() + ": " + errs)
	}
	o.Lines = splitLines(out)
	jobs := max(b.Jobs, 1)
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, f := range filters {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, errs, err := b.run("-r", file, "-Y", f, "-T", "fields", "-e", "frame.number")
			var ee *exec.ExitError
			switch {
			case err != nil && errors.As(err, &ee) && ee.ExitCode() == 2:
				return // the filter is rejected (exit 2, usage error)
			case err != nil && out == "":
				mu.Lock()
				if firstErr == nil && !errors.As(err, &ee) {
					firstErr = fmt.Errorf("%s read -r %s -Y %q: %v: %s", b.Path, file, f, err, errs)
				}
				mu.Unlock()
				o.Selections[i].Valid = true
				return
			}
			sel := Selection{Valid: true}
			for _, l := range splitLines(out) {
				n, err := strconv.Atoi(strings.TrimSpace(l))
				if err != nil {
					continue
				}
				sel.Frames = append(sel.Frames, n)
			}
			o.Selections[i] = sel
		}()
	}
	wg.Wait()
	return o, firstErr
}

func (b Binary) run(args ...string) (string, string, error) {
	timeout := b.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Path, append([]string{"read"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("timed out after %v", timeout)
	}
	return stdout.String(), stderr.String(), err
}

// LinkType returns the name of a capture's (first interface's) link type,
// as libpcap's DLT_ names without the prefix ("EN10MB", "LINUX_SLL"), or
// "unreadable".
func LinkType(file string) string {
	r, err := pcapread.Open(file)
	if err != nil {
		return "unreadable"
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		if ifs := r.Interfaces(); len(ifs) > 0 {
			return linkName(ifs[0].LinkType)
		}
		return "empty"
	}
	return linkName(r.LinkType())
}

var linkNames = map[pcapread.LinkType]string{
	0: "NULL", 1: "EN10MB", 6: "IEEE802", 9: "PPP", 10: "FDDI", 12: "RAW", 14: "RAW", 101: "RAW",
	50: "PPP_HDLC", 51: "PPP_ETHER", 104: "C_HDLC", 105: "IEEE802_11", 107: "FRELAY", 108: "LOOP",
	113: "LINUX_SLL", 119: "PRISM", 127: "IEEE802_11_RADIO", 138: "APPLE_IP_OVER_IEEE1394",
	139: "MTP2_WITH_PHDR", 143: "DOCSIS", 147: "USER0", 163: "IEEE802_11_RADIO_AVS", 165: "BACNET_MS_TP",
	166: "PPP_PPPD", 177: "LINUX_LAPD", 187: "BLUETOOTH_HCI_H4", 192: "PPI", 195: "IEEE802_15_4_WITHFCS",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR", 215: "IEEE802_15_4_NONASK_PHY", 220: "USB_LINUX_MMAPPED",
	228: "IPV4", 229: "IPV6", 230: "IEEE802_15_4_NOFCS", 231: "DBUS", 239: "NFLOG", 240: "NETANALYZER",
	248: "SCTP", 249: "USBPCAP", 251: "BLUETOOTH_LE_LL", 253: "NETLINK", 254: "BLUETOOTH_LINUX_MONITOR",
	256: "BLUETOOTH_LE_LL_WITH_PHDR", 263: "VSOCK", 266: "DISPLAYPORT_AUX", 276: "LINUX_SLL2",
	283: "IEEE802_15_4_TAP",
}

// linkName names a link type. The upper bits of a pcap header's link type
// field say whether frames end in an FCS; they are shown as "+FCS".
func linkName(l pcapread.LinkType) string {
	fcs := ""
	if l&^0xffff != 0 {
		l, fcs = l&0xffff, "+FCS"
	}
	if n, ok := linkNames[l]; ok {
		return n + fcs
	}
	return "DLT_" + strconv.Itoa(int(l)) + fcs
}

// inScopeLinks are the link types of issue #15's goal.
var inScopeLinks = map[string]bool{"EN10MB": true, "NULL": true, "LOOP": true, "LINUX_SLL": true, "LINUX_SLL2": true, "RAW": true, "IPV4": true, "IPV6": true}
