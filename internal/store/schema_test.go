package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// counting returns a schema whose migrations count their runs in runs
// (indexed by version) and fail while fail[version] is set.
func counting(runs map[int]int, fail map[int]bool, versions int) Schema {
	sc := Schema{Owner: "widgets", Buckets: []Bucket{{Name: "widgets"}, {Name: "widgets_old"}}}
	for v := 1; v <= versions; v++ {
		sc.Migrations = append(sc.Migrations, Migration{Version: v, Name: "step", Run: func(ctx context.Context, db *bolt.DB) error {
			runs[v]++
			if fail[v] {
				return errors.New("interrupted")
			}
			return db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("widgets")).Put([]byte{byte(v)}, []byte("done"))
			})
		}})
	}
	return sc
}

func reopen(t *testing.T, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRegisterCreatesBucketsAndRunsMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	runs := map[int]int{}
	if err := s.Register(ctx, counting(runs, nil, 2)); err != nil {
		t.Fatal(err)
	}
	if runs[1] != 1 || runs[2] != 1 {
		t.Fatalf("first open ran migrations %v, want each once", runs)
	}
	if v, err := s.SchemaVersion(ctx, "widgets"); err != nil || v != 2 {
		t.Fatalf("recorded version %d, %v; want 2", v, err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{"widgets", "widgets_old"} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s not created", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register(ctx, counting(runs, nil, 2)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("second registration of the same owner: %v, want an error", err)
	}
	got := s.Schemas()
	if len(got) != 2 || got[0].Owner != "store" || got[1].Owner != "widgets" {
		t.Fatalf("Schemas() = %v owners, want store then widgets", got)
	}

	// Reopened, nothing runs again; a new build with a third migration
	// runs only that one.
	s = reopen(t, s, path)
	runs = map[int]int{}
	if err := s.Register(ctx, counting(runs, nil, 3)); err != nil {
		t.Fatal(err)
	}
	if runs[1] != 0 || runs[2] != 0 || runs[3] != 1 {
		t.Fatalf("after reopen with version 3 the migrations ran %v, want only 3 once", runs)
	}
}

func TestRegisterResumesAnInterruptedMigration(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	runs := map[int]int{}
	err := s.Register(ctx, counting(runs, map[int]bool{2: true}, 3))
	if err == nil || !strings.Contains(err.Error(), "migration 2") {
		t.Fatalf("Register with migration 2 failing: %v", err)
	}
	if v, _ := s.SchemaVersion(ctx, "widgets"); v != 1 {
		t.Fatalf("recorded version after the failure is %d, want 1 (the last that finished)", v)
	}
	if runs[3] != 0 {
		t.Fatal("migration 3 ran after 2 failed")
	}
	s = reopen(t, s, path)
	runs = map[int]int{}
	if err := s.Register(ctx, counting(runs, nil, 3)); err != nil {
		t.Fatal(err)
	}
	if runs[1] != 0 || runs[2] != 1 || runs[3] != 1 {
		t.Fatalf("resumed migrations ran %v, want 2 and 3 once each", runs)
	}
}

func TestRegisterRefusesANewerFile(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if err := s.Register(ctx, counting(map[int]int{}, nil, 3)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	runs := map[int]int{}
	err := s.Register(ctx, counting(runs, nil, 2))
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("an older build opening a version-3 file: %v, want ErrNewerSchema", err)
	}
	if len(runs) != 0 {
		t.Fatalf("migrations ran on a refused file: %v", runs)
	}
	if len(s.Schemas()) != 1 {
		t.Fatal("a refused schema was remembered")
	}
}

func TestSchemaValidate(t *testing.T) {
	noop := func(context.Context, *bolt.DB) error { return nil }
	bad := []Schema{
		{Owner: ""},
		{Owner: "Alerts"},
		{Owner: "store"},
		{Owner: "a", Buckets: []Bucket{{Name: "x"}, {Name: "x"}}},
		{Owner: "a", Buckets: []Bucket{{Name: "log"}}},
		{Owner: "a", Migrations: []Migration{{Version: 2, Run: noop}}},
		{Owner: "a", Migrations: []Migration{{Version: 1}}},
	}
	for _, sc := range bad {
		if err := sc.Validate(); err == nil {
			t.Errorf("schema %+v validated", sc)
		}
	}
	good := Schema{Owner: "alerts", Buckets: []Bucket{{Name: "alerts"}}, Migrations: []Migration{{Version: 1, Run: noop}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyChecksRecordedSchemaVersions(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	sc := counting(map[int]int{}, nil, 1)
	if err := s.Register(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	buckets := BucketsOf(Own(), sc)
	if err := Verify(ctx, path, buckets); err != nil {
		t.Fatalf("a registered file does not verify: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	s2, err := Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	err = s2.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(schemaKey("widgets"), []byte{1, 2, 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.SchemaVersion(ctx, "widgets"); err == nil {
		t.Fatal("a 3-byte version was read")
	}
	s2.Close()
	var ce *CorruptError
	if err := Verify(ctx, bad, buckets); !errors.As(err, &ce) || !strings.Contains(err.Error(), "schema version") {
		t.Fatalf("Verify of a 3-byte schema version: %v", err)
	}
}
