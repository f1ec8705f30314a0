//go:build !unix

package main

import "os"

// processUmask returns 0: systems other than Unix have no umask (Windows
// keeps only a file's read-only bit).
func processUmask() os.FileMode { return 0 }
