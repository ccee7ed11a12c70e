// Package dbupdate publishes and fetches signed vulnerability DBs: a DB is shipped as a
// zstd-compressed file plus a metadata document (digest, size, schema, build time) signed
// with ed25519. Fetching verifies everything before it atomically replaces the DB in use,
// and keeps the previous DB on any failure.
package dbupdate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// File names of a published DB inside its mirror folder (<mirror>/v1/).
const (
	MetadataFile  = "metadata.json"
	SignatureFile = "metadata.json.sig"
	DBFile        = "shipshape.db.zst"
	// Prefix is the folder under the mirror URL for this protocol version.
	Prefix = "v1"
)

// DefaultPublicKey is the project's DB signing key (base64 ed25519 public key). It is
// used when no other key is given.
const DefaultPublicKey = "eYiEVEVLGm3yGvXzWkEHKK/VPiK08duUacwkmRr1nUo="

// Metadata describes a published DB. Its JSON bytes are what the signature covers.
type Metadata struct {
	SchemaVersion int       `json:"schemaVersion"`
	BuiltAt       time.Time `json:"builtAt"`
	DataDate      string    `json:"dataDate"`
	Digest        string    `json:"digest"` // sha256:<hex> of the compressed file
	Size          int64     `json:"size"`   // bytes of the compressed file
	File          string    `json:"file"`
}

// Errors callers may test for.
var (
	ErrBadSignature = errors.New("the DB metadata signature does not verify")
	ErrDigest       = errors.New("the downloaded DB does not match its signed digest")
	ErrSchema       = errors.New("the mirror's DB schema does not match this shipshape")
	ErrUpToDate     = errors.New("the DB is already up to date")
	errNotFound     = errors.New("not found")
)

// GenerateKey writes a new key pair: priv (base64 seed, mode 0600) and pub (base64 public key).
func GenerateKey(priv, pub string) error {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generating a key: %w", err)
	}
	if err := os.WriteFile(priv, []byte(base64.StdEncoding.EncodeToString(sk.Seed())+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", priv, err)
	}
	if err := os.WriteFile(pub, []byte(base64.StdEncoding.EncodeToString(pk)+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", pub, err)
	}
	return nil
}

// LoadPrivateKey reads a key written by GenerateKey.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s is not a shipshape signing key (base64 of a %d-byte ed25519 seed)", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a base64 ed25519 public key (the content of a .pub file).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not an ed25519 public key (base64 of %d bytes)", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// Publish compresses the DB at dbPath into dir (dir/v1/...) with metadata signed by key
// (unsigned when key is nil).
func Publish(dbPath, dir string, key ed25519.PrivateKey) (*Metadata, error) {
	db, err := vulndb.Open(dbPath)
	if err != nil {
		return nil, err
	}
	meta := db.Meta()
	db.Close()
	out := filepath.Join(dir, Prefix)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", out, err)
	}
	in, err := os.Open(dbPath)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(out, ".publish-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	zw, err := zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := io.Copy(zw, in); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("compressing the DB: %w", err)
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("compressing the DB: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	md := &Metadata{SchemaVersion: meta.SchemaVersion, BuiltAt: meta.BuiltAt, DataDate: meta.DataDate().Format("2006-01-02"),
		Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: cw.n, File: DBFile}
	mdJSON, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(out, DBFile)); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(out, MetadataFile), mdJSON, 0o644); err != nil {
		return nil, err
	}
	if key == nil {
		// unsigned: only for air-gapped bundles imported with --allow-unsigned
		return md, nil
	}
	sig := ed25519.Sign(key, mdJSON)
	if err := os.WriteFile(filepath.Join(out, SignatureFile), []byte(base64.StdEncoding.EncodeToString(sig)+"\n"), 0o644); err != nil {
		return nil, err
	}
	return md, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Options tune Update.
type Options struct {
	Mirror    string // base URL; the files are under <Mirror>/v1/
	PublicKey ed25519.PublicKey
	Client    *http.Client
	// Force downloads even when the local DB is as new as the mirror's.
	Force bool
	// AllowUnsigned accepts a mirror without a signature file (air-gapped bundles made
	// without --sign). A signature that is present must still verify.
	AllowUnsigned bool
	// Progress wraps the DB download to show progress.
	Progress func(size int64, r io.Reader) io.Reader
}

func (o Options) url(name string) string {
	return strings.TrimSuffix(o.Mirror, "/") + "/" + Prefix + "/" + name
}

func (o Options) get(ctx context.Context, name string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url(name), nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", o.url(name), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("fetching %s: HTTP %s: %w", o.url(name), resp.Status, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: HTTP %s", o.url(name), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", o.url(name), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", o.url(name), limit)
	}
	return data, nil
}

// Update fetches the mirror's DB into dst if it is newer, verifying signature, schema,
// size and digest, and replaces dst atomically. On any failure dst is left as it was.
func Update(ctx context.Context, dst string, opts Options) (*Metadata, error) {
	if opts.Mirror == "" {
		return nil, errors.New("no DB mirror configured: pass --mirror URL or set SHIPSHAPE_DB_MIRROR")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if opts.PublicKey == nil {
		k, err := ParsePublicKey(DefaultPublicKey)
		if err != nil {
			return nil, err
		}
		opts.PublicKey = k
	}
	mdJSON, err := opts.get(ctx, MetadataFile, 1<<20)
	if err != nil {
		return nil, err
	}
	sigText, err := opts.get(ctx, SignatureFile, 4096)
	switch {
	case err != nil && opts.AllowUnsigned && errors.Is(err, errNotFound):
		// unsigned bundle, accepted on request; digest and schema are still checked
	case err != nil:
		return nil, err
	default:
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
		if err != nil || !ed25519.Verify(opts.PublicKey, mdJSON, sig) {
			return nil, fmt.Errorf("%w (mirror %s): the DB was not signed by the expected key; nothing was changed", ErrBadSignature, opts.Mirror)
		}
	}
	var md Metadata
	if err := json.Unmarshal(mdJSON, &md); err != nil {
		return nil, fmt.Errorf("the mirror's metadata is not valid: %w", err)
	}
	if md.SchemaVersion != vulndb.SchemaVersion {
		return nil, fmt.Errorf("%w: the mirror serves schema %d, this shipshape reads %d; upgrade shipshape or use a mirror for this version", ErrSchema, md.SchemaVersion, vulndb.SchemaVersion)
	}
	if !opts.Force {
		if cur, err := vulndb.Open(dst); err == nil {
			built := cur.Meta().BuiltAt
			cur.Close()
			if !md.BuiltAt.After(built) {
				return &md, ErrUpToDate
			}
		}
	}
	if md.File == "" || strings.ContainsAny(md.File, "/\\") {
		return nil, fmt.Errorf("the mirror's metadata names a bad file %q", md.File)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	tmpDB, err := download(ctx, dst, md, opts)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmpDB)
	check, err := vulndb.Open(tmpDB)
	if err != nil {
		return nil, fmt.Errorf("the downloaded DB does not open: %w", err)
	}
	got := check.Meta()
	check.Close()
	if got.SchemaVersion != md.SchemaVersion || !got.BuiltAt.Equal(md.BuiltAt) {
		return nil, fmt.Errorf("the downloaded DB's own metadata (schema %d, built %s) disagrees with the signed metadata", got.SchemaVersion, got.BuiltAt)
	}
	if err := os.Rename(tmpDB, dst); err != nil {
		return nil, fmt.Errorf("replacing %s: %w", dst, err)
	}
	return &md, nil
}

// download fetches and verifies the compressed DB and decompresses it next to dst.
func download(ctx context.Context, dst string, md Metadata, opts Options) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opts.url(md.File), nil)
	if err != nil {
		return "", err
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("downloading the DB: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("downloading the DB: HTTP %s", resp.Status)
	}
	zf, err := os.CreateTemp(filepath.Dir(dst), ".update-*.zst")
	if err != nil {
		return "", err
	}
	defer os.Remove(zf.Name())
	defer zf.Close()
	var body io.Reader = resp.Body
	if opts.Progress != nil {
		body = opts.Progress(md.Size, body)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(zf, h), io.LimitReader(body, md.Size+1))
	if err != nil {
		return "", fmt.Errorf("downloading the DB (cut short?): %w", err)
	}
	if n != md.Size {
		return "", fmt.Errorf("%w: got %d bytes, the metadata says %d (download cut short?)", ErrDigest, n, md.Size)
	}
	if d := "sha256:" + hex.EncodeToString(h.Sum(nil)); d != md.Digest {
		return "", fmt.Errorf("%w: %s, want %s", ErrDigest, d, md.Digest)
	}
	if _, err := zf.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	zr, err := zstd.NewReader(zf)
	if err != nil {
		return "", fmt.Errorf("the downloaded DB is not zstd: %w", err)
	}
	defer zr.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".update-*.db")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", fmt.Errorf("decompressing the DB: %w", err)
	}
	if err := out.Close(); err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// Export writes the DB at dbPath as a bundle for air-gapped hosts: a tar holding the
// published layout (v1/metadata.json, v1/shipshape.db.zst and, when key is set,
// v1/metadata.json.sig).
func Export(dbPath, bundle string, key ed25519.PrivateKey) error {
	tmp, err := os.MkdirTemp(filepath.Dir(bundle), ".export-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := Publish(dbPath, tmp, key); err != nil {
		return err
	}
	return tarDir(filepath.Join(tmp, Prefix), Prefix, bundle)
}

// Import installs a bundle made by Export into dst, verifying digest and schema, and the
// signature unless allowUnsigned is set and the bundle has none.
func Import(ctx context.Context, bundle, dst string, pub ed25519.PublicKey, allowUnsigned bool) (*Metadata, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".import-*")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dst), ".import-*"); err != nil {
			return nil, err
		}
	}
	defer os.RemoveAll(tmp)
	if err := untar(bundle, tmp); err != nil {
		return nil, fmt.Errorf("%s: %w", bundle, err)
	}
	return Update(ctx, dst, Options{
		Mirror:        "file:///",
		Client:        &http.Client{Transport: http.NewFileTransport(http.Dir(tmp))},
		PublicKey:     pub,
		Force:         true,
		AllowUnsigned: allowUnsigned,
	})
}
