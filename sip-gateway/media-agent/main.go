// foyer-media-agent: brings phone callers into LiveKit rooms (one pion participant per caller,
// publishing the caller's PCMU as it comes from the gateway's relay) and mixes, for each caller,
// everybody else (one hidden subscriber per conference decodes the room's other audio tracks;
// the callers' own audio is mixed locally). Control: JSON lines on stdin/stdout; logs: JSON
// lines on stderr. See README.md.
package main

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/go-logr/logr"
	protoLogger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

var log *slog.Logger

// output writes the control channel: answers and events, one JSON object per line.
type output struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *output) send(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.enc.Encode(v); err != nil {
		log.Error("control write failed", "err", err.Error())
	}
}

func main() {
	level := slog.LevelInfo
	if os.Getenv("FOYER_MEDIA_AGENT_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// The SDK and pion log through logr; route them to stderr at warning level and above.
	sdkHandler := slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
	lksdk.SetLogger(protoLogger.LogRLogger(logr.FromSlogHandler(sdkHandler.WithAttrs([]slog.Attr{slog.String("from", "livekit-sdk")}))))

	// Keep the real stdout for the control channel only and point fd 1 at stderr, so that
	// nothing a library prints can corrupt the protocol.
	ctlFd, err := syscall.Dup(1)
	if err != nil {
		log.Error("dup stdout", "err", err.Error())
		os.Exit(1)
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		log.Error("redirect stdout", "err", err.Error())
		os.Exit(1)
	}
	ctl := os.NewFile(uintptr(ctlFd), "control")
	out := &output{enc: json.NewEncoder(ctl)}
	out.enc.SetEscapeHTML(false)

	if addr := os.Getenv("FOYER_MEDIA_AGENT_PPROF"); addr != "" {
		// profiling for benchmarks only, e.g. 127.0.0.1:6060
		go func() { log.Info("pprof", "err", http.ListenAndServe(addr, nil)) }()
	}

	a := newAgent(out.send)
	go a.clock()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sigs
		log.Info("signal, shutting down", "signal", s.String())
		a.shutdown()
		os.Exit(0)
	}()

	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			out.send(map[string]any{"id": nil, "error": "bad JSON: " + err.Error()})
			continue
		}
		res, err := a.handle(&req)
		if err != nil {
			out.send(map[string]any{"id": req.ID, "error": err.Error()})
			continue
		}
		if res == nil {
			res = map[string]any{}
		}
		res["id"] = req.ID
		res["ok"] = true
		out.send(res)
	}
	log.Info("control input closed, shutting down")
	a.shutdown()
}
