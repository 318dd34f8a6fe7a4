package main

import "testing"

func constInput(v int16) *mixInput {
	in := &mixInput{has: true}
	for i := range in.pcm {
		in.pcm[i] = v
	}
	in.level = frameLevel(&in.pcm)
	return in
}

func TestMixMinusExcludesOwnVoice(t *testing.T) {
	a, b, c := constInput(1000), constInput(2000), constInput(4000)
	inputs := []*mixInput{a, b, c}
	var total [frameSamples]int32
	sel := make([]int, 8)
	n := selectSpeakers(inputs, defaultMixParams, &total, sel)
	if n != 3 || total[0] != 7000 {
		t.Fatalf("n=%d total=%d", n, total[0])
	}
	var out [frameSamples]int16
	var scratch [frameSamples]int32
	mixMinus(&out, &total, &a.pcm, &scratch)
	if out[0] != 6000 {
		t.Fatalf("A hears %d, want 6000 (B+C)", out[0])
	}
	mixMinus(&out, &total, &c.pcm, &scratch)
	if out[0] != 3000 {
		t.Fatalf("C hears %d, want 3000", out[0])
	}
}

func TestGateThresholdHangoverAndMaxSpeakers(t *testing.T) {
	p := mixParams{threshold: 100, hangTicks: 2, maxSpeakers: 2}
	quiet := constInput(10)
	loud := []*mixInput{constInput(500), constInput(3000), constInput(1500)}
	inputs := append([]*mixInput{quiet}, loud...)
	var total [frameSamples]int32
	sel := make([]int, 8)
	n := selectSpeakers(inputs, p, &total, sel)
	if n != 2 || quiet.on || loud[0].on || !loud[1].on || !loud[2].on || total[0] != 4500 {
		t.Fatalf("n=%d total=%d on=%v %v %v %v", n, total[0], quiet.on, loud[0].on, loud[1].on, loud[2].on)
	}
	// loud[1] falls silent: the louder ones take its place at once
	for i := range loud[1].pcm {
		loud[1].pcm[i] = 0
	}
	loud[1].level = 0
	if selectSpeakers(inputs, p, &total, sel); loud[1].on || !loud[0].on {
		t.Fatal("the next loudest should take the place")
	}
	// with room for all, it stays in for the hangover, then leaves
	p.maxSpeakers = 8
	loud[1].level = 3000
	selectSpeakers(inputs, p, &total, sel)
	loud[1].level = 0
	if selectSpeakers(inputs, p, &total, sel); !loud[1].on {
		t.Fatal("hangover should keep it")
	}
	selectSpeakers(inputs, p, &total, sel)
	if selectSpeakers(inputs, p, &total, sel); loud[1].on {
		t.Fatal("after the hangover it leaves")
	}
	// a source without a frame is never mixed
	loud[2].has = false
	if selectSpeakers(inputs, p, &total, sel); loud[2].on {
		t.Fatal("absent frame mixed")
	}
}

func TestLimiterScalesInsteadOfClipping(t *testing.T) {
	var src [frameSamples]int32
	for i := range src {
		if i%2 == 0 {
			src[i] = 60000
		} else {
			src[i] = -30000
		}
	}
	var dst [frameSamples]int16
	limitFrame(&dst, &src)
	if dst[0] < 32700 || dst[0] > 32767 {
		t.Fatalf("peak %d", dst[0])
	}
	// ratio kept (-30000/60000 = -0.5)
	if dst[1] > -16300 || dst[1] < -16400 {
		t.Fatalf("scaled %d", dst[1])
	}
	src = [frameSamples]int32{100, -200}
	limitFrame(&dst, &src)
	if dst[0] != 100 || dst[1] != -200 {
		t.Fatal("in-range frame altered")
	}
}

func TestMixNoAlloc(t *testing.T) {
	inputs := []*mixInput{constInput(1000), constInput(2000)}
	var total, scratch [frameSamples]int32
	var out [frameSamples]int16
	sel := make([]int, 8)
	n := testing.AllocsPerRun(100, func() {
		selectSpeakers(inputs, defaultMixParams, &total, sel)
		mixMinus(&out, &total, &inputs[0].pcm, &scratch)
	})
	if n != 0 {
		t.Fatalf("allocs %v", n)
	}
}
