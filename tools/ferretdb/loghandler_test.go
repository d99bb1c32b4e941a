package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

// The lazy handler must print exactly what the wrapped handler prints, and format nothing for disabled levels.
func TestLazyHandlerOutput(t *testing.T) {
	log := func(l *slog.Logger) {
		l = l.With(slog.String("name", "pool")).WithGroup("g").With(slog.Int("n", 1))
		l.With(slog.Any("args", []any{"x"})).Debug("dropped")
		l.With(slog.Any("args", []any{"y"})).Error("kept", slog.Bool("b", true))
		l.WithGroup("").With().Warn("warned")
	}

	var want, got bytes.Buffer

	opts := &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}
	log(slog.New(slog.NewTextHandler(&want, opts)))
	log(slog.New(newLazyHandler(slog.NewTextHandler(&got, opts))))

	if got.String() != want.String() {
		t.Fatalf("lazy handler output differs:\n got: %q\nwant: %q", got.String(), want.String())
	}

	if want.Len() == 0 {
		t.Fatal("nothing logged")
	}
}

type countingValuer struct{ n *int }

func (v countingValuer) LogValue() slog.Value {
	*v.n++
	return slog.StringValue("v")
}

func TestLazyHandlerDoesNotFormatDisabled(t *testing.T) {
	var buf bytes.Buffer

	n := 0
	l := slog.New(newLazyHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})))
	l.With(slog.Any("args", countingValuer{&n})).DebugContext(context.Background(), "dropped")

	if n != 0 || buf.Len() != 0 {
		t.Fatalf("formatted %d times, wrote %q", n, buf.String())
	}
}
