package main

import (
	"embed"
	"flag"
	"fmt"
	"io"
	"strings"
)

// bookTexts holds the walkthrough of the book's chapter, one file per
// language: book/en.md and book/ru.md. Every command in them and every frame
// number they give is checked against real runs by book_test.go.
//
//go:embed book/en.md book/ru.md
var bookTexts embed.FS

// bookLangs are the languages of `netsim help book --lang`, the first the
// default.
var bookLangs = []string{"en", "ru"}

const bookUsage = `Usage: netsim help book [--lang en|ru]

Walks through the book chapter netsim grew out of (Ilya Shpigor, "Practical
Video Game Bots", Apress 2018, chapter 4: capturing the traffic of two tiny
programs): what to run, each of its figures and what netsim shows for it, its
nine display filters and the frames each selects, and what differs on gVisor.
--lang ru prints it in Russian, the language of the edition the chapter was
read in; English is the default.
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
	text, err := bookText(*lang)
	if err != nil {
		fmt.Fprintf(stderr, "netsim help book: %v\n", err)
		return 2
	}
	fmt.Fprint(stdout, text)
	return 0
}
