package main

import (
	"bytes"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// bookTexts holds the walkthrough of the book's chapter, one file per
// language: book/en.md and book/ru.md. Every command in them and every frame
// number they give is checked against real runs by book_test.go.
//
//go:embed book/en.md book/ru.md
var bookTexts embed.FS

// bookReference holds the book's three exchanges captured on a Linux
// kernel (copies of testdata/reference/*.pcap, which a test keeps equal),
// so that the walkthrough's comparisons with Linux work on a machine with
// only the netsim binary: netsim help book --reference DIR writes them.
//
//go:embed book/reference/linux-lo-tcp.pcap book/reference/linux-lo-tcp-multi.pcap book/reference/linux-lo-udp.pcap
var bookReference embed.FS

// bookReferenceFiles are bookReference's files, in the order written.
var bookReferenceFiles = []string{"linux-lo-tcp.pcap", "linux-lo-tcp-multi.pcap", "linux-lo-udp.pcap"}

// bookLangs are the languages of `netsim help book --lang`, the first the
// default.
var bookLangs = []string{"en", "ru"}

const bookUsage = `Usage: netsim help book [--lang en|ru]
       netsim help book --reference DIR

Walks through the book chapter netsim grew out of (Ilya Shpigor, "Practical
Video Game Bots", Apress 2018, chapter 4: capturing the traffic of two tiny
programs): what to run, each of its figures and what netsim shows for it, its
nine display filters and the frames each selects, and what differs on gVisor.
--lang ru prints it in Russian, the language of the edition the chapter was
read in; English is the default.

--reference DIR writes the same exchanges captured on a Linux kernel into
DIR (linux-lo-tcp.pcap, linux-lo-tcp-multi.pcap, linux-lo-udp.pcap), which
the walkthrough compares netsim's captures with.
`

// bookText returns the walkthrough in lang, or an error naming the
// languages there are.
func bookText(lang string) (string, error) {
	for _, l := range bookLangs {
		if l == lang {
			b, err := bookTexts.ReadFile("book/" + l + ".md")
			return string(b), err
		}
	}
	return "", fmt.Errorf("--lang %q: the walkthrough is in %s", lang, strings.Join(bookLangs, " and "))
}

// helpBook is `netsim help book [--lang L]`.
func helpBook(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("help book", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	lang := fs.String("lang", bookLangs[0], "the language: en or ru")
	ref := fs.String("reference", "", "write the Linux reference captures into this directory")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, bookUsage)
			return 0
		}
		fmt.Fprintf(stderr, "netsim help book: %v (netsim help book -h)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "netsim help book: unexpected argument %q (netsim help book -h)\n", fs.Arg(0))
		return 2
	}
	if *ref != "" {
		return writeBookReference(*ref, stdout, stderr)
	}
	text, err := bookText(*lang)
	if err != nil {
		fmt.Fprintf(stderr, "netsim help book: %v\n", err)
		return 2
	}
	fmt.Fprint(stdout, text)
	return 0
}

// writeBookReference writes the Linux reference captures into dir (made if
// missing). A file of the same name with other bytes is not replaced: it
// is an error, and nothing is written.
func writeBookReference(dir string, stdout, stderr io.Writer) int {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		fmt.Fprintf(stderr, "netsim help book: --reference %s: %v\n", dir, pathErr(err))
		return 1
	}
	var todo, names []string
	for _, name := range bookReferenceFiles {
		b, _ := bookReference.ReadFile("book/reference/" + name)
		path := filepath.Join(dir, name)
		names = append(names, path)
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, b):
			continue // already there
		case err == nil:
			fmt.Fprintf(stderr, "netsim help book: --reference %s: %s exists and is another file: not replaced (remove it, or give another directory)\n", dir, path)
			return 1
		case !errors.Is(err, os.ErrNotExist):
			fmt.Fprintf(stderr, "netsim help book: --reference %s: %v\n", dir, pathErr(err))
			return 1
		}
		todo = append(todo, name)
	}
	for _, name := range todo {
		b, _ := bookReference.ReadFile("book/reference/" + name)
		if err := writeKept(filepath.Join(dir, name), b); err != nil {
			fmt.Fprintf(stderr, "netsim help book: --reference %s: %v\n", dir, pathErr(err))
			return 1
		}
	}
	fmt.Fprintf(stdout, "the book's exchanges captured on Linux: %s\n", strings.Join(names, ", "))
	return 0
}
