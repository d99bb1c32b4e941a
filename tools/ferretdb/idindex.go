package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses (registered once, as "sqlite")
)

// FerretDB 1.24's SQLite backend serves a query whose filter is exactly {_id: <string>} with
//
//	SELECT _ferretdb_sjson FROM "<table>" WHERE _ferretdb_sjson->'$._id' = ?
//
// (internal/backends/sqlite/collection.go, metadata.IDColumn), but creates the unique _id index as
//
//	CREATE UNIQUE INDEX "<table>__id_" ON "<table>" (_ferretdb_sjson->"_id")
//
// (metadata/registry.go). SQLite uses an index on an expression only for the identical expression, and '$._id' and
// "_id" are different JSON-path literals, so EXPLAIN QUERY PLAN says "SCAN <table>": every lookup by _id reads and
// parses the JSON of every row (≈ 1 µs per row here: 0.6 ms at 620 rows, ~100 ms at 100k). An extra (non-unique)
// index on the lookup expression turns that into "SEARCH … USING INDEX" (≈ 5 µs). FerretDB does not know about the
// index; it goes away with its table (DROP TABLE). Its name could collide with FerretDB's "<table>_<index name>" ones
// only if someone created a Mongo index named "$ferretdb_id_path"; that createIndexes would then fail.
const idIndexSuffix = "_$ferretdb_id_path"

// indexIDPaths adds the lookup index to every collection table of every database file in dir that lacks it.
func indexIDPaths(dir string, logger *slog.Logger) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}

	for _, file := range files {
		if err := indexFile(file, logger); err != nil {
			logger.Debug("indexing _id lookups", slog.String("file", file), slog.String("error", err.Error()))
		}
	}

	return nil
}

// keepIndexingIDPaths indexes tables created while FerretDB runs (collections are created on first use).
func keepIndexingIDPaths(ctx context.Context, dir string, logger *slog.Logger, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			_ = indexIDPaths(dir, logger)
		}
	}
}

func inode(path string) (uint64, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}

	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}

	return st.Ino, true
}

func indexFile(file string, logger *slog.Logger) error {
	before, ok := inode(file)
	if !ok {
		return nil
	}

	// mode=rw: never create a file FerretDB has just removed (dropDatabase).
	uri := (&url.URL{Scheme: "file", Opaque: filepath.ToSlash(file), RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}).String()

	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return err
	}

	db.SetMaxOpenConns(1)

	// While FerretDB has the database open it keeps connections to it, so closing this one is never the last close
	// (which would checkpoint and delete the WAL by its path). If the file was dropped meanwhile — and maybe created
	// anew under the same name — this connection could be the last one of the old file: then it is left open rather
	// than let SQLite remove the new file's WAL. That leaks one connection in a rare race, nothing else.
	defer func() {
		if after, ok := inode(file); ok && after == before {
			_ = db.Close()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return err
	}

	var tables []string

	for rows.Next() {
		var name string
		if err = rows.Scan(&name); err != nil {
			_ = rows.Close()
			return err
		}

		if strings.HasPrefix(name, "sqlite_") || strings.HasPrefix(name, "_ferretdb_") {
			continue
		}

		tables = append(tables, name)
	}

	_ = rows.Close()

	for _, table := range tables {
		var n int

		err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, table+idIndexSuffix).Scan(&n)
		if err != nil || n > 0 {
			continue
		}

		// Only FerretDB collection tables (a single _ferretdb_sjson document column, maybe a record id).
		var cols int
		if err = db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = '_ferretdb_sjson'`, table).Scan(&cols); err != nil || cols == 0 {
			continue
		}

		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+idIndexSuffix, table)
		if _, err = db.ExecContext(ctx, q); err != nil {
			logger.Debug("cannot index _id lookups", slog.String("table", table), slog.String("error", err.Error()))
			continue
		}

		logger.Debug("indexed _id lookups", slog.String("table", table))
	}

	return nil
}
