package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request is every control request; fields are used per method.
type request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`

	// configure
	LivekitURL   string `json:"livekitUrl"`
	APIKey       string `json:"apiKey"`
	APISecret    string `json:"apiSecret"`
	AgentID      string `json:"agentId"`
	PortMin      int    `json:"portMin"`
	PortMax      int    `json:"portMax"`
	BindAddress  string `json:"bindAddress"`
	MixThreshold *int   `json:"mixThreshold"`
	MaxSpeakers  *int   `json:"maxSpeakers"`
	// SuppressSilence (default true): callers' silent frames are not forwarded to LiveKit.
	SuppressSilence *bool `json:"suppressSilence"`

	// join / mute / leave / close
	Conference string            `json:"conference"`
	Caller     string            `json:"caller"`
	Identity   string            `json:"identity"`
	Name       string            `json:"name"`
	Metadata   string            `json:"metadata"`
	Attributes map[string]string `json:"attributes"`
	RTPTo      *struct {
		Address string `json:"address"`
		Port    int    `json:"port"`
	} `json:"rtpTo"`
	Muted *bool `json:"muted"`
}

type config struct {
	livekitURL, httpURL, apiKey, apiSecret, agentID string
	bindAddress                                     string
}

type agent struct {
	emit func(any)

	mu     sync.Mutex
	cfg    *config
	params mixParams
	// set once at configure, read-only afterwards
	suppressSilence bool
	confs           map[string]*conference
	confList        []*conference // what the clock iterates; rebuilt on change
	callers         map[string]*caller
	identities      map[string]bool // LiveKit identities of our own callers (never subscribed)
	ports           portRange
	closed          bool

	ticks, lateTicks atomic.Uint64

	lkUp       atomic.Bool
	healthKick chan struct{}
	connectSem chan struct{} // bounds concurrent LiveKit connects
}

func newAgent(emit func(any)) *agent {
	return &agent{
		emit:       emit,
		params:     defaultMixParams,
		confs:      map[string]*conference{},
		callers:    map[string]*caller{},
		identities: map[string]bool{},
		healthKick: make(chan struct{}, 1),
		connectSem: make(chan struct{}, 12),
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomU32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func (a *agent) handle(r *request) (map[string]any, error) {
	switch r.Method {
	case "configure":
		return a.configure(r)
	case "join":
		return a.join(r)
	case "mute":
		return a.mute(r)
	case "leave":
		return nil, a.leave(r.Caller)
	case "close":
		return nil, a.closeConference(r.Conference)
	case "stats":
		return a.stats(), nil
	case "ping":
		return map[string]any{"livekit": a.lkState()}, nil
	}
	return nil, fmt.Errorf("unknown method %q", r.Method)
}

func (a *agent) lkState() string {
	if a.lkUp.Load() {
		return "up"
	}
	return "down"
}

func (a *agent) configure(r *request) (map[string]any, error) {
	if r.LivekitURL == "" || r.APIKey == "" || r.APISecret == "" {
		return nil, errors.New("configure needs livekitUrl, apiKey and apiSecret")
	}
	httpURL := r.LivekitURL
	switch {
	case strings.HasPrefix(httpURL, "ws://"):
		httpURL = "http://" + httpURL[5:]
	case strings.HasPrefix(httpURL, "wss://"):
		httpURL = "https://" + httpURL[6:]
	}
	if r.PortMin < 0 || r.PortMax < r.PortMin || r.PortMax > 65535 {
		return nil, errors.New("bad port range")
	}
	a.mu.Lock()
	if a.cfg != nil {
		a.mu.Unlock()
		return nil, errors.New("already configured")
	}
	id := r.AgentID
	if id == "" {
		id = randomHex(4)
	}
	bind := r.BindAddress
	if bind == "" {
		bind = "127.0.0.1"
	}
	a.cfg = &config{livekitURL: r.LivekitURL, httpURL: httpURL, apiKey: r.APIKey, apiSecret: r.APISecret, agentID: id, bindAddress: bind}
	a.ports = portRange{min: r.PortMin, max: r.PortMax, next: r.PortMin}
	if r.MixThreshold != nil {
		a.params.threshold = int32(*r.MixThreshold)
	}
	a.suppressSilence = r.SuppressSilence == nil || *r.SuppressSilence
	if r.MaxSpeakers != nil && *r.MaxSpeakers > 0 {
		a.params.maxSpeakers = *r.MaxSpeakers
	}
	a.mu.Unlock()
	up := a.probe()
	a.lkUp.Store(up)
	go a.health()
	log.Info("configured", "livekitUrl", r.LivekitURL, "agentId", id, "livekit", a.lkState())
	return map[string]any{"livekit": a.lkState(), "agentId": id}, nil
}

// ---- LiveKit health: one HTTP probe loop decides up/down for the whole process ----

var probeClient = &http.Client{Timeout: time.Second}

func (a *agent) probe() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.httpURL, nil)
	res, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200
}

// kickHealth asks for an immediate probe (a participant lost its connection).
func (a *agent) kickHealth() {
	select {
	case a.healthKick <- struct{}{}:
	default:
	}
}

func (a *agent) health() {
	fails := 0
	for {
		kicked := false
		wait := 2 * time.Second
		if !a.lkUp.Load() {
			wait = 500 * time.Millisecond
		}
		select {
		case <-a.healthKick:
			kicked = true
		case <-time.After(wait):
		}
		a.mu.Lock()
		closed := a.closed
		a.mu.Unlock()
		if closed {
			return
		}
		if a.probe() {
			fails = 0
			if !a.lkUp.Load() {
				a.lkUp.Store(true)
				log.Info("livekit up")
				a.emit(map[string]any{"event": "livekit_up"})
				a.reconnectAll()
			}
			continue
		}
		fails++
		if a.lkUp.Load() && (kicked || fails >= 2) {
			a.lkUp.Store(false)
			log.Warn("livekit down")
			a.emit(map[string]any{"event": "livekit_down"})
			a.dropAll()
		}
	}
}

func (a *agent) snapshot() ([]*conference, []*caller) {
	a.mu.Lock()
	defer a.mu.Unlock()
	confs := append([]*conference(nil), a.confList...)
	callers := make([]*caller, 0, len(a.callers))
	for _, c := range a.callers {
		callers = append(callers, c)
	}
	return confs, callers
}

// dropAll disconnects every LiveKit participant (LiveKit went away; the SDK's own resume
// attempts would only pile up). Local mixing goes on.
func (a *agent) dropAll() {
	confs, callers := a.snapshot()
	for _, c := range confs {
		c.dropMixer()
	}
	for _, cl := range callers {
		cl.dropRoom()
	}
}

func (a *agent) reconnectAll() {
	confs, callers := a.snapshot()
	for _, c := range confs {
		c.ensureMixer()
	}
	for _, cl := range callers {
		cl.ensureRoom()
	}
}

// ---- requests ----

func (a *agent) join(r *request) (map[string]any, error) {
	if r.Conference == "" || r.Caller == "" || r.Identity == "" || r.RTPTo == nil || r.RTPTo.Port <= 0 {
		return nil, errors.New("join needs conference, caller, identity and rtpTo {address, port}")
	}
	addr, err := netip.ParseAddr(r.RTPTo.Address)
	if err != nil {
		return nil, fmt.Errorf("rtpTo.address: %v", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg == nil {
		return nil, errors.New("not configured")
	}
	if a.closed {
		return nil, errors.New("shutting down")
	}
	if _, ok := a.callers[r.Caller]; ok {
		return nil, fmt.Errorf("caller %q already joined", r.Caller)
	}
	if a.identities[r.Identity] {
		return nil, fmt.Errorf("identity %q already in use", r.Identity)
	}
	bind := a.cfg.bindAddress
	conn, err := a.ports.listen(bind)
	if err != nil {
		return nil, fmt.Errorf("no UDP port: %v", err)
	}
	conf := a.confs[r.Conference]
	if conf == nil {
		conf = newConference(a, r.Conference)
		a.confs[r.Conference] = conf
		a.rebuildConfListLocked()
	}
	cl := newCaller(a, conf, r, conn, netip.AddrPortFrom(addr.Unmap(), uint16(r.RTPTo.Port)))
	a.callers[r.Caller] = cl
	a.identities[r.Identity] = true
	conf.addCaller(cl)
	go cl.readLoop()
	conf.ensureMixer()
	cl.ensureRoom()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	log.Info("caller joined", "caller", r.Caller, "conference", r.Conference, "identity", r.Identity, "port", port)
	return map[string]any{"port": port, "address": bind}, nil
}

func (a *agent) rebuildConfListLocked() {
	a.confList = a.confList[:0]
	for _, c := range a.confs {
		a.confList = append(a.confList, c)
	}
}

func (a *agent) isOwnIdentity(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.identities[id]
}

func (a *agent) mute(r *request) (map[string]any, error) {
	if r.Muted == nil {
		return nil, errors.New("mute needs muted")
	}
	a.mu.Lock()
	cl := a.callers[r.Caller]
	a.mu.Unlock()
	if cl == nil {
		return nil, fmt.Errorf("no caller %q", r.Caller)
	}
	cl.setMuted(*r.Muted)
	return nil, nil
}

func (a *agent) leave(id string) error {
	a.mu.Lock()
	cl := a.callers[id]
	if cl == nil {
		a.mu.Unlock()
		return fmt.Errorf("no caller %q", id)
	}
	delete(a.callers, id)
	delete(a.identities, cl.identity)
	conf := cl.conf
	empty := conf.removeCaller(cl)
	if empty {
		delete(a.confs, conf.name)
		a.rebuildConfListLocked()
	}
	a.mu.Unlock()
	cl.close()
	if empty {
		conf.close()
	}
	log.Info("caller left", "caller", id, "conference", conf.name)
	return nil
}

func (a *agent) closeConference(name string) error {
	a.mu.Lock()
	conf := a.confs[name]
	var ids []string
	for id, cl := range a.callers {
		if cl.conf == conf {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	if conf == nil {
		return fmt.Errorf("no conference %q", name)
	}
	for _, id := range ids {
		_ = a.leave(id)
	}
	return nil
}

func (a *agent) stats() map[string]any {
	confs, callers := a.snapshot()
	cs := make([]map[string]any, 0, len(callers))
	for _, cl := range callers {
		cs = append(cs, cl.stats())
	}
	rs := make([]map[string]any, 0)
	for _, c := range confs {
		rs = append(rs, c.stats()...)
	}
	return map[string]any{"livekit": a.lkState(), "ticks": a.ticks.Load(), "skippedTicks": a.lateTicks.Load(), "conferences": len(confs), "callers": cs, "remoteTracks": rs}
}

func (a *agent) shutdown() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	ids := make([]string, 0, len(a.callers))
	for id := range a.callers {
		ids = append(ids, id)
	}
	a.mu.Unlock()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); _ = a.leave(id) }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
}

// ---- clock: one 20 ms ticker for the whole process ----

func (a *agent) clock() {
	// Ticks are due at start + k·20 ms. A late wake-up (a loaded machine) runs the missed ticks
	// at once rather than dropping them, so every caller gets 50 packets a second; after more
	// than maxCatchUp missed ticks the clock skips ahead instead of bursting.
	const period = 20 * time.Millisecond
	const maxCatchUp = 10
	var confs []*conference
	start := time.Now()
	var k int64 = 1 // the next tick, due at start + k·period
	for {
		if d := time.Until(start.Add(time.Duration(k) * period)); d > 0 {
			time.Sleep(d)
		}
		last := int64(time.Since(start) / period) // the latest tick that is due
		if last-k > maxCatchUp {
			a.lateTicks.Add(uint64(last - k - maxCatchUp))
			k = last - maxCatchUp
		}
		for ; k <= last; k++ {
			a.mu.Lock()
			confs = append(confs[:0], a.confList...)
			params := a.params
			a.mu.Unlock()
			for _, c := range confs {
				c.tick(params)
			}
			a.ticks.Add(1)
		}
	}
}

// ---- UDP ports ----

type portRange struct {
	min, max, next int
}

func (p *portRange) listen(bind string) (*net.UDPConn, error) {
	ip := net.ParseIP(bind)
	if ip == nil {
		return nil, fmt.Errorf("bad bind address %q", bind)
	}
	if p.min == 0 {
		return net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	}
	n := p.max - p.min + 1
	var last error
	for i := 0; i < n; i++ {
		port := p.next
		p.next++
		if p.next > p.max {
			p.next = p.min
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}
