package tsg

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func benchGraph(b *testing.B, path string) *Graph {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	g, err := Read(bytes.NewReader(data), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkImage draws the lossy transfer's PNG picture (in memory).
func BenchmarkImage(b *testing.B) {
	g := benchGraph(b, lossFile)
	for b.Loop() {
		g.Image()
	}
}

// BenchmarkSVG writes the lossy transfer's SVG.
func BenchmarkSVG(b *testing.B) {
	g := benchGraph(b, lossFile)
	for b.Loop() {
		if err := g.SVG(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
