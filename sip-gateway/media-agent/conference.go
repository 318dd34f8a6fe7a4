package main

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"gopkg.in/hraban/opus.v2"
)

const tokenTTL = time.Hour

var silenceULaw = func() (b [frameSamples]byte) {
	for i := range b {
		b[i] = 0xff
	}
	return
}()

// ---- conference ----

type conference struct {
	a    *agent
	name string

	mu      sync.Mutex // guards callers, remotes and the mix scratch (clock vs join/leave)
	callers []*caller
	remotes []*remoteTrack

	// mix scratch, used only by tick under mu
	inputs  []*mixInput
	sel     []int
	total   [frameSamples]int32
	scratch [frameSamples]int32
	pcm     [frameSamples]int16
	shared  [frameSamples]byte
	own     [frameSamples]byte

	lk        sync.Mutex // guards the mixer participant
	mixer     *lksdk.Room
	mixerBusy bool
	closed    bool
	rpPending bool
	speaking  map[string]bool
}

func newConference(a *agent, name string) *conference {
	return &conference{a: a, name: name, sel: make([]int, 64), speaking: map[string]bool{}}
}

func (c *conference) addCaller(cl *caller) {
	c.mu.Lock()
	c.callers = append(c.callers, cl)
	c.mu.Unlock()
}

// removeCaller reports whether the conference has no callers left.
func (c *conference) removeCaller(cl *caller) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.callers {
		if x == cl {
			c.callers = append(c.callers[:i], c.callers[i+1:]...)
			break
		}
	}
	return len(c.callers) == 0
}

func (c *conference) tick(p mixParams) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.callers) == 0 {
		return
	}
	in := c.inputs[:0]
	for _, r := range c.remotes {
		r.pull()
		in = append(in, &r.in)
	}
	for _, cl := range c.callers {
		cl.pull()
		in = append(in, &cl.in)
	}
	c.inputs = in
	if p.maxSpeakers > len(c.sel) {
		p.maxSpeakers = len(c.sel)
	}
	n := selectSpeakers(in, p, &c.total, c.sel)
	if n == 0 {
		for _, cl := range c.callers {
			cl.send(silenceULaw[:])
		}
		return
	}
	// One speaker who is a caller: the others hear that caller's frame as it came.
	var sharedSrc *caller
	if n == 1 && c.sel[0] >= len(c.remotes) {
		sharedSrc = c.callers[c.sel[0]-len(c.remotes)]
	}
	haveShared := false
	for _, cl := range c.callers {
		if cl.in.on {
			mixMinus(&c.pcm, &c.total, &cl.in.pcm, &c.scratch)
			encodeULaw(c.own[:], c.pcm[:])
			cl.send(c.own[:])
			continue
		}
		if !haveShared {
			if sharedSrc != nil {
				c.shared = sharedSrc.raw
			} else {
				limitFrame(&c.pcm, &c.total)
				encodeULaw(c.shared[:], c.pcm[:])
			}
			haveShared = true
		}
		cl.send(c.shared[:])
	}
}

// ensureMixer connects the conference's hidden subscriber unless it is there or connecting.
func (c *conference) ensureMixer() {
	c.lk.Lock()
	if c.closed || c.mixer != nil || c.mixerBusy || !c.a.lkUp.Load() {
		c.lk.Unlock()
		return
	}
	c.mixerBusy = true
	c.lk.Unlock()
	go c.connectMixer()
}

func (c *conference) connectMixer() {
	defer func() {
		c.lk.Lock()
		c.mixerBusy = false
		c.lk.Unlock()
	}()
	cfg := c.a.cfg
	identity := "foyer-media-agent-" + cfg.agentID
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			time.Sleep(backoff(attempt))
		}
		c.lk.Lock()
		stop := c.closed
		c.lk.Unlock()
		if stop || !c.a.lkUp.Load() {
			return
		}
		at := auth.NewAccessToken(cfg.apiKey, cfg.apiSecret).SetIdentity(identity).SetName("Foyer phone mix").
			SetValidFor(tokenTTL).SetVideoGrant(&auth.VideoGrant{
			RoomJoin: true, Room: c.name, Hidden: true,
			CanPublish: ptr(false), CanPublishData: ptr(false), CanSubscribe: ptr(true),
		})
		tok, err := at.ToJWT()
		if err != nil {
			log.Error("mixer token", "err", err.Error())
			return
		}
		var room *lksdk.Room
		cb := lksdk.NewRoomCallback()
		cb.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			c.maybeSubscribe(pub, rp)
		}
		cb.OnTrackSubscribed = func(t *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			c.addRemote(t, pub, rp)
		}
		cb.OnTrackUnsubscribed = func(t *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			c.removeRemote(pub.SID())
		}
		cb.OnTrackUnpublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			c.removeRemote(pub.SID())
		}
		cb.OnParticipantConnected = func(*lksdk.RemoteParticipant) { c.participantsChanged() }
		cb.OnParticipantDisconnected = func(*lksdk.RemoteParticipant) { c.participantsChanged() }
		cb.OnMetadataChanged = func(string, lksdk.Participant) { c.participantsChanged() }
		cb.OnActiveSpeakersChanged = func(ps []lksdk.Participant) {
			m := map[string]bool{}
			for _, p := range ps {
				m[p.Identity()] = true
			}
			c.lk.Lock()
			c.speaking = m
			c.lk.Unlock()
			c.participantsChanged()
		}
		cb.OnReconnecting = func() { c.a.kickHealth() }
		cb.OnDisconnectedWithReason = func(reason lksdk.DisconnectionReason) {
			c.lk.Lock()
			mine := room != nil && c.mixer == room
			if mine {
				c.mixer = nil
			}
			c.lk.Unlock()
			if !mine {
				return
			}
			log.Warn("mixer disconnected", "conference", c.name, "reason", string(reason))
			c.clearRemotes()
			c.a.kickHealth()
			go func() { time.Sleep(time.Second); c.ensureMixer() }()
		}
		c.a.connectSem <- struct{}{}
		r, err := lksdk.ConnectToRoomWithToken(cfg.livekitURL, tok, cb, lksdk.WithAutoSubscribe(false))
		<-c.a.connectSem
		if err != nil {
			log.Warn("mixer connect failed", "conference", c.name, "attempt", attempt, "err", err.Error())
			c.a.kickHealth()
			continue
		}
		c.lk.Lock()
		if c.closed || !c.a.lkUp.Load() {
			c.lk.Unlock()
			r.Disconnect()
			return
		}
		room = r
		c.mixer = r
		c.lk.Unlock()
		// Tracks published before we joined (OnTrackPublished may have run before room was set).
		for _, rp := range r.GetRemoteParticipants() {
			for _, tp := range rp.TrackPublications() {
				if pub, ok := tp.(*lksdk.RemoteTrackPublication); ok {
					c.maybeSubscribe(pub, rp)
				}
			}
		}
		log.Info("mixer connected", "conference", c.name)
		c.participantsChanged()
		return
	}
}

func ptr[T any](v T) *T { return &v }

// callerConnectOptions: a caller publishes one PCMU track and subscribes to nothing. (Publishing
// with RTCP sender reports only instead of the SDK's default interceptors — NACK buffer, TWCC —
// measured no cheaper: the cost is in the send system calls.)
func (a *agent) callerConnectOptions() []lksdk.ConnectOption {
	return []lksdk.ConnectOption{lksdk.WithAutoSubscribe(false)}
}

func backoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << min(attempt, 5)
	return min(d, 8*time.Second)
}

func (c *conference) maybeSubscribe(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if pub.Kind() != lksdk.TrackKindAudio || c.a.isOwnIdentity(rp.Identity()) || pub.IsSubscribed() {
		return
	}
	if err := pub.SetSubscribed(true); err != nil {
		log.Warn("subscribe failed", "conference", c.name, "identity", rp.Identity(), "err", err.Error())
	}
}

func (c *conference) addRemote(t *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if t.Kind() != webrtc.RTPCodecTypeAudio || c.a.isOwnIdentity(rp.Identity()) {
		return
	}
	mime := strings.ToLower(t.Codec().MimeType)
	r := &remoteTrack{sid: pub.SID(), identity: rp.Identity(), track: t, mime: mime}
	switch mime {
	case strings.ToLower(webrtc.MimeTypeOpus):
		dec, err := opus.NewDecoder(8000, 1)
		if err != nil {
			log.Error("opus decoder", "err", err.Error())
			return
		}
		r.dec = dec
	case strings.ToLower(webrtc.MimeTypePCMU), strings.ToLower(webrtc.MimeTypePCMA):
	default:
		log.Warn("remote audio codec not mixed", "conference", c.name, "identity", rp.Identity(), "codec", mime)
		return
	}
	r.jb = newJitterBuffer(16, 3, 10, 1500)
	c.mu.Lock()
	for _, x := range c.remotes {
		if x.sid == r.sid {
			c.mu.Unlock()
			return
		}
	}
	c.remotes = append(c.remotes, r)
	c.mu.Unlock()
	log.Info("mixing remote track", "conference", c.name, "identity", rp.Identity(), "codec", mime)
	go r.readLoop()
}

func (c *conference) removeRemote(sid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range c.remotes {
		if r.sid == sid {
			r.closed.Store(true)
			c.remotes = append(c.remotes[:i], c.remotes[i+1:]...)
			return
		}
	}
}

func (c *conference) clearRemotes() {
	c.mu.Lock()
	for _, r := range c.remotes {
		r.closed.Store(true)
	}
	c.remotes = nil
	c.mu.Unlock()
}

func (c *conference) dropMixer() {
	c.lk.Lock()
	r := c.mixer
	c.mixer = nil
	c.lk.Unlock()
	c.clearRemotes()
	if r != nil {
		go r.Disconnect()
	}
}

func (c *conference) close() {
	c.lk.Lock()
	c.closed = true
	c.lk.Unlock()
	c.dropMixer()
}

// participantsChanged emits remote_participants, at most every 250 ms.
func (c *conference) participantsChanged() {
	c.lk.Lock()
	if c.rpPending || c.closed {
		c.lk.Unlock()
		return
	}
	c.rpPending = true
	c.lk.Unlock()
	time.AfterFunc(250*time.Millisecond, func() {
		c.lk.Lock()
		c.rpPending = false
		room := c.mixer
		speaking := c.speaking
		closed := c.closed
		c.lk.Unlock()
		if room == nil || closed {
			return
		}
		ps := []map[string]any{}
		for _, rp := range room.GetRemoteParticipants() {
			if c.a.isOwnIdentity(rp.Identity()) {
				continue
			}
			ps = append(ps, map[string]any{"identity": rp.Identity(), "name": rp.Name(), "speaking": speaking[rp.Identity()]})
		}
		c.a.emit(map[string]any{"event": "remote_participants", "conference": c.name, "participants": ps})
	})
}

func (c *conference) stats() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]map[string]any, 0, len(c.remotes))
	for _, r := range c.remotes {
		played, lost, late, dropped, underruns := r.jb.Stats()
		out = append(out, map[string]any{"conference": c.name, "identity": r.identity, "codec": r.mime,
			"received": r.received.Load(), "played": played, "lost": lost, "late": late, "dropped": dropped, "underruns": underruns})
	}
	return out
}

// ---- a remote track (browser, Element Call, another agent's caller) ----

type remoteTrack struct {
	sid, identity, mime string
	track               *webrtc.TrackRemote
	dec                 *opus.Decoder
	jb                  *jitterBuffer
	closed              atomic.Bool
	received            atomic.Uint64

	// used by the clock only
	in   mixInput
	pkt  [1500]byte
	fifo [960 + 2*frameSamples]int16 // decoded 8 kHz samples not yet mixed (Opus frames up to 120 ms)
	fn   int
}

func (r *remoteTrack) readLoop() {
	buf := make([]byte, 1500)
	for !r.closed.Load() {
		n, _, err := r.track.Read(buf)
		if err != nil {
			return
		}
		h, payload, ok := parseRTP(buf[:n])
		if !ok || len(payload) == 0 {
			continue
		}
		r.received.Add(1)
		r.jb.Insert(h.Seq, payload)
	}
}

// pull decodes enough to offer one 20 ms frame to the mix.
func (r *remoteTrack) pull() {
	for r.fn < frameSamples {
		n, res := r.jb.Pop(r.pkt[:])
		if res == popEmpty {
			break
		}
		space := r.fifo[r.fn:]
		switch {
		case res == popLost && r.dec != nil:
			if err := r.dec.DecodePLC(space[:frameSamples]); err != nil {
				clear(space[:frameSamples])
			}
			r.fn += frameSamples
		case res == popLost:
			clear(space[:frameSamples])
			r.fn += frameSamples
		case r.dec != nil:
			got, err := r.dec.Decode(r.pkt[:n], space)
			if err == nil {
				r.fn += got
			}
		case r.mime == "audio/pcmu":
			m := min(n, len(space))
			decodeULaw(space[:m], r.pkt[:m])
			r.fn += m
		default:
			m := min(n, len(space))
			decodeALaw(space[:m], r.pkt[:m])
			r.fn += m
		}
	}
	if r.fn < frameSamples {
		r.fn = 0 // ran dry: drop the partial frame
		r.in.has = false
		return
	}
	copy(r.in.pcm[:], r.fifo[:frameSamples])
	r.fn = copy(r.fifo[:], r.fifo[frameSamples:r.fn])
	r.in.has = true
	r.in.level = frameLevel(&r.in.pcm)
}

// ---- a caller ----

type caller struct {
	a                             *agent
	conf                          *conference
	id, identity, name, metadata  string
	attributes                    map[string]string
	conn                          *net.UDPConn
	rtpTo                         netip.AddrPort
	muted                         atomic.Bool
	jb                            *jitterBuffer
	track                         atomic.Pointer[webrtc.TrackLocalStaticRTP]
	fromRelay, toLiveKit, toRelay atomic.Uint64
	foreign, suppressed           atomic.Uint64

	// clock only
	in  mixInput
	raw [frameSamples]byte
	out *rtpSender

	lk      sync.Mutex // guards the LiveKit participant
	room    *lksdk.Room
	pub     *lksdk.LocalTrackPublication
	busy    bool
	closed  bool
	removed bool // removed by the server: not rejoined
	failed  bool
}

func newCaller(a *agent, conf *conference, r *request, conn *net.UDPConn, to netip.AddrPort) *caller {
	cl := &caller{a: a, conf: conf, id: r.Caller, identity: r.Identity, name: r.Name, metadata: r.Metadata,
		attributes: r.Attributes, conn: conn, rtpTo: to,
		jb:  newJitterBuffer(16, 2, 7, frameSamples),
		out: newRTPSender(randomU32(), uint16(randomU32()), randomU32(), ptPCMU)}
	if r.Muted != nil && *r.Muted {
		cl.muted.Store(true)
	}
	return cl
}

func (cl *caller) readLoop() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	suppress := cl.a.suppressSilence
	threshold, hangTicks := cl.a.params.threshold, cl.a.params.hangTicks
	hang := 0
	for {
		n, from, err := cl.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if from.Addr().Unmap() != cl.rtpTo.Addr() || from.Port() != cl.rtpTo.Port() {
			cl.foreign.Add(1)
			continue
		}
		h, payload, ok := parseRTP(buf[:n])
		if !ok || h.PayloadType != ptPCMU || len(payload) == 0 {
			continue
		}
		cl.fromRelay.Add(1)
		if cl.muted.Load() {
			continue
		}
		cl.jb.Insert(h.Seq, payload)
		t := cl.track.Load()
		if t == nil {
			continue
		}
		marker := h.Marker
		if suppress {
			// Silence suppression (RFC 3551 style): frames below the mix threshold, after a
			// hangover, are not sent to LiveKit; the first frame of a talk spurt has the marker.
			if ulawLevel(payload) >= threshold {
				if hang == 0 {
					marker = true
				}
				hang = hangTicks
			} else if hang > 0 {
				hang--
			}
			if hang == 0 {
				cl.suppressed.Add(1)
				continue
			}
		}
		{
			pkt.Header = rtp.Header{Version: 2, Marker: marker, PayloadType: ptPCMU, SequenceNumber: h.Seq, Timestamp: h.Timestamp, SSRC: h.SSRC}
			pkt.Payload = payload
			if t.WriteRTP(&pkt) == nil {
				cl.toLiveKit.Add(1)
			}
		}
	}
}

func (cl *caller) pull() {
	cl.in.has = false
	if cl.muted.Load() {
		return
	}
	n, res := cl.jb.Pop(cl.raw[:])
	if res != popFrame {
		return
	}
	if n < frameSamples {
		copy(cl.raw[n:], silenceULaw[n:])
	}
	decodeULaw(cl.in.pcm[:], cl.raw[:])
	cl.in.has = true
	cl.in.level = frameLevel(&cl.in.pcm)
}

func (cl *caller) send(payload []byte) {
	pkt := cl.out.next(payload, frameSamples)
	if _, err := cl.conn.WriteToUDPAddrPort(pkt, cl.rtpTo); err == nil {
		cl.toRelay.Add(1)
	}
}

func (cl *caller) setMuted(m bool) {
	cl.muted.Store(m)
	cl.lk.Lock()
	pub := cl.pub
	cl.lk.Unlock()
	if pub != nil {
		pub.SetMuted(m)
	}
}

func (cl *caller) ensureRoom() {
	cl.lk.Lock()
	if cl.closed || cl.removed || cl.room != nil || cl.busy || !cl.a.lkUp.Load() {
		cl.lk.Unlock()
		return
	}
	cl.busy = true
	cl.lk.Unlock()
	go cl.connect()
}

func (cl *caller) connect() {
	defer func() {
		cl.lk.Lock()
		cl.busy = false
		cl.lk.Unlock()
	}()
	cfg := cl.a.cfg
	var lastErr error
	failures := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			time.Sleep(backoff(attempt))
		}
		cl.lk.Lock()
		stop := cl.closed || cl.removed
		cl.lk.Unlock()
		if stop || !cl.a.lkUp.Load() {
			return // rejoined when LiveKit is back
		}
		if failures >= 5 {
			log.Warn("caller failed", "caller", cl.id, "err", lastErr.Error())
			cl.a.emit(map[string]any{"event": "caller_failed", "caller": cl.id, "reason": lastErr.Error()})
			cl.lk.Lock()
			cl.failed = true
			cl.lk.Unlock()
			return
		}
		at := auth.NewAccessToken(cfg.apiKey, cfg.apiSecret).SetIdentity(cl.identity).SetName(cl.name).
			SetValidFor(tokenTTL).SetVideoGrant(&auth.VideoGrant{
			RoomJoin: true, Room: cl.conf.name,
			CanPublish: ptr(true), CanPublishSources: []string{"microphone"},
			CanSubscribe: ptr(false), CanPublishData: ptr(false), CanUpdateOwnMetadata: ptr(false),
		})
		if cl.metadata != "" {
			at.SetMetadata(cl.metadata)
		}
		if len(cl.attributes) > 0 {
			at.SetAttributes(cl.attributes)
		}
		tok, err := at.ToJWT()
		if err != nil {
			lastErr = err
			failures = 5
			continue
		}
		var room *lksdk.Room
		cb := lksdk.NewRoomCallback()
		// Reconnecting: the signal or media connection broke (e.g. the node hosting the room died);
		// the SDK resumes, or connects anew and lands on another node. The gateway holds the caller
		// meanwhile.
		cb.OnReconnecting = func() {
			cl.a.kickHealth()
			if cl.isRoom(&room) {
				cl.a.emit(map[string]any{"event": "caller_reconnecting", "caller": cl.id})
			}
		}
		cb.OnReconnected = func() {
			if cl.isRoom(&room) {
				log.Info("caller reconnected", "caller", cl.id)
				cl.a.emit(map[string]any{"event": "caller_connected", "caller": cl.id})
			}
		}
		cb.OnTrackMuted = func(pub lksdk.TrackPublication, p lksdk.Participant) {
			if _, local := p.(*lksdk.LocalParticipant); local && !cl.muted.Load() {
				cl.muted.Store(true) // muted server-side (moderator): keep it out of the local mix too
				cl.a.emit(map[string]any{"event": "caller_muted", "caller": cl.id, "muted": true})
			}
		}
		cb.OnDisconnectedWithReason = func(reason lksdk.DisconnectionReason) {
			cl.lk.Lock()
			mine := room != nil && cl.room == room
			if mine {
				cl.room = nil
				cl.pub = nil
				cl.track.Store(nil)
				if reason == lksdk.ParticipantRemoved || reason == lksdk.RoomClosed || reason == lksdk.DuplicateIdentity {
					cl.removed = true
				}
			}
			removed := cl.removed
			cl.lk.Unlock()
			if !mine {
				return
			}
			log.Warn("caller disconnected", "caller", cl.id, "reason", string(reason))
			cl.a.emit(map[string]any{"event": "caller_disconnected", "caller": cl.id, "reason": string(reason), "rejoining": !removed})
			if !removed {
				cl.a.kickHealth()
				go func() { time.Sleep(time.Second); cl.ensureRoom() }()
			}
		}
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "audio", cl.identity)
		if err != nil {
			lastErr = err
			failures++
			continue
		}
		cl.a.connectSem <- struct{}{}
		r, err := lksdk.ConnectToRoomWithToken(cfg.livekitURL, tok, cb, cl.a.callerConnectOptions()...)
		var pub *lksdk.LocalTrackPublication
		if err == nil {
			pub, err = r.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "phone", Source: livekit.TrackSource_MICROPHONE})
			if err != nil {
				r.Disconnect()
			}
		}
		<-cl.a.connectSem
		if err != nil {
			lastErr = err
			if cl.a.lkUp.Load() {
				failures++
			}
			log.Warn("caller connect failed", "caller", cl.id, "attempt", attempt, "err", err.Error())
			cl.a.kickHealth()
			continue
		}
		cl.lk.Lock()
		if cl.closed || !cl.a.lkUp.Load() {
			cl.lk.Unlock()
			r.Disconnect()
			return
		}
		room = r
		cl.room = r
		cl.pub = pub
		cl.failed = false
		muted := cl.muted.Load()
		cl.lk.Unlock()
		if muted {
			pub.SetMuted(true)
		}
		cl.track.Store(track)
		log.Info("caller connected", "caller", cl.id, "identity", cl.identity)
		cl.a.emit(map[string]any{"event": "caller_connected", "caller": cl.id})
		return
	}
}

// isRoom tells whether *r is the caller's current room connection (callbacks of an old one are
// ignored); *r is written under cl.lk, so it is read there too.
func (cl *caller) isRoom(r **lksdk.Room) bool {
	cl.lk.Lock()
	defer cl.lk.Unlock()
	return *r != nil && cl.room == *r
}

// dropRoom disconnects the caller's participant (LiveKit went away), keeping the caller.
func (cl *caller) dropRoom() {
	cl.lk.Lock()
	r := cl.room
	cl.room = nil
	cl.pub = nil
	cl.track.Store(nil)
	cl.lk.Unlock()
	if r != nil {
		go r.Disconnect()
	}
}

func (cl *caller) close() {
	cl.lk.Lock()
	cl.closed = true
	cl.lk.Unlock()
	cl.dropRoom()
	_ = cl.conn.Close()
}

func (cl *caller) stats() map[string]any {
	played, lost, late, dropped, underruns := cl.jb.Stats()
	cl.lk.Lock()
	state := "connecting"
	switch {
	case cl.room != nil:
		state = "connected"
	case cl.removed:
		state = "removed"
	case cl.failed:
		state = "failed"
	}
	cl.lk.Unlock()
	return map[string]any{"caller": cl.id, "conference": cl.conf.name, "state": state, "muted": cl.muted.Load(),
		"fromRelay": cl.fromRelay.Load(), "toLiveKit": cl.toLiveKit.Load(), "suppressed": cl.suppressed.Load(), "toRelay": cl.toRelay.Load(),
		"foreign": cl.foreign.Load(), "played": played, "lost": lost, "late": late, "dropped": dropped, "underruns": underruns}
}
