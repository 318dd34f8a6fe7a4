package main

// G.711 µ-law and A-law, written from ITU-T G.711. Decoding is a 256-entry table; µ-law encoding
// is a table over the 14 significant bits of a linear sample, so the mixer's per-sample cost is
// one shift and one load.

var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
	linearToUlaw [1 << 14]byte // index: (sample >> 2) + 8192
)

func init() {
	for i := 0; i < 256; i++ {
		ulawToLinear[i] = ulawDecodeSlow(byte(i))
		alawToLinear[i] = alawDecodeSlow(byte(i))
	}
	for i := range linearToUlaw {
		linearToUlaw[i] = ulawEncodeSlow(int16((i - 8192) << 2))
	}
}

func ulawDecodeSlow(u byte) int16 {
	u = ^u
	t := (int(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func alawDecodeSlow(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0f) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

func ulawEncodeSlow(s int16) byte {
	const bias = 0x84
	const clip = 32635
	v := int(s)
	sign := 0
	if v < 0 {
		v = -v
		sign = 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// ulawEncode encodes one linear sample.
func ulawEncode(s int16) byte { return linearToUlaw[(int(s)>>2)+8192] }

// decodeULaw decodes len(src) µ-law bytes into dst.
func decodeULaw(dst []int16, src []byte) {
	_ = dst[len(src)-1]
	for i, b := range src {
		dst[i] = ulawToLinear[b]
	}
}

// decodeALaw decodes len(src) A-law bytes into dst.
func decodeALaw(dst []int16, src []byte) {
	_ = dst[len(src)-1]
	for i, b := range src {
		dst[i] = alawToLinear[b]
	}
}

// encodeULaw encodes len(src) samples into dst.
func encodeULaw(dst []byte, src []int16) {
	_ = dst[len(src)-1]
	for i, s := range src {
		dst[i] = linearToUlaw[(int(s)>>2)+8192]
	}
}
