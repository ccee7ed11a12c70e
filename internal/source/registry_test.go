package source

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// The tests below run go-containerregistry's in-process registry behind real HTTP, TLS,
// Basic and Bearer endpoints and open images from it through source.Open. Fixtures are
// pushed through a separate plain, unauthenticated endpoint that serves the same registry
// state, so what is under test (auth, TLS) is only on the path source.Open takes.

const testRepo = "test/alpine"

// newRegistry returns go-containerregistry's in-process registry with its request log
// silenced, and a plain-HTTP, unauthenticated endpoint serving it for pushing fixtures.
func newRegistry(t *testing.T, opts ...registry.Option) (http.Handler, string) {
	t.Helper()
	opts = append(opts, registry.Logger(log.New(io.Discard, "", 0)))
	reg := registry.New(opts...)
	push := httptest.NewServer(reg)
	t.Cleanup(push.Close)
	return reg, hostOf(t, push)
}

// serve starts h on 127.0.0.1 (TLS when tls is set) and returns the server and its host:port.
func serve(t *testing.T, h http.Handler, tls bool) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	// Refused TLS handshakes are expected in these tests; keep them out of the test log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, hostOf(t, srv)
}

func hostOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return srv.Listener.Addr().String()
}

// isolateDockerConfig points every place authn.DefaultKeychain looks for credentials at an
// empty temporary folder, so the host's docker or podman logins never leak into a test.
// It returns the folder DOCKER_CONFIG names.
func isolateDockerConfig(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	dockerDir := filepath.Join(home, "docker-config")
	if err := os.Mkdir(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dockerDir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg-config"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "xdg-runtime"))
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(home, "no-auth.json"))
	return dockerDir
}

// pushImage writes img to host/repo:tag anonymously and returns it.
func pushImage(t *testing.T, host, repoTag string, img v1.Image) v1.Image {
	t.Helper()
	ref, err := name.ParseReference(host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return img
}

// mustDigest and friends keep fixture bookkeeping short.
func mustDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustLayers(t *testing.T, img v1.Image) []v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// openRegistryImage opens ref through source.Open and closes it when the test ends.
func openRegistryImage(t *testing.T, ref string, opts Options) (*Image, error) {
	t.Helper()
	img, err := Open(context.Background(), ref, opts)
	if img != nil {
		t.Cleanup(func() { img.Close() })
	}
	return img, err
}

// checkRegistryImage checks that got is exactly want as pushed to host/repo: identity,
// layers, and every layer's bytes as stored in the registry.
// checkRegistryImage checks got against the pushed image. The repo digest is the manifest
// digest, or indexDigest when the reference resolved to a multi-platform index.
func checkRegistryImage(t *testing.T, got *Image, want v1.Image, host, repo string, indexDigest ...string) {
	t.Helper()
	if got.Kind != "registry" {
		t.Errorf("Kind = %q, want registry", got.Kind)
	}
	layers := mustLayers(t, want)
	if len(got.Layers) != len(layers) {
		t.Fatalf("got %d layers, want %d", len(got.Layers), len(layers))
	}
	if id := mustConfigName(t, want).String(); got.ImageID != id {
		t.Errorf("ImageID = %s, want the pushed config digest %s", got.ImageID, id)
	}
	md := mustDigest(t, want).String()
	if got.ManifestDigest != md {
		t.Errorf("ManifestDigest = %s, want %s", got.ManifestDigest, md)
	}
	rd := md
	if len(indexDigest) > 0 {
		rd = indexDigest[0]
	}
	if wantRD := host + "/" + repo + "@" + rd; !slices.Contains(got.RepoDigests, wantRD) {
		t.Errorf("RepoDigests = %q, want it to hold %s", got.RepoDigests, wantRD)
	}
	for i, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		digest, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		gl := got.Layers[i]
		if gl.DiffID != diffID.String() {
			t.Errorf("layer %d: DiffID = %s, want %s", i, gl.DiffID, diffID)
		}
		if gl.Digest != digest.String() {
			t.Errorf("layer %d: Digest = %s, want %s", i, gl.Digest, digest)
		}
		rc, err := gl.Open(context.Background())
		if err != nil {
			t.Fatalf("layer %d (%s): Open: %v", i, gl.Digest, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("layer %d (%s): reading: %v", i, gl.Digest, err)
		}
		if sum := "sha256:" + hex.EncodeToString(h.Sum(nil)); sum != gl.Digest {
			t.Errorf("layer %d: the bytes read hash to %s, want the compressed blob %s", i, sum, gl.Digest)
		}
		if n != gl.Size {
			t.Errorf("layer %d: read %d bytes, the manifest says %d", i, n, gl.Size)
		}
	}
	// The layers read back must also be the pushed content once decompressed.
	wantDiffIDs := make([]string, len(layers))
	for i, l := range layers {
		d, _ := l.DiffID()
		wantDiffIDs[i] = d.String()
	}
	if gotDiffIDs := diffIDsOf(t, got); !slices.Equal(gotDiffIDs, wantDiffIDs) {
		t.Errorf("decompressed layers hash to %q, want diffIDs %q", gotDiffIDs, wantDiffIDs)
	}
}

// wantErrContaining fails unless err is non-nil and mentions every one of subs.
func wantErrContaining(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", subs)
	}
	t.Logf("error: %v", err)
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestRegistryPlainHTTP(t *testing.T) {
	isolateDockerConfig(t)
	reg, _ := newRegistry(t)
	_, host := serve(t, reg, false)
	want := pushImage(t, host, testRepo+":3.19", alpine319(t))

	ref := host + "/" + testRepo + ":3.19"
	got, err := openRegistryImage(t, ref, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	checkRegistryImage(t, got, want, host, testRepo)
	if got.Name != ref {
		t.Errorf("Name = %q, want %q", got.Name, ref)
	}
	if !slices.Contains(got.RepoTags, ref) {
		t.Errorf("RepoTags = %q, want it to hold %s", got.RepoTags, ref)
	}
	if got.Platform != "linux/amd64" {
		t.Errorf("Platform = %q, want linux/amd64", got.Platform)
	}

	// The same image by digest, and with the explicit registry:// prefix.
	md := mustDigest(t, want).String()
	for _, r := range []string{host + "/" + testRepo + "@" + md, "registry://" + ref} {
		got, err := openRegistryImage(t, r, Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", r, err)
		}
		if got.ManifestDigest != md {
			t.Errorf("Open(%s): ManifestDigest = %s, want %s", r, got.ManifestDigest, md)
		}
	}
}

func TestRegistryTLS(t *testing.T) {
	isolateDockerConfig(t)
	reg, pushHost := newRegistry(t)
	want := pushImage(t, pushHost, testRepo+":3.19", alpine319(t))
	srv, host := serve(t, reg, true)
	trusted := x509.NewCertPool()
	trusted.AddCert(srv.Certificate())

	// The test certificate names 127.0.0.1, ::1 and example.com, but not localhost.
	_, port, err := net.SplitHostPort(host)
	if err != nil {
		t.Fatal(err)
	}
	misnamed := "localhost:" + port

	tests := []struct {
		name    string
		host    string // empty: host
		opts    RegistryOptions
		wantErr []string
		// wantAs is the crypto error the returned error must wrap.
		wantAs any
	}{
		{name: "untrusted certificate", wantErr: []string{"certificate is not trusted", "--registry-ca", "--insecure"},
			wantAs: new(x509.UnknownAuthorityError)},
		{name: "CA given", opts: RegistryOptions{RootCAs: trusted}},
		{name: "insecure", opts: RegistryOptions{Insecure: true}},
		{name: "CA given but host name not in certificate", host: misnamed, opts: RegistryOptions{RootCAs: trusted},
			wantErr: []string{"certificate failed verification", "--insecure"}, wantAs: new(x509.HostnameError)},
		{name: "insecure with host name not in certificate", host: misnamed, opts: RegistryOptions{Insecure: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cmp.Or(tt.host, host)
			got, err := openRegistryImage(t, h+"/"+testRepo+":3.19", Options{Registry: tt.opts})
			if tt.wantErr != nil {
				wantErrContaining(t, err, tt.wantErr...)
				if !errors.As(err, tt.wantAs) {
					t.Errorf("error %q does not wrap %T", err, tt.wantAs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRegistryImage(t, got, want, h, testRepo)
		})
	}
}

func requireBasic(user, pass string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeDockerConfig writes a config.json with an auths entry for host into dir.
func writeDockerConfig(t *testing.T, dir, host, user, pass string) {
	t.Helper()
	cfg := map[string]any{"auths": map[string]any{
		host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))},
	}}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryBasicAuth(t *testing.T) {
	reg, pushHost := newRegistry(t)
	want := pushImage(t, pushHost, testRepo+":3.19", alpine319(t))
	_, host := serve(t, requireBasic("alice", "s3cret", reg), false)

	tests := []struct {
		name       string
		user, pass string
		// configUser and configPass, when set, go into a docker config.json for host.
		configUser, configPass string
		wantErr                []string
	}{
		{name: "right credentials", user: "alice", pass: "s3cret"},
		{name: "wrong password", user: "alice", pass: "wrong",
			wantErr: []string{"refused the credentials", "HTTP 401", "docker login", "--username/--password"}},
		{name: "from docker config.json", configUser: "alice", configPass: "s3cret"},
		{name: "wrong password in docker config.json", configUser: "alice", configPass: "wrong",
			wantErr: []string{"refused the credentials", "docker login"}},
		{name: "no credentials anywhere",
			wantErr: []string{"HTTP 401", "docker login"}},
		{name: "explicit credentials override docker config.json", user: "alice", pass: "s3cret",
			configUser: "alice", configPass: "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolateDockerConfig(t)
			if tt.configUser != "" {
				writeDockerConfig(t, dir, host, tt.configUser, tt.configPass)
			}
			opts := Options{Registry: RegistryOptions{Username: tt.user, Password: tt.pass}}
			got, err := openRegistryImage(t, host+"/"+testRepo+":3.19", opts)
			if tt.wantErr != nil {
				wantErrContaining(t, err, tt.wantErr...)
				if errors.Is(err, ErrNotFound) {
					t.Errorf("a refused login must not look like a missing image: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRegistryImage(t, got, want, host, testRepo)
		})
	}
}

// tokenAuth is a registry front that demands a Bearer token from its own token endpoint,
// the way Docker Hub, GHCR and distribution's token auth do.
type tokenAuth struct {
	user, pass string
	token      string
	realm      string // http://HOST/token
	next       http.Handler
}

func (a *tokenAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		a.serveToken(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="test",scope="repository:%s:pull"`, a.realm, testRepo))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		return
	}
	a.next.ServeHTTP(w, r)
}

func (a *tokenAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	if !ok || u != a.user || p != a.pass {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}`)
		return
	}
	q := r.URL.Query()
	if svc := q.Get("service"); svc != "test" {
		http.Error(w, fmt.Sprintf("token request for service %q, want test", svc), http.StatusBadRequest)
		return
	}
	if sc := q["scope"]; !slices.Equal(sc, []string{"repository:" + testRepo + ":pull"}) {
		http.Error(w, fmt.Sprintf("token request for scopes %q, want repository:%s:pull", sc, testRepo), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": a.token, "access_token": a.token, "expires_in": 300})
}

func TestRegistryBearerToken(t *testing.T) {
	reg, pushHost := newRegistry(t)
	want := pushImage(t, pushHost, testRepo+":3.19", alpine319(t))
	auth := &tokenAuth{user: "bob", pass: "hunter2", token: "tok-3f9a1c", next: reg}
	// The challenge names the server's own address, so it is known before the server starts.
	srv := httptest.NewUnstartedServer(auth)
	host := srv.Listener.Addr().String()
	auth.realm = "http://" + host + "/token"
	srv.Start()
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		user, pass string
		configUser string // when set, the credentials go into a docker config.json instead
		wantErr    []string
	}{
		{name: "right credentials", user: "bob", pass: "hunter2"},
		{name: "right credentials from docker config.json", configUser: "bob"},
		{name: "wrong password", user: "bob", pass: "nope",
			wantErr: []string{"refused the credentials", "HTTP 401", "docker login"}},
		{name: "anonymous", wantErr: []string{"HTTP 401", "docker login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolateDockerConfig(t)
			if tt.configUser != "" {
				writeDockerConfig(t, dir, host, tt.configUser, auth.pass)
			}
			opts := Options{Registry: RegistryOptions{Username: tt.user, Password: tt.pass}}
			got, err := openRegistryImage(t, host+"/"+testRepo+":3.19", opts)
			if tt.wantErr != nil {
				wantErrContaining(t, err, tt.wantErr...)
				if errors.Is(err, ErrNotFound) {
					t.Errorf("a refused login must not look like a missing image: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRegistryImage(t, got, want, host, testRepo)
		})
	}
}

// attestationFor builds a BuildKit-style attestation manifest: an image whose one layer is
// an in-toto statement, listed in the index with platform unknown/unknown.
func attestationFor(t *testing.T, subject v1.Hash) mutate.IndexAddendum {
	t.Helper()
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{}}`)
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(stmt, "application/vnd.in-toto+json"),
		Annotations: map[string]string{"in-toto.io/predicate-type": "https://spdx.dev/Document"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
		Annotations: map[string]string{
			"vnd.docker.reference.type":   "attestation-manifest",
			"vnd.docker.reference.digest": subject.String(),
		},
	}}
}

func TestRegistryMultiPlatform(t *testing.T) {
	isolateDockerConfig(t)
	reg, _ := newRegistry(t)
	_, host := serve(t, reg, false)

	amd64 := testImage(t, imagetest.AlpineRootfs("3.19.4", "x86_64"), "linux/amd64")
	arm64 := testImage(t, imagetest.AlpineRootfs("3.20.3", "aarch64"), "linux/arm64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		attestationFor(t, mustDigest(t, amd64)),
	)
	ref := host + "/" + testRepo + ":multi"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatalf("pushing index: %v", err)
	}

	type platformCase struct {
		platform string
		want     v1.Image // nil: an error is expected
		wantArch string
		wantErr  []string
	}
	tests := []platformCase{
		{platform: "linux/arm64", want: arm64, wantArch: "arm64"},
		{platform: "linux/amd64", want: amd64, wantArch: "amd64"},
		{platform: "linux/s390x", wantErr: []string{"linux/s390x", "linux/amd64", "linux/arm64", "--platform"}},
	}
	// No --platform: this machine's architecture, when the index has it.
	switch runtime.GOARCH {
	case "amd64":
		tests = append(tests, platformCase{platform: "", want: amd64, wantArch: "amd64"})
	case "arm64":
		tests = append(tests, platformCase{platform: "", want: arm64, wantArch: "arm64"})
	}
	for _, tt := range tests {
		t.Run("platform="+tt.platform, func(t *testing.T) {
			got, err := openRegistryImage(t, ref, Options{Platform: tt.platform})
			if tt.want == nil {
				wantErrContaining(t, err, tt.wantErr...)
				if strings.Contains(err.Error(), "unknown") {
					t.Errorf("error %q lists the attestation manifest (unknown/unknown) as a platform", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Config.Architecture != tt.wantArch {
				t.Errorf("config architecture = %q, want %q", got.Config.Architecture, tt.wantArch)
			}
			if got.Platform != "linux/"+tt.wantArch {
				t.Errorf("Platform = %q, want linux/%s", got.Platform, tt.wantArch)
			}
			idxDigest, err := idx.Digest()
			if err != nil {
				t.Fatal(err)
			}
			checkRegistryImage(t, got, tt.want, host, testRepo, idxDigest.String())
		})
	}
}

func TestRegistryUnreachable(t *testing.T) {
	isolateDockerConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	for _, host := range []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("localhost:%d", port)} {
		t.Run(host, func(t *testing.T) {
			ref := host + "/" + testRepo + ":3.19"
			type result struct {
				img *Image
				err error
			}
			done := make(chan result, 1)
			go func() {
				img, err := Open(context.Background(), ref, Options{})
				done <- result{img, err}
			}()
			var res result
			// A hang guard, not a timing assertion: a refused connection must come back.
			select {
			case res = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatalf("Open(%s) against a closed port has not returned", ref)
			}
			if res.img != nil {
				res.img.Close()
			}
			wantErrContaining(t, res.err, host, "cannot be reached")
			if errors.Is(res.err, ErrNotFound) {
				t.Errorf("an unreachable registry must not look like a missing image: %v", res.err)
			}
		})
	}
}

func TestRegistryNotFound(t *testing.T) {
	isolateDockerConfig(t)
	reg, _ := newRegistry(t)
	_, host := serve(t, reg, false)
	want := pushImage(t, host, testRepo+":3.19", alpine319(t))
	missingDigest := "sha256:" + strings.Repeat("0", 64)

	for _, ref := range []string{
		host + "/" + testRepo + ":3.99",             // missing tag in an existing repo
		host + "/test/nothing:3.19",                 // missing repository
		host + "/" + testRepo + "@" + missingDigest, // missing digest
	} {
		t.Run(strings.TrimPrefix(ref, host+"/"), func(t *testing.T) {
			_, err := openRegistryImage(t, ref, Options{})
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open(%s) = %v, want an error wrapping ErrNotFound", ref, err)
			}
			wantErrContaining(t, err, ref, "not found")
		})
	}
	// The tag that exists still opens: the registry is not simply empty.
	got, err := openRegistryImage(t, host+"/"+testRepo+":3.19", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if id := mustConfigName(t, want).String(); got.ImageID != id {
		t.Errorf("ImageID = %s, want %s", got.ImageID, id)
	}
}

func TestRegistryMissingBlob(t *testing.T) {
	isolateDockerConfig(t)
	blobs := registry.NewInMemoryBlobHandler()
	deleter, ok := blobs.(registry.BlobDeleteHandler)
	if !ok {
		t.Fatal("the in-memory blob handler cannot delete blobs")
	}
	reg, _ := newRegistry(t, registry.WithBlobHandler(blobs))
	_, host := serve(t, reg, false)
	want := pushImage(t, host, testRepo+":3.19", alpine319(t))

	layers := mustLayers(t, want)
	gone, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := deleter.Delete(context.Background(), testRepo, gone); err != nil {
		t.Fatalf("deleting blob %s: %v", gone, err)
	}

	ref := host + "/" + testRepo + ":3.19"
	got, err := openRegistryImage(t, ref, Options{})
	if err != nil {
		t.Fatalf("Open(%s) with manifest and config present: %v", ref, err)
	}
	if len(got.Layers) != len(layers) {
		t.Fatalf("got %d layers, want %d", len(got.Layers), len(layers))
	}
	for i, l := range got.Layers {
		rc, err := l.Open(context.Background())
		if err == nil {
			// A lazy reader may only fail on reading; either way the error must come.
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if l.Digest != gone.String() {
			if err != nil {
				t.Errorf("layer %d (%s) is still in the registry but failed: %v", i, l.Digest, err)
			}
			continue
		}
		wantErrContaining(t, err, gone.String(), "layer blob", "missing from the registry")
		if errors.Is(err, ErrNotFound) {
			t.Errorf("the image was found, only a blob is missing; the error must not wrap ErrNotFound: %v", err)
		}
	}
}
