//go:build linux

package dscp

import "syscall"

// getTOS reads the traffic class the socket sends unmarked packets with
// (IPV6_TCLASS on an IPv6-only socket, IP_TOS otherwise), so that marking
// keeps its ECN bits and unmarked packets are counted at the right DSCP.
func getTOS(rc syscall.RawConn, v6only bool) (uint8, error) {
	var v int
	var serr error
	err := rc.Control(func(fd uintptr) {
		if v6only {
			v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS)
		} else {
			v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS)
		}
	})
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	if v < 0 { // IPV6_TCLASS -1: the kernel default, 0
		v = 0
	}
	return uint8(v), nil
}
