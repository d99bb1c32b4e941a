// Command ferretdb is the project's launcher for an embedded FerretDB v1.x
// (MongoDB wire protocol over SQLite files). See docs/DATABASE.md.
//
// It wraps the embeddable package github.com/FerretDB/FerretDB/ferretdb instead of
// building FerretDB's own cmd/ferretdb: that command panics at start-up when built
// from the module cache ("Invalid build/version/version.txt file content"), and
// `go install …@v1.24.2` cannot even start here because the Go proxy refuses the
// module's version list.
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:0 -sqlite-dir /abs/data/ferretdb [-log-level warn] [-exit-on-stdin-eof] [-synchronous normal|full]
//
// Once the listener is bound it prints exactly one line to stdout:
//
//	FERRETDB_READY mongodb://127.0.0.1:PORT/
//
// It stops cleanly on SIGTERM or SIGINT (and, with -exit-on-stdin-eof, when its
// standard input is closed, i.e. when the parent process has gone away).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Version is printed by -version; scripts/setup-ferretdb.mjs records it beside the binary.
const Version = "communitybpmn-ferretdb-launcher/4 FerretDB/v1.24.2"

func main() {
	os.Exit(run())
}

func run() int {
	listen := flag.String("listen", "127.0.0.1:27017", "loopback TCP address to listen on (port 0 picks a free port)")
	sqliteDir := flag.String("sqlite-dir", "", "directory holding the SQLite database files (created if missing)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	exitOnStdinEOF := flag.Bool("exit-on-stdin-eof", false, "stop when standard input reaches end of file (parent died)")
	synchronous := flag.String("synchronous", "normal", "SQLite synchronous setting: normal (WAL fsynced at checkpoints; safe against process crashes) or full (fsync at every commit; also safe against power loss)")
	showVersion := flag.Bool("version", false, "print the launcher version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(Version)
		return 0
	}

	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "ferretdb launcher: "+format+"\n", args...)
		return 2
	}

	if flag.NArg() > 0 {
		return fail("unexpected arguments: %v", flag.Args())
	}

	if err := checkLoopback(*listen); err != nil {
		return fail("%s", err)
	}

	if *sqliteDir == "" {
		return fail("-sqlite-dir is required")
	}

	dir, err := filepath.Abs(*sqliteDir)
	if err != nil {
		return fail("bad -sqlite-dir: %s", err)
	}

	if err = os.MkdirAll(dir, 0o700); err != nil {
		return fail("cannot create -sqlite-dir: %s", err)
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fail("bad -log-level %q: %s", *logLevel, err)
	}

	// lazyHandler: FerretDB formats the arguments of every SQL statement for a Debug record it then drops (loghandler.go).
	logger := slog.New(newLazyHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	// The embeddable package has no telemetry reporter and locks telemetry off;
	// keep the environment saying so as well for anything that might look.
	_ = os.Setenv("FERRETDB_TELEMETRY", "disable")
	_ = os.Setenv("DO_NOT_TRACK", "1")

	tuneGC()

	if *synchronous != "normal" && *synchronous != "full" {
		return fail("bad -synchronous %q: normal or full", *synchronous)
	}

	// SQLite handler URI: a "file:" URL naming an existing directory, ending with "/".
	// Every `_pragma` value is run on each new SQLite connection (modernc.org/sqlite); FerretDB adds its own
	// defaults (busy_timeout(10000), journal_mode(wal), auto_vacuum(none)) to those not given. SQLite's default
	// in WAL mode is synchronous=FULL: an fsync of the WAL at every commit, i.e. at every single write command.
	// With NORMAL the WAL is fsynced only at checkpoints: a killed process (ours, FerretDB's, SIGKILL, OOM) loses
	// nothing, because committed transactions are in the WAL file in the OS page cache; only an OS crash or power
	// loss can roll back the last transactions before the checkpoint, and the database stays consistent.
	query := url.Values{}
	query.Add("_pragma", "synchronous("+*synchronous+")")
	sqliteURL := (&url.URL{Scheme: "file", Opaque: filepath.ToSlash(dir) + "/", RawQuery: query.Encode()}).String()

	// FerretDB looks documents up by `_ferretdb_sjson->'$._id'` but indexes `_ferretdb_sjson->"_id"`: SQLite does not
	// see them as the same expression, so every lookup by _id scans its table (see idindex.go). Index the lookup
	// expression in the existing files now, before FerretDB opens them, and in new tables while it runs.
	if err = indexIDPaths(dir, logger); err != nil {
		logger.Warn("cannot index _id lookups", slog.String("error", err.Error()))
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return fail("cannot start: %s", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if *exitOnStdinEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()

		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			logger.Info("standard input closed; stopping")
			cancel()
		}()
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	go keepIndexingIDPaths(ctx, dir, logger, 2*time.Second)

	// The listener is already bound by New, so MongoDBURI does not block.
	fmt.Printf("FERRETDB_READY %s\n", f.MongoDBURI())

	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			return fail("did not stop within 30s")
		}
	}

	if err != nil && !errors.Is(err, context.Canceled) {
		return fail("stopped with error: %s", err)
	}

	return 0
}

// Garbage collector defaults, each used only when its environment variable is not set.
//
// FerretDB keeps about 1 MB live but allocates ≈ 1.6 MB per workload step (≈ 9 commands: wire and BSON documents,
// sjson decoding, a tracked iterator per result), so with Go's defaults (GOGC=100: a 4 MB heap goal at that size) it
// collected about once per step — 482 collections for ≈ 455 steps (bench/profile.ts, 3 runs), the
// background sweeper yielding the processor ≈ 15,000 times a second, ≈ 20 % of FerretDB's CPU in GC and scheduling.
// GOGC=400 (a 16 MB goal at 1 MB live): 57 collections for the same steps. GOMEMLIMIT caps the larger goals
// GOGC=400 gives a big live heap (a query sorting a large collection in memory); it is a soft limit: near it the
// GC just runs more often.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}

	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// checkLoopback refuses any listen address that is not on a loopback interface.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad -listen %q: %s", addr, err)
	}

	if port == "" {
		return fmt.Errorf("bad -listen %q: port missing", addr)
	}

	if strings.EqualFold(host, "localhost") {
		return nil
	}

	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", addr)
	}

	return nil
}
