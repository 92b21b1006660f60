//go:build !linux

package dscp

import (
	"fmt"
	"runtime"
	"syscall"
)

const markingSupported = false

// oobSpace is zero: nothing is sent or expected as control messages.
const oobSpace = 0

// appendTOS returns dst unchanged; packets go out unmarked.
func appendTOS(dst []byte, _ uint8, _, _ bool) []byte { return dst }

// parseTOS never finds a traffic class.
func parseTOS([]byte) (uint8, bool) { return 0, false }

func unsupported() error { return fmt.Errorf("%w (%s)", ErrUnsupported, runtime.GOOS) }

func enableRecvTOS(syscall.RawConn, bool, bool) error { return unsupported() }

func setTOS(syscall.RawConn, uint8, bool, bool) error { return unsupported() }

func socketFamily(syscall.RawConn) (inet6, dualStack bool, err error) {
	return false, false, unsupported()
}
