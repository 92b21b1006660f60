package main

import (
	"regexp"
	"strings"
	"unicode"
)

// The spec text is the respec output rendered as plain text. A member is
// defined by a header line "name" or "name of type T" (T may wrap onto the
// next line), followed by its description, indented deeper than the header.
// The dictionary being described is set by "Dictionary {{X}} Members" (ED)
// or by the IDL block "[partial] dictionary X" (both documents).
var (
	reProseDict   = regexp.MustCompile(`^\s*(?:Dictionary \{\{(\w+)\}\} Members|(?:partial\s+)?dictionary\s+(\w+)\b)`)
	reProseHeader = regexp.MustCompile(`^\s*([a-z][A-Za-z0-9]*)(?:\s+of\s+type\b.*)?\s*$`)
)

// parseProse returns each member's description text (whitespace collapsed,
// markup kept), keyed by dictionary and member name. known lists the members
// of each dictionary, so that a description line is never taken for a header.
func parseProse(text string, known map[string]map[string]bool) map[string]map[string]string {
	out := map[string]map[string]string{}
	var (
		dict, member string
		indent       int
		hasText      bool
		lines        []string
	)
	flush := func() {
		if member != "" {
			if out[dict] == nil {
				out[dict] = map[string]string{}
			}
			if _, dup := out[dict][member]; !dup {
				out[dict][member] = joinDescription(lines)
			}
		}
		member, lines = "", nil
	}
	for line := range strings.SplitSeq(text, "\n") {
		if m := reProseDict.FindStringSubmatch(line); m != nil {
			flush()
			dict = m[1] + m[2]
			continue
		}
		if m := reProseHeader.FindStringSubmatch(line); m != nil && known[dict][m[1]] {
			flush()
			member, indent, hasText = m[1], indentOf(line), false
			continue
		}
		if member == "" {
			continue
		}
		blank := strings.TrimSpace(line) == ""
		// A dedent ends the description, except before its first line:
		// a few definitions start their text at column 0.
		if !blank && indentOf(line) < indent && hasText {
			flush()
			continue
		}
		hasText = hasText || !blank
		lines = append(lines, line)
	}
	flush()
	return out
}

// joinDescription drops the wrapped remainder of the header's type ("long",
// "record<DOMString, double>") and joins the rest into one line.
func joinDescription(lines []string) string {
	for len(lines) > 0 {
		f := strings.Fields(lines[0])
		if len(f) == 0 || len(f) > 2 || strings.Contains(lines[0], ".") {
			break
		}
		lines = lines[1:]
	}
	return strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
}

func indentOf(line string) int {
	n := 0
	for _, r := range line {
		switch r {
		case ' ':
			n++
		case '\t':
			n += 8 - n%8
		default:
			return n
		}
	}
	return n
}

// Rules the prose states about a member's existence.
var (
	reNotForKind = regexp.MustCompile(`(?:MUST NOT \[= map/exist =\] for|Only exists for) (audio|video)\b`)
	reNotRemote  = regexp.MustCompile(`For remote candidates, this property MUST NOT be`)
)

// notForKind returns "audio" or "video" when the description says the member
// MUST NOT exist for that kind ("Only exists for video" in the provisional
// document means the same as "MUST NOT exist for audio" in the ED).
func notForKind(desc string) string {
	m := reNotForKind.FindStringSubmatch(desc)
	switch {
	case m == nil:
		return ""
	case strings.HasPrefix(m[0], "Only"):
		if m[1] == "audio" {
			return "video"
		}
		return "audio"
	default:
		return m[1]
	}
}

func notForRemoteCandidate(desc string) bool { return reNotRemote.MatchString(desc) }

var (
	reRef   = regexp.MustCompile(`\{\{([^}]*)\}\}`)
	reDfn   = regexp.MustCompile(`\[=\s*([^=]*?)\s*=\]`)
	reCite  = regexp.MustCompile(`\[\[[!?]?([^\]]*)\]\]`)
	reRules = regexp.MustCompile(`MUST NOT exist (?:for (?:audio|video)|unless exposing hardware is allowed)\.\s*|Only exists for (?:audio|video)[^.]*\.\s*`)
)

// summary returns the first sentence of a description with respec markup
// removed and the kind rules (reported separately) cut out.
func summary(desc string) string {
	// References are marked with refMark until the sentence is cut, so
	// that a sentence starting with one ("{{foo}} is ...") is recognised.
	s := reRef.ReplaceAllStringFunc(desc, func(m string) string {
		inner := reRef.FindStringSubmatch(m)[1]
		return refMark + inner[strings.LastIndex(inner, "/")+1:]
	})
	s = reDfn.ReplaceAllStringFunc(s, func(m string) string {
		inner := reDfn.FindStringSubmatch(m)[1]
		if i := strings.LastIndex(inner, "|"); i >= 0 {
			return strings.TrimSpace(inner[i+1:])
		}
		return inner[strings.LastIndex(inner, "/")+1:]
	})
	s = reCite.ReplaceAllString(s, "$1")
	s = strings.TrimSpace(reRules.ReplaceAllString(s, ""))
	return strings.ReplaceAll(firstSentence(s), refMark, "")
}

const refMark = "\x00"

// firstSentence cuts s after the first period that is followed by a space
// and an upper-case letter or a reference (so "e.g. video/VP8" and "6.4.1. of"
// do not end it).
func firstSentence(s string) string {
	r := []rune(s)
	for i := 0; i+2 < len(r); i++ {
		if r[i] == '.' && r[i+1] == ' ' && (unicode.IsUpper(r[i+2]) || r[i+2] == '(' || r[i+2] == '\x00') {
			return string(r[:i+1])
		}
	}
	return s
}
