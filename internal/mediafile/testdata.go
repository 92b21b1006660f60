package mediafile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TestdataDir returns the repository's testdata directory: it walks up from
// the current working directory to the first directory holding a go.mod
// file and returns its "testdata" subdirectory, which must exist. Under
// `go test` the working directory is the package directory, so this works
// from any package of the module.
func TestdataDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("mediafile: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			td := filepath.Join(dir, "testdata")
			fi, err := os.Stat(td)
			if err != nil {
				return "", fmt.Errorf("mediafile: %w", err)
			}
			if !fi.IsDir() {
				return "", fmt.Errorf("mediafile: %s is not a directory", td)
			}
			return td, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("mediafile: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("mediafile: no go.mod found above %s", wd)
		}
		dir = parent
	}
}
