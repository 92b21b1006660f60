package nfqueue

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Constants of include/uapi/linux/netfilter/nfnetlink.h and
// nfnetlink_queue.h.
const (
	subsysQueue = 3 // NFNL_SUBSYS_QUEUE

	msgPacket  = 0 // NFQNL_MSG_PACKET
	msgVerdict = 1 // NFQNL_MSG_VERDICT
	msgConfig  = 2 // NFQNL_MSG_CONFIG

	attrCfgCmd      = 1 // NFQA_CFG_CMD
	attrCfgParams   = 2 // NFQA_CFG_PARAMS
	attrCfgQueueLen = 3 // NFQA_CFG_QUEUE_MAXLEN

	cmdBind = 1 // NFQNL_CFG_CMD_BIND

	copyPacket = 2 // NFQNL_COPY_PACKET

	attrPacketHdr  = 1  // NFQA_PACKET_HDR
	attrVerdictHdr = 2  // NFQA_VERDICT_HDR
	attrPayload    = 10 // NFQA_PAYLOAD

	nfnetlinkV0 = 0

	// Netlink (include/uapi/linux/netlink.h).
	nlmsgHdrLen = 16
	nlmsgError  = 2
	nlmsgDone   = 3
	nlmFRequest = 0x1
	nlmFAck     = 0x4
	nlaTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
)

// Verdict is what happens to a queued packet.
type Verdict uint32

// Verdicts (include/uapi/linux/netfilter.h).
const (
	Drop   Verdict = 0 // NF_DROP
	Accept Verdict = 1 // NF_ACCEPT
)

// Packet is one queued packet as the kernel reported it.
type Packet struct {
	ID         uint32 // the kernel's id, to answer with a verdict
	HWProtocol uint16 // EtherType: 0x0800 IPv4, 0x86dd IPv6
	Hook       uint8  // netfilter hook: 3 is LOCAL_OUT, 4 POST_ROUTING
	// Payload is the start of the packet from its IP header, up to the
	// queue's copy range. Owned by the Packet.
	Payload []byte
}

// ErrMalformed is wrapped by errors about a message the kernel should not
// have sent.
var ErrMalformed = errors.New("nfqueue: malformed netlink message")

func msgType(m uint8) uint16 { return subsysQueue<<8 | uint16(m) }

// appendAttr appends a netlink attribute, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// message builds one nfnetlink message for queue num.
func message(m uint8, flags uint16, seq uint32, num uint16, attrs []byte) []byte {
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+4+len(attrs))
	binary.NativeEndian.PutUint32(b[0:], uint32(nlmsgHdrLen+4+len(attrs)))
	binary.NativeEndian.PutUint16(b[4:], msgType(m))
	binary.NativeEndian.PutUint16(b[6:], nlmFRequest|flags)
	binary.NativeEndian.PutUint32(b[8:], seq)
	// nlmsg_pid 0: to the kernel.
	b = append(b, 0 /* AF_UNSPEC */, nfnetlinkV0)
	b = binary.BigEndian.AppendUint16(b, num) // res_id
	return append(b, attrs...)
}

// bindMsg binds queue num to this socket (NFQNL_CFG_CMD_BIND, pf unused).
func bindMsg(seq uint32, num uint16) []byte {
	return message(msgConfig, nlmFAck, seq, num, appendAttr(nil, attrCfgCmd, []byte{cmdBind, 0, 0, 0}))
}

// paramsMsg asks for copies of the first copyRange bytes of each packet and
// a queue of up to maxLen packets.
func paramsMsg(seq uint32, num uint16, copyRange, maxLen uint32) []byte {
	params := binary.BigEndian.AppendUint32(nil, copyRange)
	params = append(params, copyPacket) // struct nfqnl_msg_config_params is packed: 5 bytes
	a := appendAttr(nil, attrCfgParams, params)
	a = appendAttr(a, attrCfgQueueLen, binary.BigEndian.AppendUint32(nil, maxLen))
	return message(msgConfig, nlmFAck, seq, num, a)
}

// seqOf is the sequence number of a message built here.
func seqOf(b []byte) uint32 { return binary.NativeEndian.Uint32(b[8:]) }

// verdictMsg answers packet id of queue num.
func verdictMsg(num uint16, id uint32, v Verdict) []byte {
	hdr := binary.BigEndian.AppendUint32(nil, uint32(v))
	hdr = binary.BigEndian.AppendUint32(hdr, id)
	return message(msgVerdict, 0, 0, num, appendAttr(nil, attrVerdictHdr, hdr))
}

// netlinkMsg is one message of a datagram from the kernel.
type netlinkMsg struct {
	typ  uint16
	seq  uint32
	body []byte // after the netlink header
}

// splitMessages splits a datagram into its netlink messages.
func splitMessages(b []byte) ([]netlinkMsg, error) {
	var out []netlinkMsg
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return out, fmt.Errorf("%w: message length %d of %d bytes", ErrMalformed, l, len(b))
		}
		out = append(out, netlinkMsg{
			typ:  binary.NativeEndian.Uint16(b[4:]),
			seq:  binary.NativeEndian.Uint32(b[8:]),
			body: b[nlmsgHdrLen:l],
		})
		l = (l + 3) &^ 3
		if l >= len(b) {
			return out, nil
		}
		b = b[l:]
	}
	return out, nil
}

// errorCode reads the errno of an NLMSG_ERROR body (0: an acknowledgement).
func errorCode(body []byte) (int32, error) {
	if len(body) < 4 {
		return 0, fmt.Errorf("%w: short NLMSG_ERROR", ErrMalformed)
	}
	return int32(binary.NativeEndian.Uint32(body)), nil
}

// parsePacket reads an NFQNL_MSG_PACKET body (nfgenmsg, then attributes).
func parsePacket(body []byte) (Packet, error) {
	if len(body) < 4 {
		return Packet{}, fmt.Errorf("%w: short packet message", ErrMalformed)
	}
	var p Packet
	var haveHdr bool
	for a := body[4:]; len(a) >= 4; {
		l := int(binary.NativeEndian.Uint16(a[0:]))
		typ := binary.NativeEndian.Uint16(a[2:]) & nlaTypeMask
		if l < 4 || l > len(a) {
			return Packet{}, fmt.Errorf("%w: attribute length %d of %d bytes", ErrMalformed, l, len(a))
		}
		v := a[4:l]
		switch typ {
		case attrPacketHdr:
			if len(v) < 7 {
				return Packet{}, fmt.Errorf("%w: short NFQA_PACKET_HDR", ErrMalformed)
			}
			p.ID = binary.BigEndian.Uint32(v[0:])
			p.HWProtocol = binary.BigEndian.Uint16(v[4:])
			p.Hook = v[6]
			haveHdr = true
		case attrPayload:
			p.Payload = append([]byte(nil), v...)
		}
		l = (l + 3) &^ 3
		if l >= len(a) {
			break
		}
		a = a[l:]
	}
	if !haveHdr {
		return Packet{}, fmt.Errorf("%w: packet without NFQA_PACKET_HDR", ErrMalformed)
	}
	return p, nil
}
