package scenario

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
)

// Validate checks a Scenario built in Go as [Parse] checks a file, and
// fills in the same defaults (the scenario's name, link names, interface
// names, socket names, the socket each step acts on, program names,
// the capture format, recv's byte count, TLS's server name, the data's
// bytes): afterwards s runs as its file form would. Its errors are an
// [ErrorList] whose keys are the file's ("programs[1].steps[2].sock"),
// without positions unless s came from Parse. A `file:` data item without
// Bytes is read relative to the working directory.
func (s *Scenario) Validate() error {
	errs := &errList{file: s.File}
	c := &checker{errs: errs, pos: map[any]Pos{}, dir: "."}
	c.check(s)
	return errs.err()
}

// checker checks what the values of a scenario mean and fills in the
// defaults. pos, filled by the parser, says where values came from.
type checker struct {
	errs *errList
	pos  map[any]Pos
	dir  string // where `file:` data is read from
	// noPrograms accepts a scenario without programs (ParseNetwork).
	noPrograms bool
	s          *Scenario

	hosts    map[string]*HostSpec
	switches map[string]bool
	links    map[string]*LinkSpec
	// progSocks are each program's sockets, by program name.
	progSocks map[string]map[string]*sockInfo
	// lists are name lists made once (see cached).
	lists map[string][]string
	// dataTotal is the bytes of data items counted so far (MaxDataTotal).
	dataTotal int64
	// random are the random data items, drawn once the file is known to
	// be valid and within MaxDataTotal.
	random []randomData
}

// randomData is a random data item and its place: program and step.
type randomData struct {
	d          *Data
	prog, step int
}

// at returns where the value held at ptr came from, or else fallback.
func (c *checker) at(ptr any, fallback Pos) Pos {
	if p, ok := c.pos[ptr]; ok {
		return p
	}
	return fallback
}

func (c *checker) add(pos Pos, key, format string, args ...any) {
	c.errs.add(pos, key, format, args...)
}

// dataDir is the directory `file:` data is read relative to.
func dataDir(name string) string {
	if name == "-" || name == "" {
		return "."
	}
	return filepath.Dir(name)
}

// validName reports whether name may name a host, switch, link or socket:
// letters, digits, '.', '-', '_'.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

const nameRule = "letters, digits, '.', '-' and '_'"

func (c *checker) check(s *Scenario) {
	c.s = s
	if s.Name == "" {
		base := filepath.Base(s.File)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
		switch s.File {
		case "-":
			s.Name = "stdin"
		case "":
			s.Name = "scenario"
		}
	}
	c.capture(s)
	c.topology(s)
	c.captureLinks(s)
	c.events(s)
	c.programs(s)
	c.expect(s)
}

func (c *checker) capture(s *Scenario) {
	cp := &s.Capture
	if !cp.FormatSet {
		cp.Format = capture.PCAPNG
	} else if cp.Format != capture.PCAP && cp.Format != capture.PCAPNG {
		c.add(c.at(&cp.Format, cp.Pos), "capture.format", "%v is not a capture format; want pcap or pcapng", cp.Format)
	}
	if cp.Explain && cp.Format == capture.PCAP {
		c.add(c.at(&cp.Explain, cp.Pos), "capture.explain", "explanations are pcapng comments: not with format: pcap")
	}
	if cp.Format == capture.PCAP && len(cp.Links) > 1 {
		c.add(c.at(&cp.Links, cp.Pos), "capture.links", "%d links with format: pcap, whose file holds one link; name one, or use format: pcapng", len(cp.Links))
	}
	if cp.SnapLen < 0 || cp.SnapLen > capture.DefaultSnapLen {
		c.add(c.at(&cp.SnapLen, cp.Pos), "capture.snap_len", "%d is out of range (1 to %d)", cp.SnapLen, capture.DefaultSnapLen)
	}
	if !s.Start.IsZero() && (s.Start.Before(netsim.MinStart) || s.Start.After(netsim.MaxStart)) {
		c.add(c.at(&s.Start, Pos{}), "start", "%s is outside what a capture can stamp (%s to %s)",
			s.Start.Format("2006-01-02T15:04:05Z07:00"), netsim.MinStart.Format("2006-01-02"), netsim.MaxStart.Format("2006-01-02"))
	}
}

// names are every name taken by a host, switch or link, for "taken".
func (c *checker) topology(s *Scenario) {
	c.hosts = make(map[string]*HostSpec)
	c.switches = make(map[string]bool)
	c.links = make(map[string]*LinkSpec)
	taken := make(map[string]string) // name -> what took it
	name := func(ptr *string, fallback Pos, key, what string) bool {
		n := *ptr
		switch {
		case n == "":
			c.add(fallback, key, "missing: every %s needs a name", what)
		case !validName(n):
			c.add(c.at(ptr, fallback), key, "%q: a name has only %s", n, nameRule)
		case taken[n] != "":
			c.add(c.at(ptr, fallback), key, "%q is taken already by %s", n, taken[n])
		default:
			if _, err := netip.ParseAddr(n); err == nil {
				c.add(c.at(ptr, fallback), key, "%q: a name cannot be an IP address", n)
				return false
			}
			taken[n] = fmt.Sprintf("%s (%s)", what, strings.TrimSuffix(key, ".name"))
			return true
		}
		return false
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if name(&h.Name, h.Pos, fmt.Sprintf("hosts[%d].name", i), "host") {
			c.hosts[h.Name] = h
		}
	}
	for i := range s.Switches {
		sw := &s.Switches[i]
		if name(&sw.Name, sw.Pos, fmt.Sprintf("switches[%d].name", i), "switch") {
			c.switches[sw.Name] = true
		}
	}
	// Interfaces, per host, in the order links name them.
	ifaces := make(map[string]map[string]bool)
	addrs := make(map[netip.Addr]string)
	for i := range s.Links {
		l := &s.Links[i]
		key := fmt.Sprintf("links[%d]", i)
		okA := c.end(&l.A, l.Pos, key+".a", ifaces, addrs)
		okB := c.end(&l.B, l.Pos, key+".b", ifaces, addrs)
		if l.Name == "" && endName(l.A) != "" && endName(l.B) != "" {
			l.Name = endName(l.A) + "-" + endName(l.B)
			if taken[l.Name] != "" {
				c.add(l.Pos, key+".name", "missing, and the default %q is taken already by %s: name the link", l.Name, taken[l.Name])
				continue
			}
			taken[l.Name] = fmt.Sprintf("link (%s)", key)
			c.links[l.Name] = l
		} else if l.Name != "" && name(&l.Name, l.Pos, key+".name", "link") {
			c.links[l.Name] = l
		}
		if okA && okB && l.A.Switch != "" && l.A.Switch == l.B.Switch {
			c.add(l.B.Pos, key+".b.switch", "the link joins switch %s to itself", l.A.Switch)
		}
		n := len(c.errs.errs)
		if c.impair(&l.Both, key+".both", netsim.LinkConfig{}); len(c.errs.errs) > n {
			continue
		}
		c.impair(&l.AB, key+".ab", l.Both.Merge(netsim.LinkConfig{}))
		c.impair(&l.BA, key+".ba", l.Both.Merge(netsim.LinkConfig{}))
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		key := fmt.Sprintf("hosts[%d]", i)
		if h.Loopback != nil {
			c.impair(h.Loopback, key+".loopback", netsim.LinkConfig{})
		}
		for j := range h.Routes {
			r := &h.Routes[j]
			rkey := fmt.Sprintf("%s.routes[%d]", key, j)
			to := r.To
			switch to {
			case "":
				c.add(r.Pos, rkey+".to", "missing: a route needs to (a CIDR, default or default6)")
				continue
			case "default":
				to = "0.0.0.0/0"
			case "default6":
				to = "::/0"
			}
			p, err := netip.ParsePrefix(to)
			if err != nil {
				c.add(c.at(&r.To, r.Pos), rkey+".to", "%q: want a CIDR (10.1.0.0/16), default or default6", r.To)
				continue
			}
			if r.Via == "" {
				c.add(r.Pos, rkey+".via", "missing: a route needs via (the gateway's address)")
				continue
			}
			gw, err := netip.ParseAddr(r.Via)
			if err != nil {
				c.add(c.at(&r.Via, r.Pos), rkey+".via", "%q: not an IP address", r.Via)
				continue
			}
			if p.Addr().Is4() != gw.Is4() {
				c.add(c.at(&r.Via, r.Pos), rkey+".via", "%s is IPv%d, the destination %s IPv%d", gw, ipv(gw), r.To, ipv(p.Addr()))
			}
		}
	}
}

func ipv(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

func endName(e EndSpec) string {
	if e.Host != "" {
		return e.Host
	}
	return e.Switch
}

// end checks one end of a link and gives a host's interface its default
// name.
func (c *checker) end(e *EndSpec, linkPos Pos, key string, ifaces map[string]map[string]bool, addrs map[netip.Addr]string) bool {
	pos := e.Pos
	if pos == (Pos{}) {
		pos = linkPos
	}
	switch {
	case e.Host == "" && e.Switch == "":
		c.add(pos, key, "missing: an end needs host (and iface, addrs) or switch")
		return false
	case e.Host != "" && e.Switch != "":
		c.add(c.at(&e.Switch, pos), key+".switch", "an end is a host's interface or a switch port, not both")
		return false
	case e.Switch != "":
		if !c.switches[e.Switch] {
			c.add(c.at(&e.Switch, pos), key+".switch", "no switch %q%s", e.Switch, didYouMean(e.Switch, c.switchNames()))
			return false
		}
		if e.Iface != "" || len(e.Addrs) > 0 {
			c.add(c.at(&e.Iface, pos), key, "a switch port has no iface or addrs")
			return false
		}
		return true
	}
	ok := true
	if c.hosts[e.Host] == nil {
		c.add(c.at(&e.Host, pos), key+".host", "no host %q%s", e.Host, didYouMean(e.Host, c.hostNames()))
		ok = false
	}
	if e.Iface == "" {
		e.Iface = fmt.Sprintf("eth%d", len(ifaces[e.Host]))
		for ifaces[e.Host][e.Iface] {
			e.Iface += "_"
		}
	} else if e.Iface == "lo" || !validName(e.Iface) {
		c.add(c.at(&e.Iface, pos), key+".iface", "%q: an interface name has only %s and is not lo", e.Iface, nameRule)
		return false
	} else if ifaces[e.Host][e.Iface] {
		c.add(c.at(&e.Iface, pos), key+".iface", "host %s has an interface %s already", e.Host, e.Iface)
		return false
	}
	if ifaces[e.Host] == nil {
		ifaces[e.Host] = make(map[string]bool)
	}
	ifaces[e.Host][e.Iface] = true
	for j, a := range e.Addrs {
		akey := fmt.Sprintf("%s.addrs[%d]", key, j)
		apos := c.at(&e.Addrs[j], pos)
		p, err := netip.ParsePrefix(a)
		if err != nil {
			if _, aerr := netip.ParseAddr(a); aerr == nil {
				c.add(apos, akey, "%q has no prefix length: write it %s/24 (or /64 for IPv6)", a, a)
			} else {
				c.add(apos, akey, "%q: want CIDR form like 10.0.0.1/24 or fd00::1/64", a)
			}
			ok = false
			continue
		}
		ip := p.Addr()
		switch {
		case ip.Is4In6():
			c.add(apos, akey, "%s is an IPv4-mapped IPv6 address; give the IPv4 address", a)
		case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLoopback(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			c.add(apos, akey, "%s is not a unicast address an interface can have", a)
		case addrs[ip] != "":
			c.add(apos, akey, "%s is taken already by %s", ip, addrs[ip])
		default:
			addrs[ip] = key
			continue
		}
		ok = false
	}
	return ok
}

func (c *checker) hostNames() []string {
	return c.cached("hosts", func() []string { return sortedKeys(c.hosts) })
}
func (c *checker) switchNames() []string {
	return c.cached("switches", func() []string { return sortedKeys(c.switches) })
}

// cached returns the list mk returns, made once: names for suggestions,
// which a file of many mistakes asks for many times. A list is asked for
// only once its names are all known.
func (c *checker) cached(what string, mk func() []string) []string {
	if c.lists == nil {
		c.lists = map[string][]string{}
	}
	if l, ok := c.lists[what]; ok {
		return l
	}
	l := mk()
	c.lists[what] = l
	return l
}

// list shows at most 20 names.
func list20(names []string) string {
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(", ... (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// impairKeys names the key of each LinkConfig field.
var impairKeys = map[string]string{
	"LinkConfig.Delay":     "delay",
	"LinkConfig.Jitter":    "jitter",
	"LinkConfig.Loss":      "loss",
	"LinkConfig.LossBurst": "loss_burst",
	"LinkConfig.Dup":       "dup",
	"LinkConfig.Reorder":   "reorder",
	"LinkConfig.Corrupt":   "corrupt",
	"LinkConfig.Rate":      "rate",
	"LinkConfig.Queue":     "queue",
	"LinkConfig.MTU":       "mtu",
	"LinkConfig.Down":      "down",
}

// impair merges i over base, validates the result and returns it; an
// error names i's key (or, for a field i does not set, the key that
// set it in base).
func (c *checker) impair(i *ImpairSpec, key string, base netsim.LinkConfig) netsim.LinkConfig {
	cfg := i.Merge(base)
	err := cfg.Validate()
	if err == nil {
		return cfg
	}
	var ce *netsim.ConfigError
	if !errors.As(err, &ce) {
		c.add(i.Pos, key, "%v", err)
		return cfg
	}
	k, ok := impairKeys[ce.Field]
	if !ok {
		c.add(i.Pos, key, "%v", err)
		return cfg
	}
	value := fmt.Sprint(ce.Value)
	switch v := ce.Value.(type) {
	case float64:
		if k != "loss_burst" {
			value = strconv.FormatFloat(v*100, 'g', -1, 64) + "%"
		}
	case int64:
		if k == "rate" {
			value = fmt.Sprintf("%dbit", v)
		}
	}
	reason := ce.Reason
	for field, name := range impairKeys {
		reason = strings.ReplaceAll(reason, "("+strings.TrimPrefix(field, "LinkConfig.")+")", "("+name+")")
	}
	pos := c.at(i.fieldPtr(k), i.Pos)
	if i.fieldPtr(k) == nil || !i.sets(k) {
		// The value came from elsewhere (both, or the link's settings
		// before an event): say so.
		reason += " (with the settings this merges over)"
	}
	c.add(pos, join(key, k), "%s is %s", value, reason)
	return cfg
}

// fieldPtr returns a pointer to the field of i that key k sets, as the
// parser recorded it.
func (i *ImpairSpec) fieldPtr(k string) any {
	switch k {
	case "delay":
		return &i.Delay
	case "jitter":
		return &i.Jitter
	case "loss":
		return &i.Loss
	case "loss_burst":
		return &i.LossBurst
	case "dup":
		return &i.Dup
	case "reorder":
		return &i.Reorder
	case "corrupt":
		return &i.Corrupt
	case "rate":
		return &i.Rate
	case "queue":
		return &i.Queue
	case "mtu":
		return &i.MTU
	case "down":
		return &i.Down
	}
	return nil
}

// sets reports whether i sets the field of key k.
func (i *ImpairSpec) sets(k string) bool {
	switch k {
	case "delay":
		return i.Delay != nil
	case "jitter":
		return i.Jitter != nil
	case "loss":
		return i.Loss != nil
	case "loss_burst":
		return i.LossBurst != nil
	case "dup":
		return i.Dup != nil
	case "reorder":
		return i.Reorder != nil
	case "corrupt":
		return i.Corrupt != nil
	case "rate":
		return i.Rate != nil
	case "queue":
		return i.Queue != nil
	case "mtu":
		return i.MTU != nil
	case "down":
		return i.Down != nil
	}
	return false
}

func (i *ImpairSpec) empty() bool {
	return i.Delay == nil && i.Jitter == nil && i.Loss == nil && i.LossBurst == nil && i.Dup == nil &&
		i.Reorder == nil && i.Corrupt == nil && i.Rate == nil && i.Queue == nil && i.MTU == nil && i.Down == nil
}

// linkExists reports whether name is a link or a host's loopback.
func (c *checker) linkExists(name string) bool {
	if c.links[name] != nil {
		return true
	}
	h, ok := strings.CutSuffix(name, ":lo")
	return ok && c.hosts[h] != nil
}

func (c *checker) linkNames() []string {
	return c.cached("links", func() []string {
		names := sortedKeys(c.links)
		for _, h := range c.hostNames() {
			names = append(names, h+":lo")
		}
		return names
	})
}

func (c *checker) captureLinks(s *Scenario) {
	seen := make(map[string]bool)
	for i, name := range s.Capture.Links {
		key := fmt.Sprintf("capture.links[%d]", i)
		pos := c.at(&s.Capture.Links[i], s.Capture.Pos)
		switch {
		case !c.linkExists(name):
			c.add(pos, key, "no link %q%s; the links are %s", name, didYouMean(name, c.linkNames()), list20(c.linkNames()))
		case seen[name]:
			c.add(pos, key, "%q is named twice", name)
		}
		seen[name] = true
	}
}

func (c *checker) events(s *Scenario) {
	// Each direction's settings as the events change them, in time order.
	type dirs struct{ ab, ba netsim.LinkConfig }
	cur := make(map[string]*dirs)
	for _, name := range sortedKeys(c.links) {
		l := c.links[name]
		cur[name] = &dirs{l.AB.Merge(l.Both.Merge(netsim.LinkConfig{})), l.BA.Merge(l.Both.Merge(netsim.LinkConfig{}))}
	}
	for i := range s.Hosts {
		if h := &s.Hosts[i]; c.hosts[h.Name] == h && h.Loopback != nil {
			lo := h.Loopback.Merge(netsim.LinkConfig{})
			cur[h.Name+":lo"] = &dirs{lo, lo}
		}
	}
	order := make([]int, len(s.Events))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.Events[a].At, s.Events[b].At) })
	for _, i := range order {
		e := &s.Events[i]
		key := fmt.Sprintf("events[%d]", i)
		switch {
		case e.Link == "":
			c.add(e.Pos, key+".link", "missing: an event names the link it changes")
			continue
		case !c.linkExists(e.Link):
			c.add(c.at(&e.Link, e.Pos), key+".link", "no link %q%s; the links are %s", e.Link, didYouMean(e.Link, c.linkNames()), list20(c.linkNames()))
			continue
		case e.Both.empty() && e.AB.empty() && e.BA.empty():
			c.add(e.Pos, key, "the event changes nothing: give both, ab or ba settings ({down: true})")
			continue
		}
		d := cur[e.Link]
		if d == nil {
			d = &dirs{}
			cur[e.Link] = d
		}
		if d.ab.Validate() != nil || d.ba.Validate() != nil {
			continue // the link's own settings are wrong: said already
		}
		n := len(c.errs.errs)
		d.ab = c.impair(&e.Both, key+".both", d.ab)
		d.ba = e.Both.Merge(d.ba)
		if len(c.errs.errs) > n {
			continue
		}
		d.ab = c.impair(&e.AB, key+".ab", d.ab)
		d.ba = c.impair(&e.BA, key+".ba", d.ba)
	}
}

// sockKind is what a socket is, for the steps that need one kind.
type sockKind int

const (
	sockListener sockKind = iota
	sockTCP
	sockUDP
)

func (k sockKind) String() string {
	return [...]string{"a TCP listener", "a TCP connection", "a UDP socket"}[k]
}

type sockInfo struct {
	kind   sockKind
	step   int // the step that opened it
	closed int // the step that closed it, or -1
}

func (c *checker) programs(s *Scenario) {
	c.progSocks = make(map[string]map[string]*sockInfo)
	names := make(map[string]bool)
	for i := range s.Programs {
		if g := &s.Programs[i]; g.Name != "" {
			names[g.Name] = true
		}
	}
	if len(s.Programs) == 0 && !c.noPrograms {
		c.add(Pos{1, 1}, "programs", "missing: a scenario runs at least one program")
	}
	explicit := make(map[string]bool)
	for i := range s.Programs {
		g := &s.Programs[i]
		key := fmt.Sprintf("programs[%d]", i)
		switch {
		case g.Host == "":
			c.add(g.Pos, key+".host", "missing: a program runs on a host")
		case c.hosts[g.Host] == nil:
			c.add(c.at(&g.Host, g.Pos), key+".host", "no host %q%s", g.Host, didYouMean(g.Host, c.hostNames()))
		}
		if g.Name == "" && g.Host != "" {
			g.Name = g.Host
			for n := 2; names[g.Name]; n++ {
				g.Name = fmt.Sprintf("%s#%d", g.Host, n)
			}
			names[g.Name] = true
		} else if g.Name != "" {
			if explicit[g.Name] {
				c.add(c.at(&g.Name, g.Pos), key+".name", "%q names another program already", g.Name)
			}
			explicit[g.Name] = true
		}
		if len(g.Steps) == 0 {
			c.add(g.Pos, key+".steps", "missing: a program has at least one step")
		}
		socks := make(map[string]*sockInfo)
		c.progSocks[g.Name] = socks
		c.steps(s, i, g, key, socks)
	}
	if len(c.errs.errs) == 0 {
		for _, r := range c.random {
			r.d.Resolve(c.s.Seed, r.prog, r.step)
		}
	}
}

// steps checks a program's steps in order, naming sockets and resolving
// each step's default socket.
func (c *checker) steps(s *Scenario, prog int, g *ProgramSpec, gkey string, socks map[string]*sockInfo) {
	var opened []string // in order
	// stacks are the sockets of each kind in the order they were opened;
	// closed ones are dropped from the top as they are met.
	stacks := make(map[sockKind][]string)
	top := func(k sockKind) (string, *sockInfo) {
		s := stacks[k]
		for len(s) > 0 && socks[s[len(s)-1]].closed >= 0 {
			s = s[:len(s)-1]
		}
		stacks[k] = s
		if len(s) == 0 {
			return "", nil
		}
		return s[len(s)-1], socks[s[len(s)-1]]
	}
	counters := map[string]int{}
	open := func(st *Step, i int, key string, kind sockKind, prefix string) {
		if st.As == "" {
			for {
				counters[prefix]++
				st.As = prefix
				if counters[prefix] > 1 {
					st.As = prefix + strconv.Itoa(counters[prefix])
				}
				if socks[st.As] == nil {
					break
				}
			}
		} else if !validName(st.As) {
			c.add(c.at(&st.As, st.Pos), key+".as", "%q: a socket name has only %s", st.As, nameRule)
			return
		} else if o := socks[st.As]; o != nil {
			c.add(c.at(&st.As, st.Pos), key+".as", "%q names the socket of step %d already", st.As, o.step)
			return
		}
		socks[st.As] = &sockInfo{kind: kind, step: i, closed: -1}
		opened = append(opened, st.As)
		stacks[kind] = append(stacks[kind], st.As)
	}
	// use resolves the socket st acts on, of one of kinds.
	use := func(st *Step, key string, kinds ...sockKind) *sockInfo {
		want := kinds[0].String()
		for _, k := range kinds[1:] {
			want += " or " + k.String()
		}
		if st.Sock == "" {
			var best *sockInfo
			for _, k := range kinds {
				if name, si := top(k); si != nil && (best == nil || si.step > best.step) {
					st.Sock, best = name, si
				}
			}
			if best != nil {
				return best
			}
			c.add(st.Pos, key+".sock", "no open socket for %s to act on (%s); open one first", st.Kind, want)
			return nil
		}
		si := socks[st.Sock]
		pos := c.at(&st.Sock, st.Pos)
		switch {
		case si == nil:
			c.add(pos, key+".sock", "no socket %q in program %s%s", st.Sock, g.Name, didYouMean(st.Sock, opened))
			return nil
		case si.closed >= 0:
			c.add(pos, key+".sock", "socket %s was closed by step %d", st.Sock, si.closed)
			return nil
		case !slices.Contains(kinds, si.kind):
			c.add(pos, key+".sock", "%s is %s; %s needs %s", st.Sock, si.kind, st.Kind, want)
			return nil
		}
		return si
	}
	for i := range g.Steps {
		st := &g.Steps[i]
		key := fmt.Sprintf("%s.steps[%d]", gkey, i)
		if st.Kind == "" {
			c.add(st.Pos, key, "a step without a kind")
			continue
		}
		info := kindOf(st.Kind)
		if info == nil {
			c.add(st.Pos, key, "unknown step kind %q", st.Kind)
			continue
		}
		key += "." + string(st.Kind)
		c.fieldsApply(st, key, info)
		switch st.Kind {
		case StepListen:
			c.local(st, &st.Addr, key+".addr", true)
			open(st, i, key, sockListener, "ln")
		case StepAccept:
			use(st, key, sockListener)
			open(st, i, key, sockTCP, "conn")
		case StepConnect:
			c.remote(st, &st.To, key+".to", true)
			if st.From != "" {
				c.local(st, &st.From, key+".from", false)
			}
			open(st, i, key, sockTCP, "conn")
		case StepBind:
			c.local(st, &st.Addr, key+".addr", true)
			if st.To != "" {
				c.remote(st, &st.To, key+".to", true)
			}
			open(st, i, key, sockUDP, "udp")
		case StepSend:
			si := use(st, key, sockTCP, sockUDP)
			if st.Data == nil {
				c.add(st.Pos, key, "missing data: give one of text, hex, file, random")
			}
			if st.Repeat == 0 {
				st.Repeat = 1
			}
			if st.To != "" {
				if si != nil && si.kind == sockTCP {
					c.add(c.at(&st.To, st.Pos), key+".to", "to is for an unconnected UDP socket; %s is a TCP connection", st.Sock)
				} else {
					c.remote(st, &st.To, key+".to", true)
				}
			}
		case StepRecv:
			si := use(st, key, sockTCP, sockUDP)
			set := 0
			for _, b := range []bool{st.Bytes != 0, st.UntilEOF, st.Datagrams != 0} {
				if b {
					set++
				}
			}
			if set > 1 {
				c.add(st.Pos, key, "give one of bytes, until_eof and datagrams")
			}
			if si != nil && si.kind == sockUDP && (st.Bytes != 0 || st.UntilEOF) {
				c.add(st.Pos, key, "%s is a UDP socket: recv reads datagrams (datagrams: N), not bytes or until_eof", st.Sock)
			}
			if st.Retries != 0 {
				switch {
				case si != nil && si.kind == sockTCP:
					c.add(c.at(&st.Retries, st.Pos), key+".retries", "%s is a TCP connection, which resends by itself: retries is for a UDP socket", st.Sock)
				case st.Timeout == 0:
					c.add(c.at(&st.Retries, st.Pos), key+".retries", "retries needs a timeout: how long to wait before sending again")
				}
			}
			if si != nil && si.kind == sockTCP && st.Datagrams != 0 {
				c.add(c.at(&st.Datagrams, st.Pos), key+".datagrams", "%s is a TCP connection: recv reads bytes or until_eof, not datagrams", st.Sock)
			}
		case StepShutdown, StepAbort:
			use(st, key, sockTCP)
		case StepClose:
			if si := use(st, key, sockTCP, sockUDP, sockListener); si != nil {
				si.closed = i
			}
		case StepSet:
			si := use(st, key, sockTCP, sockUDP)
			if st.NoDelay == nil && st.ReadBuffer == nil && st.WriteBuffer == nil && st.KeepAlive == nil && st.TTL == nil {
				c.add(st.Pos, key, "sets nothing: give no_delay, read_buffer, write_buffer, keep_alive or ttl")
			}
			if si != nil && si.kind == sockUDP {
				if st.NoDelay != nil {
					c.add(c.at(&st.NoDelay, st.Pos), key+".no_delay", "%s is a UDP socket; no_delay is TCP's", st.Sock)
				}
				if st.KeepAlive != nil {
					c.add(c.at(&st.KeepAlive, st.Pos), key+".keep_alive", "%s is a UDP socket; keep_alive is TCP's", st.Sock)
				}
			}
			if st.KeepAlive != nil && (*st.KeepAlive < 0 || (*st.KeepAlive > 0 && *st.KeepAlive < 1e9)) {
				c.add(c.at(&st.KeepAlive, st.Pos), key+".keep_alive", "%v: keep-alive counts whole seconds (at least 1s), or 0 for off", *st.KeepAlive)
			}
			if st.TTL != nil && (*st.TTL < 1 || *st.TTL > 255) {
				c.add(c.at(&st.TTL, st.Pos), key+".ttl", "%d is out of range (1 to 255)", *st.TTL)
			}
		case StepTLS:
			use(st, key, sockTCP)
			switch st.Role {
			case "client", "server":
			case "":
				c.add(st.Pos, key+".role", "missing: client or server")
			default:
				c.add(c.at(&st.Role, st.Pos), key+".role", "%q: want client or server", st.Role)
			}
			if st.ServerName == "" {
				st.ServerName = "netsim.test"
			}
		}
		if st.Data != nil {
			c.data(st, key, prog, i)
		}
		if si := socks[st.Sock]; st.Kind == StepRecv && si != nil && st.Bytes == 0 && !st.UntilEOF && st.Datagrams == 0 {
			switch {
			case si.kind == sockUDP:
				st.Datagrams = 1
			case st.Data != nil && len(st.Data.Bytes) > 0:
				st.Bytes = int64(len(st.Data.Bytes))
			case st.Data != nil && st.Data.Random != nil:
				// recv's random data is an error of its own (data).
			default:
				c.add(st.Pos, key, "recv reads what? give bytes, until_eof or the data expected")
			}
		}
		if st.Kind == StepRecv && st.Data != nil && st.Bytes != 0 && st.Bytes != int64(len(st.Data.Bytes)) {
			c.add(c.at(&st.Bytes, st.Pos), key+".bytes", "%d, but the data expected is %d bytes", st.Bytes, len(st.Data.Bytes))
		}
	}
}

// fieldsApply rejects a field that does not apply to st's kind (for a Step
// built in Go; the parser rejects the key).
func (c *checker) fieldsApply(st *Step, key string, info *stepKind) {
	has := func(k string) bool { return slices.Contains(info.keys, k) }
	check := func(k string, set bool) {
		if set && !has(k) {
			c.add(st.Pos, key+"."+k, "not a key of %s; %s takes %s", st.Kind, st.Kind, strings.Join(info.keys, ", "))
		}
	}
	check("sock", st.Sock != "")
	check("as", st.As != "")
	check("addr", st.Addr != "")
	check("to", st.To != "")
	check("from", st.From != "")
	check("backlog", st.Backlog != 0)
	check("timeout", st.Timeout != 0)
	check("text", st.Data != nil && st.Data.Text != nil || st.Text != "" && st.Kind != StepPrint)
	check("hex", st.Data != nil && st.Data.Hex != nil)
	check("file", st.Data != nil && st.Data.File != nil)
	check("random", st.Data != nil && st.Data.Random != nil)
	check("repeat", st.Repeat > 1)
	check("pause", st.Pause != 0)
	check("bytes", st.Bytes != 0 && st.Kind != StepRecv)
	check("until_eof", st.UntilEOF)
	check("datagrams", st.Datagrams != 0 && st.Kind != StepRecv)
	check("for", st.For != 0)
	check("retries", st.Retries != 0)
	check("no_delay", st.NoDelay != nil)
	check("read_buffer", st.ReadBuffer != nil)
	check("write_buffer", st.WriteBuffer != nil)
	check("keep_alive", st.KeepAlive != nil)
	check("ttl", st.TTL != nil)
	check("role", st.Role != "")
	check("server_name", st.ServerName != "" && st.Kind != StepTLS)
	check("alpn", len(st.ALPN) > 0)
	check("expect_error", st.ExpectError != "")
	if st.Data != nil && st.Kind == StepPrint {
		c.add(st.Pos, key+".text", "print's text is Text, not Data")
	}
	if st.Timeout < 0 || st.Pause < 0 || st.For < 0 || st.Backlog < 0 || st.Repeat < 0 || st.Bytes < 0 || st.Datagrams < 0 || st.Retries < 0 {
		c.add(st.Pos, key, "a negative timeout, pause, for, backlog, repeat, bytes, datagrams or retries")
	}
	if st.Retries > MaxRetries {
		c.add(c.at(&st.Retries, st.Pos), key+".retries", "%d is more than %d", st.Retries, MaxRetries)
	}
	if st.Repeat > MaxRepeat {
		c.add(c.at(&st.Repeat, st.Pos), key+".repeat", "%d is more than %d", st.Repeat, MaxRepeat)
	}
}

// hostPort splits "HOST:PORT" or "IP:PORT" or ":PORT".
func hostPort(s string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, errors.New("want IP:PORT")
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", p)
	}
	return h, int(n), nil
}

// local checks a local address: "IP:PORT" or ":PORT".
func (c *checker) local(st *Step, addr *string, key string, required bool) {
	pos := c.at(addr, st.Pos)
	if *addr == "" {
		if required {
			c.add(st.Pos, key, `missing: the local address ("127.0.0.1:24000", ":80")`)
		}
		return
	}
	h, _, err := hostPort(*addr)
	if err != nil {
		c.add(pos, key, `%q: %v (a local address: "127.0.0.1:24000", ":80", "[::]:53")`, *addr, err)
		return
	}
	if h == "" {
		return
	}
	if _, err := netip.ParseAddr(h); err != nil {
		c.add(pos, key, `%q: %q is not an IP address (a local address: "127.0.0.1:24000", ":80", "[::]:53")`, *addr, h)
	}
}

// remote checks a remote address: "HOST:PORT" or "IP:PORT".
func (c *checker) remote(st *Step, addr *string, key string, required bool) {
	pos := c.at(addr, st.Pos)
	if *addr == "" {
		if required {
			c.add(st.Pos, key, `missing: the remote address ("10.0.0.2:80" or "server:80")`)
		}
		return
	}
	h, port, err := hostPort(*addr)
	if err != nil {
		c.add(pos, key, `%q: %v (a remote address: "10.0.0.2:80", "server:80", "[fd00::2]:80")`, *addr, err)
		return
	}
	if h == "" {
		c.add(pos, key, `%q: the remote address needs a host or an IP ("10.0.0.2:80", "server:80")`, *addr)
		return
	}
	if port == 0 {
		c.add(pos, key, "%q: port 0", *addr)
		return
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return
	}
	if c.hosts[h] == nil {
		c.add(pos, key, "%q: no host %q%s", *addr, h, didYouMean(h, c.hostNames()))
	}
}

// data resolves a step's data into Data.Bytes.
func (c *checker) data(st *Step, key string, prog, step int) {
	d := st.Data
	n := 0
	for _, set := range []bool{d.Text != nil, d.Hex != nil, d.File != nil, d.Random != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.add(d.Pos, key, "data has %d of text, hex, file and random; give one", n)
		return
	}
	if st.Kind == StepRecv && d.Random != nil {
		// Random bytes are drawn for the step's own place in the file, so
		// a recv's never equal what a peer's send drew.
		c.add(c.at(d.Random, d.Pos), key+".random", "recv cannot check random data: the bytes are drawn from the seed and this step's place, not the sender's, so they never match what a send: {random: N} sent; count them with bytes: N (and expect.received), or send and recv the same file:, text: or hex:")
		return
	}
	switch {
	case d.File != nil:
		if d.Bytes == nil {
			b, err := readData(c.dir, *d.File)
			if err != nil {
				c.add(c.at(d.File, d.Pos), key+".file", "%v", err)
				return
			}
			d.Bytes = b
		}
		if !c.addData(int64(len(d.Bytes)), c.at(d.File, d.Pos), key+".file") {
			d.Bytes = nil
			return
		}
	case d.Hex != nil:
		if err := d.Resolve(c.s.Seed, prog, step); err != nil {
			pos := c.at(d.Hex, d.Pos)
			c.add(pos, key+".hex", "%v", err)
			return
		}
		c.addData(int64(len(d.Bytes)), c.at(d.Hex, d.Pos), key+".hex")
	case d.Random != nil:
		if *d.Random < 0 || *d.Random > MaxRandom {
			c.add(c.at(d.Random, d.Pos), key+".random", "%d bytes is out of range (0 to %d)", *d.Random, MaxRandom)
			return
		}
		if c.addData(*d.Random, c.at(d.Random, d.Pos), key+".random") {
			c.random = append(c.random, randomData{d, prog, step})
		}
	default:
		d.Resolve(c.s.Seed, prog, step)
		c.addData(int64(len(d.Bytes)), d.Pos, key)
	}
	size := int64(len(d.Bytes))
	if d.Random != nil {
		size = *d.Random // drawn later
	}
	if st.Kind == StepSend && size*int64(max(st.Repeat, 1)) > 1<<30 {
		c.add(st.Pos, key, "sends %d bytes %d times: more than 1 GiB in one step", size, st.Repeat)
	}
}

// addData counts n more bytes of data held in memory; past MaxDataTotal it
// reports the item at pos and returns false.
func (c *checker) addData(n int64, pos Pos, key string) bool {
	if c.dataTotal+n > MaxDataTotal {
		c.add(pos, key, "the file's data items would hold %d bytes, more than %d (256 MiB) in all: send large data once with repeat: N instead of in many steps", c.dataTotal+n, MaxDataTotal)
		return false
	}
	c.dataTotal += n
	return true
}

// readData reads a `file:` data item.
func readData(dir, name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("an empty file name")
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxDataFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDataFile {
		return nil, fmt.Errorf("%s is more than %d bytes (64 MiB)", path, MaxDataFile)
	}
	return b, nil
}

// Resolve fills d.Bytes from Text, Hex or Random (a File's bytes are read
// by [Parse] and [Scenario.Validate]; Resolve leaves them alone). Random
// bytes are drawn from a ChaCha8 generator whose key is the SHA-256 of
// "netsim/scenario random data", then seed, program and step as 8-byte
// big-endian integers: the same seed and place give the same bytes, and a
// run whose seed is overridden (RunOptions.Seed) redraws them by calling
// Resolve with its seed. program and step are 0-based indexes in
// Scenario.Programs and ProgramSpec.Steps.
func (d *Data) Resolve(seed int64, program, step int) error {
	switch {
	case d.Text != nil:
		d.Bytes = []byte(*d.Text)
	case d.Hex != nil:
		b, err := decodeHex(*d.Hex)
		if err != nil {
			return err
		}
		d.Bytes = b
	case d.Random != nil:
		n := *d.Random
		if n < 0 || n > MaxRandom {
			return fmt.Errorf("random: %d bytes is out of range (0 to %d)", n, MaxRandom)
		}
		h := sha256.New()
		h.Write([]byte("netsim/scenario random data"))
		var b [24]byte
		binary.BigEndian.PutUint64(b[0:], uint64(seed))
		binary.BigEndian.PutUint64(b[8:], uint64(program))
		binary.BigEndian.PutUint64(b[16:], uint64(step))
		h.Write(b[:])
		var key [32]byte
		copy(key[:], h.Sum(nil))
		d.Bytes = make([]byte, n)
		rand.NewChaCha8(key).Read(d.Bytes)
	}
	return nil
}

// decodeHex decodes hex digits, with spaces, tabs and newlines anywhere.
func decodeHex(s string) ([]byte, error) {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			digits = append(digits, c)
		default:
			r := []rune(s[i:])[0]
			return nil, fmt.Errorf("%q at offset %d is not a hex digit", r, i)
		}
	}
	if len(digits)%2 != 0 {
		return nil, fmt.Errorf("an odd number of hex digits (%d)", len(digits))
	}
	b := make([]byte, len(digits)/2)
	_, err := hex.Decode(b, digits)
	return b, err
}

// filterOps are the comparisons of an expect filter's count.
var filterOps = []string{"==", "!=", "<=", ">=", "<", ">"}

// parseCount parses an expect filter's frame count: "N" (exactly N) or
// "OP N".
func parseCount(s string) (op string, count int, err error) {
	t := strings.TrimSpace(s)
	op = "=="
	for _, o := range filterOps {
		if rest, ok := strings.CutPrefix(t, o); ok {
			op, t = o, strings.TrimSpace(rest)
			break
		}
	}
	n, cerr := strconv.Atoi(t)
	if cerr != nil || n < 0 {
		return "", 0, fmt.Errorf(`frame count %q: want a count N (exactly N frames) or "OP N" with OP one of == != < <= > >= (">= 1")`, s)
	}
	return op, n, nil
}

func (c *checker) expect(s *Scenario) {
	e := &s.Expect
	for i := range e.Filters {
		f := &e.Filters[i]
		key := fmt.Sprintf("expect.filters[%d]", i)
		if !slices.Contains(filterOps, f.Op) {
			c.add(f.Pos, key, "op %q: want one of == != < <= > >=", f.Op)
		}
		if f.Count < 0 {
			c.add(f.Pos, key, "count %d is negative", f.Count)
		}
		if strings.TrimSpace(f.Filter) == "" {
			c.add(f.Pos, key, "an empty filter")
			continue
		}
		if _, err := dfilter.Compile(f.Filter); err != nil {
			pos := f.Pos
			var se *dfilter.SyntaxError
			if errors.As(err, &se) {
				if start, ok := c.pos[&f.Filter]; ok && start != (Pos{}) {
					pos = Pos{start.Line, start.Col + len([]rune(f.Filter[:min(max(se.Pos, 0), len(f.Filter))]))}
				}
			}
			c.add(pos, key, "bad display filter %q: %v", f.Filter, err)
		}
	}
	for i := range e.Received {
		r := &e.Received[i]
		key := fmt.Sprintf("expect.received[%d]", i)
		socks, ok := c.progSocks[r.Program]
		switch {
		case r.Program == "":
			c.add(r.Pos, key+".program", "missing: the program whose socket received the bytes")
		case !ok:
			c.add(c.at(&r.Program, r.Pos), key+".program", "no program %q%s", r.Program, didYouMean(r.Program, c.cached("programs", func() []string { return sortedKeys(c.progSocks) })))
		case r.Sock == "":
			c.add(r.Pos, key+".sock", "missing: the socket, by name")
		case socks[r.Sock] == nil:
			c.add(c.at(&r.Sock, r.Pos), key+".sock", "no socket %q in program %s%s", r.Sock, r.Program, didYouMean(r.Sock, sortedKeys(socks)))
		}
		if r.Bytes < 0 {
			c.add(r.Pos, key+".bytes", "%d is negative", r.Bytes)
		}
	}
	if e.SHA256 != "" {
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
			c.add(c.at(&e.SHA256, e.Pos), "expect.sha256", "%q is not a SHA-256 (64 hex digits)", e.SHA256)
		} else {
			e.SHA256 = strings.ToLower(e.SHA256)
		}
	}
}
