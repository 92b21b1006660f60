package main

import (
	"regexp"
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
}

type idlFile struct {
	Dicts []idlDict
	Enums map[string][]string
}

var (
	reIDLComment = regexp.MustCompile(`//[^\n]*`)
	reIDLDict    = regexp.MustCompile(`(?s)(partial\s+)?dictionary\s+(\w+)\s*(?::\s*(\w+))?\s*\{(.*?)\}\s*;`)
	reIDLEnum    = regexp.MustCompile(`(?s)enum\s+(\w+)\s*\{(.*?)\}\s*;`)
	reIDLString  = regexp.MustCompile(`"([^"]*)"`)
)

// parseIDL reads the small WebIDL subset the stats documents use:
// dictionaries (partial or not, single inheritance) and enums. Members are
// "[required] TYPE name;" with no default values.
func parseIDL(src string) idlFile {
	src = reIDLComment.ReplaceAllString(src, "")
	f := idlFile{Enums: map[string][]string{}}
	for _, m := range reIDLDict.FindAllStringSubmatch(src, -1) {
		d := idlDict{Name: m[2], Parent: m[3], Partial: m[1] != ""}
		for _, stmt := range strings.Split(m[4], ";") {
			fields := strings.Fields(stmt)
			if len(fields) == 0 {
				continue
			}
			var mem idlMember
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
