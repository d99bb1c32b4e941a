package main

import (
	"context"
	"log/slog"
)

// lazyHandler defers slog's WithAttrs/WithGroup until a record is actually logged.
//
// FerretDB 1.24 calls `l.With(slog.Any("args", args)).DebugContext(…)` twice around every SQL statement
// (internal/util/fsql), whatever the level. slog's TextHandler formats the attributes given to WithAttrs eagerly, so
// at level error each write still rendered and quoted the statement's arguments — the whole document as JSON — twice
// (≈ 6 % of FerretDB's CPU in a profile of the workload), only to throw the result away because Debug is disabled.
// This wrapper only remembers the attributes (no copy of their values) and applies them to the real handler when a
// record passes the level check, which at level error is almost never.
type lazyHandler struct {
	inner slog.Handler
	ops   []lazyOp // WithAttrs / WithGroup calls in order, applied to inner on Handle
}

type lazyOp struct {
	group string // a WithGroup call when attrs is nil
	attrs []slog.Attr
}

func newLazyHandler(inner slog.Handler) slog.Handler {
	return &lazyHandler{inner: inner}
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	inner := h.inner
	for _, op := range h.ops {
		if op.attrs != nil {
			inner = inner.WithAttrs(op.attrs)
		} else {
			inner = inner.WithGroup(op.group)
		}
	}

	return inner.Handle(ctx, r)
}

func (h *lazyHandler) with(op lazyOp) *lazyHandler {
	ops := make([]lazyOp, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)

	return &lazyHandler{inner: h.inner, ops: append(ops, op)}
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}

	// slog passes a slice the caller may reuse; keep our own (shallow) copy.
	return h.with(lazyOp{attrs: append([]slog.Attr(nil), attrs...)})
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}

	return h.with(lazyOp{group: name})
}
