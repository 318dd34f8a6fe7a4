package main

// The mixing arithmetic, kept free of I/O so it can be tested on its own.
//
// Each tick every source (a caller's PCMU from the relay, a remote LiveKit track decoded to
// 8 kHz) offers one 20 ms frame. Sources whose level passes a threshold (with a hangover, so
// word endings are not cut) are candidates; the loudest maxSpeakers of them are summed into one
// total. A listener who is not in the total hears the total (encoded once for all of them); a
// listener in the total hears total minus their own frame (mix-minus). A frame whose peak would
// overflow 16 bits is scaled down as a whole (no hard clipping unless a single sample is out of
// range after that, which the final clamp catches).

type mixInput struct {
	pcm   [frameSamples]int16
	has   bool  // a frame is present this tick
	level int32 // mean absolute sample value of pcm
	hang  int   // ticks left in the hangover
	on    bool  // in this tick's total
}

// frameLevel is the mean absolute value of a frame (a cheap loudness measure).
func frameLevel(pcm *[frameSamples]int16) int32 {
	var sum int32
	for _, s := range pcm {
		if s < 0 {
			sum -= int32(s)
		} else {
			sum += int32(s)
		}
	}
	return sum / frameSamples
}

type mixParams struct {
	threshold   int32 // mean absolute level a frame needs to open the gate
	hangTicks   int   // how long the gate stays open after the level falls
	maxSpeakers int   // at most this many sources are summed
}

var defaultMixParams = mixParams{threshold: 60, hangTicks: 15, maxSpeakers: 8}

// selectSpeakers updates the gates of inputs, marks the sources in the total (input.on), sums them
// into total and returns how many were selected. sel is scratch space of len ≥ maxSpeakers.
func selectSpeakers(inputs []*mixInput, p mixParams, total *[frameSamples]int32, sel []int) int {
	n := 0
	for i, in := range inputs {
		in.on = false
		if in.has && in.level >= p.threshold {
			in.hang = p.hangTicks
		} else if in.hang > 0 {
			in.hang--
		}
		if !in.has || in.hang == 0 {
			continue
		}
		// insert i into sel, kept sorted by level, descending, at most maxSpeakers long
		if n == p.maxSpeakers && inputs[sel[n-1]].level >= in.level {
			continue
		}
		j := n
		if n < p.maxSpeakers {
			n++
		} else {
			j = n - 1
		}
		for j > 0 && inputs[sel[j-1]].level < in.level {
			sel[j] = sel[j-1]
			j--
		}
		sel[j] = i
	}
	*total = [frameSamples]int32{}
	for _, i := range sel[:n] {
		in := inputs[i]
		in.on = true
		for k, s := range in.pcm {
			total[k] += int32(s)
		}
	}
	return n
}

// limitFrame writes src to dst, scaling the whole frame down if its peak exceeds 16 bits.
func limitFrame(dst *[frameSamples]int16, src *[frameSamples]int32) {
	var peak int32
	for _, v := range src {
		if v < 0 {
			v = -v
		}
		if v > peak {
			peak = v
		}
	}
	if peak <= 32767 {
		for i, v := range src {
			dst[i] = int16(v)
		}
		return
	}
	// gain in Q16
	g := int64(32767) << 16 / int64(peak)
	for i, v := range src {
		x := (int64(v) * g) >> 16
		if x > 32767 {
			x = 32767
		} else if x < -32768 {
			x = -32768
		}
		dst[i] = int16(x)
	}
}

// mixMinus writes total minus own, limited, to dst.
func mixMinus(dst *[frameSamples]int16, total *[frameSamples]int32, own *[frameSamples]int16, scratch *[frameSamples]int32) {
	for i := range total {
		scratch[i] = total[i] - int32(own[i])
	}
	limitFrame(dst, scratch)
}

// ulawLevel is frameLevel of a µ-law payload, without decoding it into a buffer.
func ulawLevel(payload []byte) int32 {
	if len(payload) == 0 {
		return 0
	}
	var sum int32
	for _, b := range payload {
		s := int32(ulawToLinear[b])
		if s < 0 {
			s = -s
		}
		sum += s
	}
	return sum / int32(len(payload))
}
