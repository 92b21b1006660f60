//go:build linux

package dscp

import (
	"encoding/binary"
	"fmt"
	"slices"
	"syscall"
	"unsafe"
)

const markingSupported = true

// Layout of struct cmsghdr: a size_t length, then int level and int type,
// each message padded to the alignment of size_t. On linux/amd64 and arm64
// that is a 16-byte header with 8-byte alignment.
const (
	cmsgAlign   = int(unsafe.Sizeof(uintptr(0)))
	cmsgLenSize = int(unsafe.Sizeof(syscall.Cmsghdr{}.Len))
	cmsgHdrLen  = syscall.SizeofCmsghdr
	sizeofInt   = 4

	// cmsgLenInt is CMSG_LEN(sizeof(int)), cmsgSpaceInt CMSG_SPACE(sizeof(int)).
	cmsgLenInt   = cmsgHdrLen + sizeofInt
	cmsgSpaceInt = (cmsgLenInt + cmsgAlign - 1) &^ (cmsgAlign - 1)
)

// oobSpace fits an IP_TOS and an IPV6_TCLASS message with int data each,
// which is what appendTOS writes and more than the kernel delivers (one of
// them, the IPv4 one with a single byte).
const oobSpace = 2 * cmsgSpaceInt

func alignCmsg(n int) int { return (n + cmsgAlign - 1) &^ (cmsgAlign - 1) }

// appendTOS appends control messages that set the traffic class of one
// outgoing datagram to tos: IP_TOS when v4, IPV6_TCLASS when v6. A
// dual-stack socket needs both, as the kernel reads IP_TOS for v4-mapped
// destinations and IPV6_TCLASS otherwise. It does not allocate when dst has
// oobSpace bytes of spare capacity.
func appendTOS(dst []byte, tos uint8, v4, v6 bool) []byte {
	if v4 {
		dst = appendCmsgInt(dst, syscall.IPPROTO_IP, syscall.IP_TOS, int32(tos))
	}
	if v6 {
		dst = appendCmsgInt(dst, syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, int32(tos))
	}

	return dst
}

func appendCmsgInt(dst []byte, level, typ, val int32) []byte {
	n := len(dst)
	dst = slices.Grow(dst, cmsgSpaceInt)[:n+cmsgSpaceInt]
	b := dst[n:]
	putCmsgLen(b, cmsgLenInt)
	binary.NativeEndian.PutUint32(b[cmsgLenSize:], uint32(level))
	binary.NativeEndian.PutUint32(b[cmsgLenSize+4:], uint32(typ))
	binary.NativeEndian.PutUint32(b[cmsgHdrLen:], uint32(val))
	clear(b[cmsgLenInt:]) // padding may hold stale bytes from reuse

	return dst
}

func putCmsgLen(b []byte, n int) {
	if cmsgLenSize == 8 {
		binary.NativeEndian.PutUint64(b, uint64(n))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(n))
	}
}

func cmsgLen(b []byte) uint64 {
	if cmsgLenSize == 8 {
		return binary.NativeEndian.Uint64(b)
	}

	return uint64(binary.NativeEndian.Uint32(b))
}

// parseTOS returns the traffic class byte from received control messages:
// IP_TOS (the kernel sends one byte for IPv4) or IPV6_TCLASS (an int). A
// malformed header ends the walk; ok is false when neither was found.
func parseTOS(oob []byte) (tos uint8, ok bool) {
	for len(oob) >= cmsgHdrLen {
		l := cmsgLen(oob)
		if l < cmsgHdrLen || l > uint64(len(oob)) {
			return 0, false
		}
		level := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize+4:]))
		data := oob[cmsgHdrLen:l]
		switch {
		case level == syscall.IPPROTO_IP && typ == syscall.IP_TOS && len(data) == sizeofInt:
			return uint8(binary.NativeEndian.Uint32(data)), true
		case level == syscall.IPPROTO_IP && typ == syscall.IP_TOS && len(data) >= 1:
			return data[0], true
		case level == syscall.IPPROTO_IPV6 && typ == syscall.IPV6_TCLASS && len(data) >= sizeofInt:
			return uint8(binary.NativeEndian.Uint32(data)), true
		}
		// The last message may lack its trailing padding.
		next := alignCmsg(int(l))
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}

	return 0, false
}

// enableRecvTOS asks the kernel to report the traffic class of received
// datagrams: IP_RECVTOS for IPv4 (including v4-mapped traffic on a
// dual-stack socket), IPV6_RECVTCLASS for IPv6.
func enableRecvTOS(rc syscall.RawConn, v4, v6 bool) error {
	return setsockopts(rc, v4, v6,
		syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1,
		syscall.IPPROTO_IPV6, syscall.IPV6_RECVTCLASS, 1)
}

// setTOS sets the socket's default traffic class. It suits TCP, where all
// flows on a connection must share one value (RFC 8837 §5).
func setTOS(rc syscall.RawConn, tos uint8, v4, v6 bool) error {
	return setsockopts(rc, v4, v6,
		syscall.IPPROTO_IP, syscall.IP_TOS, int(tos),
		syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, int(tos))
}

func setsockopts(rc syscall.RawConn, v4, v6 bool, lvl4, opt4, val4, lvl6, opt6, val6 int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if v4 {
			if serr = syscall.SetsockoptInt(int(fd), lvl4, opt4, val4); serr != nil {
				serr = fmt.Errorf("dscp: setsockopt(%d, %d): %w", lvl4, opt4, serr)

				return
			}
		}
		if v6 {
			if serr = syscall.SetsockoptInt(int(fd), lvl6, opt6, val6); serr != nil {
				serr = fmt.Errorf("dscp: setsockopt(%d, %d): %w", lvl6, opt6, serr)
			}
		}
	})
	if err != nil {
		return err
	}

	return serr
}

// socketFamily reports whether the socket is AF_INET6 and, if so, whether
// it also carries IPv4 as v4-mapped addresses (IPV6_V6ONLY off).
func socketFamily(rc syscall.RawConn) (inet6, dualStack bool, err error) {
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		var domain, v6only int
		if domain, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_DOMAIN); serr != nil {
			serr = fmt.Errorf("dscp: getsockopt(SO_DOMAIN): %w", serr)

			return
		}
		if domain != syscall.AF_INET6 {
			return
		}
		inet6 = true
		if v6only, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY); serr != nil {
			serr = fmt.Errorf("dscp: getsockopt(IPV6_V6ONLY): %w", serr)

			return
		}
		dualStack = v6only == 0
	})
	if cerr != nil {
		return false, false, cerr
	}
	if serr != nil {
		return false, false, serr
	}

	return inet6, dualStack, nil
}
