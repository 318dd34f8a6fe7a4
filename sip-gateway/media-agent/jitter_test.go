package main

import "testing"

func pkt(seq uint16) []byte { return []byte{byte(seq), byte(seq >> 8)} }

func popSeq(t *testing.T, jb *jitterBuffer) (int, popResult) {
	t.Helper()
	buf := make([]byte, 16)
	n, r := jb.Pop(buf)
	if r == popFrame {
		return int(buf[0]) | int(buf[1])<<8, r
	}
	_ = n
	return -1, r
}

func TestJitterPrimesAndReorders(t *testing.T) {
	jb := newJitterBuffer(16, 2, 5, 16)
	jb.Insert(100, pkt(100))
	if _, r := popSeq(t, jb); r != popEmpty {
		t.Fatal("played before primed")
	}
	jb.Insert(102, pkt(102))
	jb.Insert(101, pkt(101)) // reordered
	for _, want := range []int{100, 101, 102} {
		if got, r := popSeq(t, jb); r != popFrame || got != want {
			t.Fatalf("got %d (%v), want %d", got, r, want)
		}
	}
	if _, r := popSeq(t, jb); r != popEmpty {
		t.Fatal("expected underrun")
	}
	_, _, _, _, under := jb.Stats()
	if under != 1 {
		t.Fatalf("underruns %d", under)
	}
}

func TestJitterLossConcealedAndLateDropped(t *testing.T) {
	jb := newJitterBuffer(16, 2, 5, 16)
	jb.Insert(10, pkt(10))
	jb.Insert(12, pkt(12)) // 11 lost
	if s, _ := popSeq(t, jb); s != 10 {
		t.Fatal("want 10")
	}
	if _, r := popSeq(t, jb); r != popLost {
		t.Fatalf("want lost, got %v", r)
	}
	jb.Insert(11, pkt(11)) // too late now
	if s, _ := popSeq(t, jb); s != 12 {
		t.Fatal("want 12")
	}
	_, lost, late, _, _ := jb.Stats()
	if lost != 1 || late != 1 {
		t.Fatalf("lost %d late %d", lost, late)
	}
}

func TestJitterDrainsWhenTooDeep(t *testing.T) {
	jb := newJitterBuffer(16, 2, 5, 16)
	for s := uint16(0); s < 7; s++ {
		jb.Insert(s, pkt(s))
	}
	// depth 7 > max 5: the two oldest are dropped
	if s, _ := popSeq(t, jb); s != 2 {
		t.Fatalf("want 2, got %d", s)
	}
	_, _, _, dropped, _ := jb.Stats()
	if dropped != 2 {
		t.Fatalf("dropped %d", dropped)
	}
}

func TestJitterDrainsSlowlyWhenDeep(t *testing.T) {
	jb := newJitterBuffer(16, 2, 6, 16)
	seq := uint16(0)
	for ; seq < 5; seq++ { // a burst leaves depth 5 (> target+1)
		jb.Insert(seq, pkt(seq))
	}
	// steady state afterwards: one in, one out per tick; after drainAfter ticks one is dropped
	for i := 0; i < drainAfter+5; i++ {
		jb.Insert(seq, pkt(seq))
		seq++
		popSeq(t, jb)
	}
	jb.mu.Lock()
	depth := jb.depthLocked()
	jb.mu.Unlock()
	_, _, _, dropped, _ := jb.Stats()
	if dropped != 1 || depth != 4 {
		t.Fatalf("dropped %d depth %d", dropped, depth)
	}
}

func TestJitterWrapAndJump(t *testing.T) {
	jb := newJitterBuffer(16, 1, 5, 16)
	jb.Insert(65535, pkt(65535))
	jb.Insert(0, pkt(0))
	if s, _ := popSeq(t, jb); s != 65535 {
		t.Fatalf("want 65535 got %d", s)
	}
	if s, _ := popSeq(t, jb); s != 0 {
		t.Fatalf("want 0 got %d", s)
	}
	// after running dry, a later packet restarts playout there, without concealing the gap
	popSeq(t, jb)
	jb.Insert(9, pkt(9))
	if s, _ := popSeq(t, jb); s != 9 {
		t.Fatalf("want 9 got %d", s)
	}
	// a far jump resets
	jb.Insert(10, pkt(10))
	jb.Insert(5000, pkt(5000))
	if s, _ := popSeq(t, jb); s != 5000 {
		t.Fatalf("want 5000 got %d", s)
	}
}

func TestJitterNoAlloc(t *testing.T) {
	jb := newJitterBuffer(16, 2, 5, 160)
	payload := make([]byte, 160)
	dst := make([]byte, 160)
	seq := uint16(0)
	n := testing.AllocsPerRun(200, func() {
		jb.Insert(seq, payload)
		seq++
		jb.Pop(dst)
	})
	if n != 0 {
		t.Fatalf("allocs: %v", n)
	}
}
