package main

import "flag"

// update makes golden-file tests rewrite their files under testdata instead
// of comparing with them: go test ./cmd/netsim -run Golden -update.
var update = flag.Bool("update", false, "rewrite the golden files under testdata")
