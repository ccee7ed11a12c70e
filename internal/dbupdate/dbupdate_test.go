package dbupdate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func makeDB(t *testing.T, path string, built time.Time, id string) {
	t.Helper()
	w, err := vulndb.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("test", vulndb.Record{Affected: []vulndb.Affected{{VulnID: id, Namespace: "alpine:3.19", Package: "zlib"}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(built); err != nil {
		t.Fatal(err)
	}
}

func keys(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateKey(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")); err != nil {
		t.Fatal(err)
	}
	sk, err := LoadPrivateKey(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := os.ReadFile(filepath.Join(dir, "k.pub"))
	pk, err := ParsePublicKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestPublishAndUpdate(t *testing.T) {
	pk, sk := keys(t)
	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	newDB := filepath.Join(dir, "new.db")
	makeDB(t, newDB, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), "CVE-NEW")
	if _, err := Publish(newDB, mirror, sk); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	defer srv.Close()

	dst := filepath.Join(dir, "cache", "shipshape.db")
	makeDB(t, dst, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "CVE-OLD")
	md, err := Update(context.Background(), dst, Options{Mirror: srv.URL, PublicKey: pk})
	if err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	aff, _ := db.Affected(context.Background(), "alpine:3.19", "zlib")
	db.Close()
	if len(aff) != 1 || aff[0].VulnID != "CVE-NEW" || !md.BuiltAt.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after update: %+v %+v", aff, md)
	}
	if _, err := Update(context.Background(), dst, Options{Mirror: srv.URL, PublicKey: pk}); !errors.Is(err, ErrUpToDate) {
		t.Errorf("second update: %v, want ErrUpToDate", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "cache", ".update-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestUpdateFailuresKeepTheOldDB simulates each way an update can go wrong; every time
// the DB in place must be byte-for-byte what it was.
func TestUpdateFailuresKeepTheOldDB(t *testing.T) {
	pk, sk := keys(t)
	_, otherKey := keys(t)
	dir := t.TempDir()
	newDB := filepath.Join(dir, "new.db")
	makeDB(t, newDB, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), "CVE-NEW")

	publish := func(t *testing.T, key ed25519.PrivateKey, tamper func(mirror string)) string {
		mirror := t.TempDir()
		if _, err := Publish(newDB, mirror, key); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(filepath.Join(mirror, Prefix))
		}
		return mirror
	}
	resign := func(v1 string, edit func(*Metadata)) {
		var md Metadata
		b, _ := os.ReadFile(filepath.Join(v1, MetadataFile))
		json.Unmarshal(b, &md)
		edit(&md)
		b, _ = json.MarshalIndent(md, "", "  ")
		os.WriteFile(filepath.Join(v1, MetadataFile), b, 0o644)
		os.WriteFile(filepath.Join(v1, SignatureFile), []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(sk, b))), 0o644)
	}
	tests := []struct {
		name    string
		mirror  func(t *testing.T) http.Handler
		wantErr error
		wantMsg string
	}{
		{"signed by another key", func(t *testing.T) http.Handler {
			return http.FileServer(http.Dir(publish(t, otherKey, nil)))
		}, ErrBadSignature, ""},
		{"metadata edited after signing", func(t *testing.T) http.Handler {
			return http.FileServer(http.Dir(publish(t, sk, func(v1 string) {
				b, _ := os.ReadFile(filepath.Join(v1, MetadataFile))
				os.WriteFile(filepath.Join(v1, MetadataFile), bytes.Replace(b, []byte("2026-11-20"), []byte("2026-11-21"), 1), 0o644)
			})))
		}, ErrBadSignature, ""},
		{"DB file swapped", func(t *testing.T) http.Handler {
			return http.FileServer(http.Dir(publish(t, sk, func(v1 string) {
				p := filepath.Join(v1, DBFile)
				b, _ := os.ReadFile(p)
				b[len(b)/2] ^= 0xff
				os.WriteFile(p, b, 0o644)
			})))
		}, ErrDigest, ""},
		{"older schema", func(t *testing.T) http.Handler {
			return http.FileServer(http.Dir(publish(t, sk, func(v1 string) {
				resign(v1, func(md *Metadata) { md.SchemaVersion = vulndb.SchemaVersion - 1 })
			})))
		}, ErrSchema, ""},
		{"download cut short", func(t *testing.T) http.Handler {
			mirror := publish(t, sk, nil)
			files := http.FileServer(http.Dir(mirror))
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, DBFile) {
					files.ServeHTTP(w, r)
					return
				}
				b, _ := os.ReadFile(filepath.Join(mirror, Prefix, DBFile))
				w.Header().Set("Content-Length", strconv.Itoa(len(b)))
				w.Write(b[:len(b)/2])
				// returning early with fewer bytes than announced makes the server close the connection
			})
		}, nil, "cut short"},
		{"mirror missing", func(t *testing.T) http.Handler {
			return http.NotFoundHandler()
		}, nil, "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "shipshape.db")
			makeDB(t, dst, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "CVE-OLD")
			before := sha(t, dst)
			srv := httptest.NewServer(tc.mirror(t))
			defer srv.Close()
			_, err := Update(context.Background(), dst, Options{Mirror: srv.URL, PublicKey: pk})
			if err == nil {
				t.Fatal("update succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			if sha(t, dst) != before {
				t.Error("the previous DB was changed")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".update-*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	if _, err := ParsePublicKey(DefaultPublicKey); err != nil {
		t.Errorf("compiled-in key: %v", err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
	p := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(p, []byte("nope"), 0o600)
	if _, err := LoadPrivateKey(p); err == nil {
		t.Error("a bad private key was accepted")
	}
}

func TestExportImport(t *testing.T) {
	pk, sk := keys(t)
	otherPub, _ := keys(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	makeDB(t, src, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), "CVE-NEW")
	signed := filepath.Join(dir, "signed.tar")
	unsigned := filepath.Join(dir, "unsigned.tar")
	if err := Export(src, signed, sk); err != nil {
		t.Fatal(err)
	}
	if err := Export(src, unsigned, nil); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.tar")
	os.WriteFile(junk, []byte("junk"), 0o644)
	tests := []struct {
		name          string
		bundle        string
		pub           ed25519.PublicKey
		allowUnsigned bool
		ok            bool
	}{
		{"signed, right key", signed, pk, false, true},
		{"signed, wrong key", signed, otherPub, true, false},
		{"unsigned refused by default", unsigned, pk, false, false},
		{"unsigned allowed", unsigned, pk, true, true},
		{"not a bundle", junk, pk, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "db", "shipshape.db")
			_, err := Import(context.Background(), tc.bundle, dst, tc.pub, tc.allowUnsigned)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if _, serr := os.Stat(dst); (serr == nil) != tc.ok {
				t.Errorf("DB present = %v, want %v", serr == nil, tc.ok)
			}
		})
	}
}
