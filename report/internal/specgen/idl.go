package main

import (
	"regexp"
	"strconv"
	"strings"
)

// idlDict is a (partial) dictionary from an IDL extract.
type idlDict struct {
	Name, Parent string
	Partial      bool
	Members      []idlMember
}

type idlMember struct {
	Name, Type string
	Required   bool
	// Doc is the text of the "//" comment lines directly above the member
	// (no blank line between), joined with spaces; "" when there are none.
	Doc string
}

type idlFile struct {
	Dicts []idlDict
	Enums map[string][]string
}

var (
	// reIDLComment matches a comment; group 1 is set when the comment is
	// alone on its line (only such comments document the next member).
	reIDLComment     = regexp.MustCompile(`(?m)(^[ \t]*)?//([^\n]*)`)
	reIDLPlaceholder = regexp.MustCompile("^\x01([0-9]+)\x02$")
	reIDLDict        = regexp.MustCompile(`(?s)(partial\s+)?dictionary\s+(\w+)\s*(?::\s*(\w+))?\s*\{(.*?)\}\s*;`)
	reIDLEnum        = regexp.MustCompile(`(?s)enum\s+(\w+)\s*\{(.*?)\}\s*;`)
	reIDLString      = regexp.MustCompile(`"([^"]*)"`)
)

// parseIDL reads the small WebIDL subset the stats documents use:
// dictionaries (partial or not, single inheritance) and enums. Members are
// "[required] TYPE name;" with no default values. "//" comment lines
// directly above a member become its Doc; other comments are ignored.
func parseIDL(src string) idlFile {
	src, comments := hideComments(src)
	f := idlFile{Enums: map[string][]string{}}
	for _, m := range reIDLDict.FindAllStringSubmatch(src, -1) {
		d := idlDict{Name: m[2], Parent: m[3], Partial: m[1] != ""}
		for stmt := range strings.SplitSeq(m[4], ";") {
			doc, decl := splitDoc(stmt, comments)
			fields := strings.Fields(decl)
			if len(fields) == 0 {
				continue
			}
			mem := idlMember{Doc: doc}
			if fields[0] == "required" {
				mem.Required = true
				fields = fields[1:]
			}
			if len(fields) < 2 {
				continue
			}
			mem.Name = fields[len(fields)-1]
			mem.Type = strings.Join(fields[:len(fields)-1], " ")
			d.Members = append(d.Members, mem)
		}
		f.Dicts = append(f.Dicts, d)
	}
	for _, m := range reIDLEnum.FindAllStringSubmatch(src, -1) {
		for _, v := range reIDLString.FindAllStringSubmatch(m[2], -1) {
			f.Enums[m[1]] = append(f.Enums[m[1]], v[1])
		}
	}
	return f
}

// hideComments removes the comments from src, so that the punctuation in
// them cannot end a dictionary or a member. A comment alone on its line is
// replaced by a placeholder "\x01N\x02" (N indexes the returned texts);
// a comment after code is dropped.
func hideComments(src string) (string, []string) {
	var (
		b        strings.Builder
		comments []string
		last     int
	)
	for _, loc := range reIDLComment.FindAllStringSubmatchIndex(src, -1) {
		b.WriteString(src[last:loc[0]])
		last = loc[1]
		if loc[2] < 0 { // after code on the same line
			continue
		}
		b.WriteString(src[loc[2]:loc[3]]) // keep the indentation
		b.WriteString("\x01" + strconv.Itoa(len(comments)) + "\x02")
		comments = append(comments, strings.TrimSpace(src[loc[4]:loc[5]]))
	}
	b.WriteString(src[last:])
	return b.String(), comments
}

// splitDoc separates a member statement (the text before its ";") into the
// comment lines directly above the declaration and the declaration. A blank
// line ends a comment block without attaching it; comment lines inside the
// declaration are dropped.
func splitDoc(stmt string, comments []string) (doc, decl string) {
	var block, rest []string
	for line := range strings.SplitSeq(stmt, "\n") {
		line = strings.TrimSpace(line)
		m := reIDLPlaceholder.FindStringSubmatch(line)
		switch {
		case m != nil && len(rest) == 0:
			i, _ := strconv.Atoi(m[1])
			block = append(block, comments[i])
		case m != nil:
		case line == "" && len(rest) == 0:
			block = nil
		default:
			rest = append(rest, line)
		}
	}
	return strings.Join(strings.Fields(strings.Join(block, " ")), " "), strings.Join(rest, " ")
}
