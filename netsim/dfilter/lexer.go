package dfilter

import (
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tWord           // field name or unquoted literal
	tString         // "quoted"
	tLParen
	tRParen
	tLBrace
	tRBrace
	tLBracket
	tRBracket
	tComma
	tDotDot
	tColon
	tOp  // comparison operator (normalized text in val)
	tAnd // and &&
	tOr  // or ||
	tNot // not !
	tIn
	tContains
	tMatches
)

type token struct {
	kind tokKind
	val  string // word text, decoded string, or operator
	pos  int
	end  int
}

var wordOps = map[string]tokKind{
	"and": tAnd, "or": tOr, "not": tNot, "in": tIn,
	"contains": tContains, "matches": tMatches,
}

var wordCmp = map[string]string{
	"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
	"any_eq": "==", "all_ne": "!=", "any_ne": "~=", "all_eq": "===", "bitwise_and": "&",
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-' || c == '/' || c >= 0x80
}

// lex splits expr into tokens.
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		start := i
		two := ""
		if i+1 < len(expr) {
			two = expr[i : i+2]
		}
		add := func(k tokKind, v string, n int) {
			toks = append(toks, token{kind: k, val: v, pos: start, end: start + n})
			i = start + n
		}
		switch {
		case two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "~=":
			if two == "==" && i+2 < len(expr) && expr[i+2] == '=' {
				add(tOp, "===", 3)
			} else if two == "!=" && i+2 < len(expr) && expr[i+2] == '=' {
				add(tOp, "!==", 3)
			} else {
				add(tOp, two, 2)
			}
		case two == "&&":
			add(tAnd, "&&", 2)
		case two == "||":
			add(tOr, "||", 2)
		case c == '&' && two != "&&":
			add(tOp, "&", 1)
		case two == "..":
			add(tDotDot, "..", 2)
		case c == '<' || c == '>':
			add(tOp, string(c), 1)
		case c == '~':
			add(tMatches, "~", 1)
		case c == '!':
			add(tNot, "!", 1)
		case c == '(':
			add(tLParen, "(", 1)
		case c == ')':
			add(tRParen, ")", 1)
		case c == '{':
			add(tLBrace, "{", 1)
		case c == '}':
			add(tRBrace, "}", 1)
		case c == '[':
			add(tLBracket, "[", 1)
		case c == ']':
			add(tRBracket, "]", 1)
		case c == ',':
			add(tComma, ",", 1)
		case c == '"':
			s, n, err := lexString(expr, i)
			if err != nil {
				return nil, err
			}
			add(tString, s, n)
		case isWordByte(c):
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				if expr[j] == '.' && j+1 < len(expr) && expr[j+1] == '.' {
					break
				}
				j++
			}
			w := expr[i:j]
			if !utf8.ValidString(w) {
				return nil, errAt(expr, i, j-i, "Invalid UTF-8 in filter")
			}
			lw := strings.ToLower(w)
			if k, ok := wordOps[lw]; ok {
				add(k, lw, j-i)
			} else if op, ok := wordCmp[lw]; ok {
				add(tOp, op, j-i)
			} else {
				add(tWord, w, j-i)
			}
		default:
			r, n := utf8.DecodeRuneInString(expr[i:])
			return nil, errAt(expr, i, n, "%q was unexpected in this context.", string(r))
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(expr), end: len(expr)})
	return toks, nil
}

// lexString decodes a double-quoted string starting at expr[i] and
// returns it with the number of bytes consumed.
func lexString(expr string, i int) (string, int, error) {
	var sb strings.Builder
	j := i + 1
	for j < len(expr) {
		c := expr[j]
		switch c {
		case '"':
			return sb.String(), j + 1 - i, nil
		case '\\':
			if j+1 >= len(expr) {
				return "", 0, errAt(expr, i, len(expr)-i, "The string is missing a closing quote.")
			}
			e := expr[j+1]
			j += 2
			switch e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for k := 0; k < 2 && j < len(expr) && expr[j] >= '0' && expr[j] <= '7'; k++ {
					v = v*8 + int(expr[j]-'0')
					j++
				}
				if v > 255 {
					return "", 0, errAt(expr, i, j-i, "Invalid octal escape in string.")
				}
				sb.WriteByte(byte(v))
			case 'x':
				v, k := 0, 0
				for ; k < 2 && j < len(expr) && isHex(expr[j]); k++ {
					v = v*16 + hexVal(expr[j])
					j++
				}
				if k == 0 {
					return "", 0, errAt(expr, i, j-i, "Invalid hex escape in string.")
				}
				sb.WriteByte(byte(v))
			default:
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte(c)
			j++
		}
	}
	return "", 0, errAt(expr, i, len(expr)-i, "The string is missing a closing quote.")
}
