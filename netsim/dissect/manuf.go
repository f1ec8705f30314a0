package dissect

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// MACNames resolves MAC addresses to names as Wireshark 4.0's address
// resolution does (epan/addr_resolv.c): an exact address from an ethers or
// well-known-address (wka) file ("Broadcast"), a well-known range with the
// bits it leaves free ("IPv6mcast_01", "Spanning-tree-(for-bridges)_00"),
// or a vendor prefix from the manuf file with the rest of the address
// ("HewlettP_da:2d:79"). Addresses no file names print as they are.
//
// The tables come from files in Wireshark's manuf format, read with
// [MACNames.Parse]; [SystemMACNames] loads the files a Wireshark
// installation provides, as tshark does. A MACNames is safe for
// concurrent use once its files are parsed.
type MACNames struct {
	exact  map[[6]byte]string // 48-bit entries: ethers, wka addresses
	oui    []ouiEntry         // 24-bit manuf prefixes, sorted, one per prefix
	masked map[[6]byte]string // ranges, by their masked address
	mu     sync.RWMutex       // guards cache
	cache  map[uint64]string  // resolved names, by macKey
	raw    bool               // names nothing: vendors only
	// recent holds the first name resolved for each hash of the address
	// (the slot is not replaced): a lookup without the lock, for the few
	// addresses a capture repeats (netsim read looks up two a frame).
	recent [1024]atomic.Pointer[macName]
	// load, when set, fills the tables on first use (loadOnce):
	// [SystemMACNames] defers parsing Wireshark's 50,000-line manuf
	// until a frame needs a name, which a capture of IP frames listed
	// by summary line never does.
	load     func()
	loadOnce sync.Once
}

// ensure runs n's deferred load, once.
func (n *MACNames) ensure() {
	if n.load != nil {
		n.loadOnce.Do(n.load)
	}
}

// macName is one entry of MACNames.recent.
type macName struct {
	key  uint64
	name string
}

// vendor is one manuf entry: its short name (used in resolved addresses)
// and long name (eth.src.oui_resolved).
type vendor struct{ short, long string }

// ouiEntry is the vendor of one 24-bit prefix. A sorted slice of them
// takes less memory and time to build than a map (Wireshark's manuf has
// 50,000 prefixes, read by every netsim read).
type ouiEntry struct {
	key uint32
	v   vendor
}

// maxResolved is Wireshark's longest resolved name in bytes (MAXNAMELEN
// less its terminating NUL).
const maxResolved = 63

// maxMACNameCache bounds the cache of resolved names.
const maxMACNameCache = 1 << 16

// ErrNoMACNames is returned by [LoadMACNames] when none of the files it is
// given exists.
var ErrNoMACNames = errors.New("no MAC name file found")

// NewMACNames returns an empty MACNames: every address resolves to itself.
func NewMACNames() *MACNames {
	return &MACNames{
		exact:  make(map[[6]byte]string),
		masked: make(map[[6]byte]string),
		cache:  make(map[uint64]string),
	}
}

// Parse reads entries in Wireshark's manuf format (also that of its wka and
// ethers files) from r and adds them; a later entry for the same address
// or prefix replaces an earlier one. Each line holds an address, a short
// name and an optional tab-separated long name; '#' starts a comment. An
// address of 3 octets is a vendor prefix, of 6 octets an exact address,
// and any address followed by /BITS (1 to 47) a range whose remaining bits
// are free; octets are 1 or 2 hex digits separated by ':', '-' or '.'.
// Lines that are not entries are skipped, as Wireshark skips them; Parse
// fails only when r does, with an error naming src.
func (n *MACNames) Parse(r io.Reader, src string) error {
	n.ensure()
	// The whole file in one string, read into a buffer of the file's
	// size: the names are substrings of it, not an allocation each
	// (Wireshark's manuf has 50,000 lines).
	var sb strings.Builder
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<30 {
			sb.Grow(int(fi.Size()) + 1)
		}
	}
	if _, err := io.Copy(&sb, r); err != nil {
		return fmt.Errorf("reading MAC names from %s: %w", src, err)
	}
	text := sb.String()
	first := len(n.oui)
	n.oui = slices.Grow(n.oui, strings.Count(text, "\n")+1)
	for text != "" {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		// Wireshark's fgetline also ends a line at '\r'.
		for {
			i := strings.IndexByte(line, '\r')
			if i < 0 {
				break
			}
			n.addLine(line[:i])
			line = line[i+1:]
		}
		n.addLine(line)
	}
	if len(n.oui) > first {
		n.sortOUI()
	}
	n.mu.Lock()
	clear(n.cache)
	for i := range n.recent {
		n.recent[i].Store(nil)
	}
	n.mu.Unlock()
	return nil
}

// addLine parses one line as Wireshark's parse_ether_line does.
func (n *MACNames) addLine(line string) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimFunc(line, isCSpace)
	// strtok(line, " \t"): the address, then the short name.
	addrTok, rest := nextToken(line, " \t")
	if addrTok == "" {
		return
	}
	addr, mask, ok := parseMACPrefix(addrTok)
	if !ok {
		return
	}
	short, rest := nextToken(rest, " \t")
	if short == "" {
		return
	}
	// strtok(NULL, "\t"): the long name runs to the next tab.
	long, _ := nextToken(rest, "\t")
	if long == "" {
		long = short
	}
	short = cutBytes(short, maxResolved)
	long = cutBytes(long, maxResolved)
	switch {
	case mask == 48:
		n.exact[addr] = short
	case mask == 0:
		// Sorted, and the later entry of a prefix kept, by sortOUI.
		n.oui = append(n.oui, ouiEntry{uint32(addr[0])<<16 | uint32(addr[1])<<8 | uint32(addr[2]), vendor{short, long}})
	default:
		// Wireshark 4.0 keeps all ranges in one table keyed by the
		// masked address; a lookup masks the address it resolves to
		// each length in turn.
		n.masked[addr] = short
	}
}

// nextToken skips leading separators and returns the token up to the next
// separator and what follows that separator, as strtok does. seps is
// " \t" or "\t".
func nextToken(s, seps string) (tok, rest string) {
	isSep := func(c byte) bool { return c == '\t' || c == ' ' && seps == " \t" }
	for s != "" && isSep(s[0]) {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if isSep(s[i]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// isCSpace reports whether r is a space as C's isspace has it.
func isCSpace(r rune) bool {
	return r == ' ' || r >= '\t' && r <= '\r'
}

// cutBytes cuts s to at most max bytes.
func cutBytes(s string, max int) string {
	if len(s) > max {
		return s[:max]
	}
	return s
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// parseMACPrefix parses an address as Wireshark's parse_ether_address
// does with masks accepted: it returns the address with the bits beyond
// the mask cleared and the mask (0 for a 3-octet vendor prefix, 48 for a
// whole address).
func parseMACPrefix(s string) (addr [6]byte, mask int, ok bool) {
	var sep byte
	for i := 0; i < 6; i++ {
		// An octet: hex digits as strtoul(s, 16) reads them, "0x" too.
		if s == "" || !isHex(s[0]) {
			return addr, 0, false
		}
		j := 0
		if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]) {
			j = 2
		}
		v := 0
		for ; j < len(s) && isHex(s[j]); j++ {
			v = v<<4 | int(hexVal(s[j]))
			if v > 0xff {
				return addr, 0, false
			}
		}
		addr[i] = byte(v)
		s = s[j:]
		switch {
		case s != "" && s[0] == '/':
			s = s[1:]
			if s == "" || s[0] < '0' || s[0] > '9' {
				return addr, 0, false
			}
			m := 0
			for s != "" && s[0] >= '0' && s[0] <= '9' {
				m = m*10 + int(s[0]-'0')
				if m > 1000 {
					return addr, 0, false
				}
				s = s[1:]
			}
			if s != "" || m == 0 || m >= 48 {
				return addr, 0, false
			}
			return maskMAC(addr, m), m, true
		case s == "":
			switch i {
			case 2:
				return addr, 0, true
			case 5:
				return addr, 48, true
			}
			return addr, 0, false
		}
		if sep == 0 {
			if s[0] != ':' && s[0] != '-' && s[0] != '.' {
				return addr, 0, false
			}
			sep = s[0]
		} else if s[0] != sep {
			return addr, 0, false
		}
		s = s[1:]
	}
	// Six octets and a separator after the last.
	return addr, 48, s == ""
}

// maskMAC keeps the first bits bits of a.
func maskMAC(a [6]byte, bits int) [6]byte {
	var m [6]byte
	for i := range m {
		switch {
		case bits >= 8:
			m[i] = a[i]
			bits -= 8
		case bits > 0:
			m[i] = a[i] & (0xff << (8 - bits))
			bits = 0
		}
	}
	return m
}

// Name returns the name Wireshark shows for the 6-byte MAC address mac;
// other lengths, and addresses no entry names, print as colon-separated
// hex. A nil MACNames names nothing.
func (n *MACNames) Name(mac []byte) string {
	if n == nil || n.raw || len(mac) != 6 {
		return macString(mac)
	}
	n.ensure()
	a := [6]byte(mac)
	k := macKey(a)
	slot := &n.recent[k*0x9e3779b97f4a7c15>>54]
	if e := slot.Load(); e != nil && e.key == k {
		return e.name
	}
	n.mu.RLock()
	s, ok := n.cache[k]
	n.mu.RUnlock()
	if !ok {
		s = n.resolve(a)
		n.mu.Lock()
		if len(n.cache) >= maxMACNameCache {
			clear(n.cache)
		}
		n.cache[k] = s
		n.mu.Unlock()
	}
	if slot.Load() == nil {
		slot.Store(&macName{k, s})
	}
	return s
}

// macKey is a MAC address as a map key that hashes fast.
func macKey(a [6]byte) uint64 {
	return uint64(a[0])<<40 | uint64(a[1])<<32 | uint64(a[2])<<24 | uint64(a[3])<<16 | uint64(a[4])<<8 | uint64(a[5])
}

// resolve follows eth_addr_resolve: exact names; then the address masked
// to 47 down to 24 bits looked up among the ranges (whatever length an
// entry was given: it is keyed by its masked address alone); then the
// vendor prefix (the unicast one for a group address); then masks of 23
// down to 1 bit. A range match shows the bits the mask leaves free: the
// octet the mask ends in, masked, and the octets after it.
func (n *MACNames) resolve(a [6]byte) string {
	if s, ok := n.exact[a]; ok {
		return s
	}
	for m := 47; m > 0; m-- {
		if m == 23 {
			if v, ok := n.vendor(a); ok {
				return cutBytes(v.short+"_"+macString(a[3:]), maxResolved)
			}
		}
		if len(n.masked) == 0 {
			continue
		}
		name, ok := n.masked[maskMAC(a, m)]
		if !ok {
			continue
		}
		i := m / 8
		rest := append([]byte{a[i] & (0xff >> (m % 8))}, a[i+1:]...)
		return cutBytes(name+"_"+macString(rest), maxResolved)
	}
	return macString(a[:])
}

// sortOUI sorts the vendor prefixes (keeping the order of entries for
// the same prefix) and keeps the last entry of each, as a map assigned in
// file order would.
func (n *MACNames) sortOUI() {
	byKey := func(a, b ouiEntry) int { return cmp.Compare(a.key, b.key) }
	if !slices.IsSortedFunc(n.oui, byKey) {
		slices.SortStableFunc(n.oui, byKey)
	}
	out := n.oui[:0]
	for i, e := range n.oui {
		if i+1 < len(n.oui) && n.oui[i+1].key == e.key {
			continue
		}
		out = append(out, e)
	}
	clear(n.oui[len(out):])
	n.oui = out
}

// ouiVendor returns the vendor of the 24-bit prefix k.
func (n *MACNames) ouiVendor(k uint32) (vendor, bool) {
	i, ok := slices.BinarySearchFunc(n.oui, k, func(e ouiEntry, k uint32) int { return cmp.Compare(e.key, k) })
	if !ok {
		return vendor{}, false
	}
	return n.oui[i].v, true
}

// vendor looks up a's 24-bit prefix, then that of the same address with
// the group bit cleared, as manuf_name_lookup does.
func (n *MACNames) vendor(a [6]byte) (vendor, bool) {
	k := uint32(a[0])<<16 | uint32(a[1])<<8 | uint32(a[2])
	if v, ok := n.ouiVendor(k); ok {
		return v, true
	}
	if k&0x010000 != 0 {
		return n.ouiVendor(k &^ 0x010000)
	}
	return vendor{}, false
}

// Vendor returns the long name of mac's vendor prefix (eth.src.oui_resolved),
// or "" when the manuf tables do not name it.
func (n *MACNames) Vendor(mac []byte) string {
	if n == nil || len(mac) < 3 {
		return ""
	}
	n.ensure()
	k := uint32(mac[0])<<16 | uint32(mac[1])<<8 | uint32(mac[2])
	v, _ := n.ouiVendor(k)
	return v.long
}

// ManufPathEnv is the environment variable that names a manuf-format file
// to use instead of Wireshark's installed ones (see [SystemMACNames]).
const ManufPathEnv = "NETSIM_MANUF"

// wiresharkDataDirs are the directories where Wireshark installs its data
// files (manuf, wka), most likely first.
var wiresharkDataDirs = []string{
	"/usr/share/wireshark",
	"/usr/local/share/wireshark",
	"/opt/homebrew/share/wireshark",
	"/Applications/Wireshark.app/Contents/Resources/share/wireshark",
	`C:\Program Files\Wireshark`,
}

// SystemMACNamePaths returns the files tshark 4.0 reads its MAC names
// from, in its order, that exist: the manuf file of Wireshark's data
// directory ($WIRESHARK_DATA_DIR, else the first of the usual
// installation directories that has one), the personal manuf file
// (~/.config/wireshark/manuf), the wka file of the data directory, then
// the ethers files (/etc/ethers, ~/.config/wireshark/ethers), whose
// exact names take precedence.
func SystemMACNamePaths() []string {
	var data string
	dirs := wiresharkDataDirs
	if d := os.Getenv("WIRESHARK_DATA_DIR"); d != "" {
		dirs = []string{d}
	}
	for _, d := range dirs {
		if exists(filepath.Join(d, "manuf")) || exists(filepath.Join(d, "wka")) {
			data = d
			break
		}
	}
	var pers string
	if d, err := os.UserConfigDir(); err == nil {
		pers = filepath.Join(d, "wireshark")
	}
	var out []string
	add := func(dir, name string) {
		if dir == "" {
			return
		}
		if p := filepath.Join(dir, name); exists(p) {
			out = append(out, p)
		}
	}
	add(data, "manuf")
	add(pers, "manuf")
	add(data, "wka")
	add("/etc", "ethers")
	add(pers, "ethers")
	return out
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// LoadMACNames parses the named files in order (later entries win; the
// ethers files among [SystemMACNamePaths] come last for that reason). A
// file that does not exist is skipped; if none exists the result is
// ErrNoMACNames. Other errors name the file.
func LoadMACNames(paths ...string) (*MACNames, error) {
	n := NewMACNames()
	found := false
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("MAC names: %w", err)
		}
		err = n.Parse(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("%w (tried %s)", ErrNoMACNames, strings.Join(paths, ", "))
	}
	return n, nil
}

var (
	systemNamesOnce sync.Once
	systemNames     *MACNames
)

// SystemMACNames returns the MAC names tshark would use on this machine:
// the file $NETSIM_MANUF names when set, else the files of
// [SystemMACNamePaths]. It returns nil (no names: addresses print as hex)
// when none of them exists. The files are read once per process, when a
// name or vendor is first looked up; one that cannot be read then names
// nothing.
func SystemMACNames() *MACNames {
	systemNamesOnce.Do(func() {
		paths := SystemMACNamePaths()
		if p := os.Getenv(ManufPathEnv); p != "" {
			paths = []string{p}
		}
		// As LoadMACNames, which skips only the files that do not exist.
		if !slices.ContainsFunc(paths, func(p string) bool {
			_, err := os.Stat(p)
			return !errors.Is(err, fs.ErrNotExist)
		}) {
			return
		}
		n := NewMACNames()
		n.load = func() {
			if m, err := LoadMACNames(paths...); err == nil {
				n.exact, n.oui, n.masked = m.exact, m.oui, m.masked
			}
		}
		systemNames = n
	})
	return systemNames
}

// SetMACNames gives the Dissector's packets the MAC names of n (nil, the
// default, has none). With resolve set they show MAC addresses by name as
// tshark does by default: the Source and Destination columns of frames
// without IP, the -V tree, ARP and NDP summaries, the eth.*_resolved
// fields; without it (tshark -n) they show them as hex, and n serves only
// the vendor fields (eth.src.oui_resolved), as in tshark.
func (d *Dissector) SetMACNames(n *MACNames, resolve bool) {
	d.names = n
	if !resolve && n != nil {
		m := &MACNames{raw: true}
		m.load = func() {
			n.ensure()
			m.oui = n.oui
		}
		d.names = m
	}
}
