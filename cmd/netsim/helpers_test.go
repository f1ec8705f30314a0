package main

import (
	"os"
	"path/filepath"
	"testing"
)

// golden returns testdata/NAME.pcap, the capture of `netsim run NAME` with
// the default flags.
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name+".pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entries names what dir holds.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
