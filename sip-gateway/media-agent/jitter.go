package main

import "sync"

// jitterBuffer reorders and paces one RTP source for the 20 ms mixer clock. The network side
// inserts packets (by sequence number); the mixer pops one per tick. It primes to `target`
// packets before playing, skips gaps once later packets are there, re-primes after running dry,
// drops the oldest packets when it holds more than `max` (a burst beyond what it may delay), and
// drains slowly when it stays deeper than target+1 for a second (one packet dropped: drift, or the
// latency a burst left behind). Slots are preallocated: no allocation per packet.
type jitterBuffer struct {
	mu      sync.Mutex
	slots   []jbSlot
	mask    uint16
	target  int
	max     int
	next    uint16 // sequence number the mixer plays next
	highest uint16 // highest sequence number held or played
	count   int    // packets held
	started bool
	primed  bool
	deep    int // consecutive pops with depth > target+1

	// counters (read under mu)
	played, lost, late, dropped, underruns uint64
}

type jbSlot struct {
	seq   uint16
	valid bool
	n     int
	data  []byte
}

type popResult int

const (
	popEmpty popResult = iota // nothing to play (not primed or ran dry)
	popFrame                  // a packet's payload was copied out
	popLost                   // the next packet is missing but later ones are there: conceal
)

// newJitterBuffer makes a buffer of `size` slots (a power of two) of maxPayload bytes each.
func newJitterBuffer(size, target, max, maxPayload int) *jitterBuffer {
	if size&(size-1) != 0 || target < 1 || max < target || max >= size {
		panic("jitterBuffer: bad sizes")
	}
	jb := &jitterBuffer{slots: make([]jbSlot, size), mask: uint16(size - 1), target: target, max: max}
	backing := make([]byte, size*maxPayload)
	for i := range jb.slots {
		jb.slots[i].data = backing[i*maxPayload : (i+1)*maxPayload]
	}
	return jb
}

func (jb *jitterBuffer) depthLocked() int {
	if jb.count == 0 {
		return 0
	}
	return int(int16(jb.highest-jb.next)) + 1
}

func (jb *jitterBuffer) resetLocked(seq uint16) {
	for i := range jb.slots {
		jb.slots[i].valid = false
	}
	jb.count = 0
	jb.next = seq
	jb.highest = seq
	jb.primed = false
}

// Insert stores a packet's payload (copied; truncated to the slot size).
func (jb *jitterBuffer) Insert(seq uint16, payload []byte) {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if !jb.started {
		jb.started = true
		jb.resetLocked(seq)
	}
	if jb.count == 0 && !jb.primed {
		// Dry and waiting: start from this packet rather than conceal a gap we already covered
		// with silence (after DTX, a mute or a pause).
		jb.next = seq
		jb.highest = seq
	}
	d := int(int16(seq - jb.next))
	if d < 0 {
		if d < -int(jb.mask)*4 { // far in the past: the source restarted its numbering
			jb.resetLocked(seq)
			d = 0
		} else {
			jb.late++
			return
		}
	}
	if d > int(jb.mask) { // far ahead: a jump; start over from here
		jb.dropped += uint64(jb.count)
		jb.resetLocked(seq)
	}
	s := &jb.slots[seq&jb.mask]
	if s.valid && s.seq == seq {
		return // duplicate
	}
	s.seq = seq
	s.valid = true
	s.n = copy(s.data, payload)
	jb.count++
	if int16(seq-jb.highest) > 0 {
		jb.highest = seq
	}
	// Too deep: drop the oldest until back at the maximum.
	for jb.depthLocked() > jb.max {
		jb.dropOldestLocked()
	}
}

func (jb *jitterBuffer) dropOldestLocked() {
	o := &jb.slots[jb.next&jb.mask]
	if o.valid && o.seq == jb.next {
		o.valid = false
		jb.count--
		jb.dropped++
	}
	jb.next++
}

// drainAfter is how many consecutive pops deeper than target+1 cost one dropped packet.
const drainAfter = 50

// Pop copies the next payload into dst and returns its length.
func (jb *jitterBuffer) Pop(dst []byte) (int, popResult) {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if !jb.started || jb.count == 0 {
		if jb.primed {
			jb.primed = false
			jb.underruns++
		}
		return 0, popEmpty
	}
	if !jb.primed {
		if jb.depthLocked() < jb.target {
			return 0, popEmpty
		}
		jb.primed = true
	}
	if jb.depthLocked() > jb.target+1 {
		jb.deep++
		if jb.deep >= drainAfter {
			jb.deep = 0
			jb.dropOldestLocked()
		}
	} else {
		jb.deep = 0
	}
	s := &jb.slots[jb.next&jb.mask]
	jb.next++
	if s.valid && s.seq == jb.next-1 {
		s.valid = false
		jb.count--
		jb.played++
		return copy(dst, s.data[:s.n]), popFrame
	}
	jb.lost++
	return 0, popLost
}

// Stats returns the counters.
func (jb *jitterBuffer) Stats() (played, lost, late, dropped, underruns uint64) {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return jb.played, jb.lost, jb.late, jb.dropped, jb.underruns
}
