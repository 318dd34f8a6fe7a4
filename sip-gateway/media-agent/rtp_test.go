package main

import (
	"encoding/binary"
	"testing"
)

func TestSenderAndParse(t *testing.T) {
	s := newRTPSender(0x11223344, 65535, 4294967200, ptPCMU)
	payload := make([]byte, frameSamples)
	p1 := append([]byte(nil), s.next(payload, frameSamples)...)
	p2 := append([]byte(nil), s.next(payload, frameSamples)...)
	h1, pl1, ok := parseRTP(p1)
	if !ok || len(pl1) != frameSamples || !h1.Marker || h1.SSRC != 0x11223344 || h1.Seq != 65535 || h1.PayloadType != 0 {
		t.Fatalf("first packet %+v ok=%v len=%d", h1, ok, len(pl1))
	}
	h2, _, _ := parseRTP(p2)
	if h2.Marker || h2.Seq != 0 || h2.Timestamp != uint32(4294967200+160-4294967296) {
		t.Fatalf("second packet %+v (seq and timestamp must wrap)", h2)
	}
}

func TestParseCSRCExtensionPadding(t *testing.T) {
	b := make([]byte, 12+4+8+10+3)
	b[0] = 0x80 | 0x20 | 0x10 | 1 // padding, extension, 1 CSRC
	b[1] = 8
	binary.BigEndian.PutUint16(b[2:], 7)
	binary.BigEndian.PutUint16(b[16+2:], 1) // extension length: 1 word
	for i := 0; i < 10; i++ {
		b[24+i] = byte(i + 1)
	}
	b[len(b)-1] = 3
	h, pl, ok := parseRTP(b)
	if !ok || h.PayloadType != 8 || h.Seq != 7 || len(pl) != 10 || pl[0] != 1 || pl[9] != 10 {
		t.Fatalf("parse: %+v %v %v", h, pl, ok)
	}
	if _, _, ok := parseRTP(b[:11]); ok {
		t.Fatal("short packet accepted")
	}
	bad := append([]byte(nil), b...)
	bad[0] = 0x40
	if _, _, ok := parseRTP(bad); ok {
		t.Fatal("version 1 accepted")
	}
}

func TestSenderNoAlloc(t *testing.T) {
	s := newRTPSender(1, 1, 1, 0)
	payload := make([]byte, frameSamples)
	if n := testing.AllocsPerRun(100, func() { s.next(payload, frameSamples) }); n != 0 {
		t.Fatalf("allocs per packet: %v", n)
	}
	pkt := s.next(payload, frameSamples)
	if n := testing.AllocsPerRun(100, func() { parseRTP(pkt) }); n != 0 {
		t.Fatalf("allocs per parse: %v", n)
	}
}
