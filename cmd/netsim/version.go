package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// gvisorModule is the module whose version `netsim version` reports beside
// netsim's own: the network stack.
const gvisorModule = "gvisor.dev/gvisor"

// cmdVersion prints netsim's version, the Go release that built it and
// gVisor's version, from the binary's build information.
func cmdVersion(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(stdout, "Usage: netsim version\n\nPrints netsim's module version (and the commit it was built from, when known),\nthe Go release that built it and the gVisor version it runs on.\n")
			return 0
		}
		fmt.Fprintf(stderr, "netsim version: unexpected argument %q\n", args[0])
		return 2
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(stdout, "netsim: no build information in this binary\ngo: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	fmt.Fprint(stdout, versionText(bi, runtime.GOOS+"/"+runtime.GOARCH))
	return 0
}

// versionText describes the build bi, one line each for netsim, Go and
// gVisor:
//
//	netsim: netsim.dev v0.4.0
//	go: go1.26.8 linux/amd64
//	gvisor: gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237
//
// A binary built inside a checkout has version "(devel)" (and, with Go's
// VCS stamping, a pseudo-version such as v0.0.0-20261203190546-672f92e1d2c3+dirty);
// its commit follows when the build recorded it.
func versionText(bi *debug.BuildInfo, platform string) string {
	var b strings.Builder
	path := bi.Main.Path
	if path == "" {
		path = "netsim.dev"
	}
	version := bi.Main.Version
	switch version {
	case "", "(devel)":
		version = "(devel: built from a source tree, not a released module)"
	}
	fmt.Fprintf(&b, "netsim: %s %s\n", path, version)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line := settings["vcs"] + " revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += ", " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", with uncommitted changes"
		}
		fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(line))
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	fmt.Fprintf(&b, "go: %s %s\n", goVersion, platform)
	gvisor := "not in this build"
	for _, d := range bi.Deps {
		if d.Path == gvisorModule {
			gvisor = gvisorModule + " " + d.Version
			if r := d.Replace; r != nil {
				gvisor += " => " + strings.TrimSpace(r.Path+" "+r.Version)
			}
		}
	}
	fmt.Fprintf(&b, "gvisor: %s\n", gvisor)
	return b.String()
}
