package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	specDir := flag.String("spec", "../../shared/spec", "directory holding the spec inputs")
	out := flag.String("out", "types_gen.go", "file to write")
	flag.Parse()

	src, warnings, err := generate(*specDir)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "specgen: warning:", w)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

// generate reads the spec inputs in dir and returns the formatted source of
// types_gen.go, plus warnings about prose it could not attach to a member.
func generate(dir string) ([]byte, []string, error) {
	m, warnings, err := loadModel(dir)
	if err != nil {
		return nil, warnings, err
	}
	src, err := render(m)
	return src, warnings, err
}
