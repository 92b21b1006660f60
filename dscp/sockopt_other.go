//go:build !linux

package dscp

import "syscall"

func getTOS(syscall.RawConn, bool) (uint8, error) { return 0, ErrUnsupported }
