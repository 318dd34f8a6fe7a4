package main

import "encoding/binary"

const (
	frameSamples = 160 // 20 ms at 8 kHz
	rtpHeaderLen = 12
	ptPCMU       = 0
	ptPCMA       = 8
)

// rtpHeader holds the fields the agent reads from an incoming packet.
type rtpHeader struct {
	PayloadType uint8
	Marker      bool
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
}

// parseRTP reads an RTP packet without allocating; payload aliases b.
func parseRTP(b []byte) (h rtpHeader, payload []byte, ok bool) {
	if len(b) < rtpHeaderLen || b[0]>>6 != 2 {
		return h, nil, false
	}
	cc := int(b[0] & 0x0f)
	off := rtpHeaderLen + 4*cc
	if len(b) < off {
		return h, nil, false
	}
	if b[0]&0x10 != 0 { // header extension
		if len(b) < off+4 {
			return h, nil, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
		if len(b) < off {
			return h, nil, false
		}
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding
		pad := int(b[end-1])
		if pad == 0 || end-pad < off {
			return h, nil, false
		}
		end -= pad
	}
	h.Marker = b[1]&0x80 != 0
	h.PayloadType = b[1] & 0x7f
	h.Seq = binary.BigEndian.Uint16(b[2:])
	h.Timestamp = binary.BigEndian.Uint32(b[4:])
	h.SSRC = binary.BigEndian.Uint32(b[8:])
	return h, b[off:end], true
}

// rtpSender packetises a stream of 20 ms frames with its own SSRC, sequence and timestamps,
// in one preallocated buffer (the packet is valid until the next call).
type rtpSender struct {
	ssrc    uint32
	seq     uint16
	ts      uint32
	pt      uint8
	started bool
	buf     [rtpHeaderLen + 1500]byte
}

func newRTPSender(ssrc uint32, seq uint16, ts uint32, pt uint8) *rtpSender {
	return &rtpSender{ssrc: ssrc, seq: seq, ts: ts, pt: pt}
}

// next returns the next packet carrying payload, advancing seq by one and the timestamp by
// samples. The first packet has the marker bit set.
func (s *rtpSender) next(payload []byte, samples uint32) []byte {
	b := s.buf[:rtpHeaderLen+len(payload)]
	b[0] = 0x80
	b[1] = s.pt
	if !s.started {
		b[1] |= 0x80
		s.started = true
	}
	binary.BigEndian.PutUint16(b[2:], s.seq)
	binary.BigEndian.PutUint32(b[4:], s.ts)
	binary.BigEndian.PutUint32(b[8:], s.ssrc)
	copy(b[rtpHeaderLen:], payload)
	s.seq++
	s.ts += samples
	return b
}
