package keys_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchword/watchword/internal/keys"
	"github.com/watchword/watchword/internal/keys/boltstore"
	"github.com/watchword/watchword/internal/news"
	"github.com/watchword/watchword/internal/store"
)

func service(t *testing.T) (*keys.Service, keys.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ks, err := boltstore.New(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return keys.New(ks, "server-token", nil), ks
}

func TestScopes(t *testing.T) {
	for _, c := range []struct {
		have, need keys.Scope
		ok         bool
	}{
		{keys.ScopeRead, keys.ScopeRead, true}, {keys.ScopeRead, keys.ScopeWrite, false}, {keys.ScopeRead, keys.ScopeAdmin, false},
		{keys.ScopeWrite, keys.ScopeRead, true}, {keys.ScopeWrite, keys.ScopeWrite, true}, {keys.ScopeWrite, keys.ScopeAdmin, false},
		{keys.ScopeAdmin, keys.ScopeAdmin, true}, {keys.ScopeAdmin, keys.ScopeRead, true}, {"", keys.ScopeRead, false}, {"root", keys.ScopeRead, false},
	} {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%q allows %q = %v", c.have, c.need, got)
		}
	}
}

func TestCreateAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	svc, st := service(t)
	k, secret, err := svc.Create(ctx, "  Ann's laptop ", keys.ScopeWrite, keys.TokenKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "Ann's laptop" || k.Hash != nil || k.CreatedBy != keys.TokenKeyID || !strings.HasPrefix(secret, "ww_"+k.ID+"_") {
		t.Fatalf("created %+v with secret %q", k, secret)
	}
	stored, _ := st.Get(ctx, k.ID)
	if len(stored.Hash) != 32 || strings.Contains(string(stored.Hash), secret[len(secret)-10:]) {
		t.Fatalf("stored record %+v: want only a 32-byte hash", stored)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil || p.KeyID != k.ID || p.Scope != keys.ScopeWrite || p.Name != "Ann's laptop" {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	// The same id with another secret, the bare id, junk: all invalid.
	for _, bad := range []string{secret[:len(secret)-1] + "x", "ww_" + k.ID, "ww_" + k.ID + "_", "ww__x", "x", "", strings.Repeat("ww_", 100), "server-token2"} {
		if _, err := svc.Authenticate(ctx, bad); news.ErrorCode(err) != news.ECodeUnauthorized {
			t.Errorf("authenticate %q: %v", bad, err)
		}
	}
	if p, err := svc.Authenticate(ctx, " server-token "); err != nil || p.Scope != keys.ScopeAdmin || p.KeyID != keys.TokenKeyID {
		t.Fatalf("the server token: %+v %v", p, err)
	}
	if ok, _ := svc.Current(ctx, p); !ok {
		t.Fatal("a live key is not current")
	}

	if _, err := svc.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, secret); news.ErrorCode(err) != news.ECodeUnauthorized {
		t.Fatalf("a revoked key authenticated: %v", err)
	}
	if ok, _ := svc.Current(ctx, p); ok {
		t.Fatal("a revoked key is still current")
	}
	again, err := svc.Revoke(ctx, k.ID)
	if err != nil || again.RevokedAt == nil {
		t.Fatalf("revoking twice: %+v %v", again, err)
	}
	if _, err := svc.Revoke(ctx, keys.TokenKeyID); news.ErrorCode(err) != news.ECodeInvalid {
		t.Fatalf("revoking the server token: %v", err)
	}
	if _, err := svc.Revoke(ctx, "key_nope"); news.ErrorCode(err) != news.ECodeNotFound {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 1 || list[0].Hash != nil {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	svc, _ := service(t)
	for _, c := range []struct {
		name  string
		scope keys.Scope
	}{{"", keys.ScopeRead}, {"   ", keys.ScopeRead}, {strings.Repeat("n", keys.MaxName+1), keys.ScopeRead}, {"ok", "root"}, {"ok", ""}, {"bad \xff", keys.ScopeRead}} {
		if _, _, err := svc.Create(context.Background(), c.name, c.scope, "token"); news.ErrorCode(err) != news.ECodeInvalid {
			t.Errorf("create %q %q: %v", c.name, c.scope, err)
		}
	}
}
