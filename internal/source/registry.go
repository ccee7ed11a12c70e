package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryOptions configure registry access.
type RegistryOptions struct {
	// Insecure allows plain HTTP and skips TLS certificate checks. Only when asked.
	Insecure bool
	// RootCAs, when set, are trusted in addition to nothing else (tests, private CAs).
	RootCAs *x509.CertPool
	// Username and Password, when set, override the docker config and credential helpers.
	Username, Password string
	// Keychain resolves credentials; nil means the docker config.json and its
	// credential helpers (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Transport replaces the HTTP transport entirely (tests).
	Transport http.RoundTripper
	// UserAgent is sent with every request.
	UserAgent string
}

func (o RegistryOptions) transport() http.RoundTripper {
	if o.Transport != nil {
		return o.Transport
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConnsPerHost:   8,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if o.RootCAs != nil {
		t.TLSClientConfig.RootCAs = o.RootCAs
	}
	if o.Insecure {
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // only with --insecure
	}
	return t
}

func (o RegistryOptions) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(o.transport()),
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 2}),
	}
	if o.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(o.UserAgent))
	}
	switch {
	case o.Username != "" || o.Password != "":
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	case o.Keychain != nil:
		opts = append(opts, remote.WithAuthFromKeychain(o.Keychain))
	default:
		opts = append(opts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	return opts
}

// explainRegistryError turns transport errors into advice.
func explainRegistryError(ref string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: the registry refused the credentials (HTTP %d); log in with `docker login`, or pass --username/--password: %w", ref, terr.StatusCode, err)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w in the registry: %w", ref, ErrNotFound, err)
		}
	}
	// crypto/x509 returns UnknownAuthorityError as a value, not a pointer.
	var uerr x509.UnknownAuthorityError
	if errors.As(err, &uerr) {
		return fmt.Errorf("%s: the registry's TLS certificate is not trusted; add its CA with --registry-ca, or use --insecure only if you accept the risk: %w", ref, err)
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return fmt.Errorf("%s: the registry's TLS certificate failed verification (wrong host name, expired?); fix the certificate, or use --insecure only if you accept the risk: %w", ref, err)
	}
	var nerr net.Error
	var operr *net.OpError
	if errors.As(err, &operr) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return fmt.Errorf("%s: the registry cannot be reached (offline, or wrong host?): %w", ref, err)
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// explainLayerError explains a failure to fetch one layer blob of an image whose manifest
// was read. A 404 here means the registry lost a blob the manifest names, not that the
// image is missing, so it does not wrap ErrNotFound.
func explainLayerError(ref string, digest v1.Hash, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: layer blob %s is missing from the registry although the image's manifest names it (the registry is incomplete; push the image again): %w", ref, digest, err)
	}
	return fmt.Errorf("layer %s: %w", digest, explainRegistryError(ref, err))
}

// OpenRegistry opens an image from a registry. Anonymous access, basic auth and bearer
// tokens are handled by go-containerregistry's transport; credentials come from the docker
// config and credential helpers unless given.
func OpenRegistry(ctx context.Context, ref string, opts Options) (*Image, error) {
	var nopts []name.Option
	if opts.Registry.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%q is neither a file, a folder nor a valid image reference: %w", ref, err)
	}
	ropts := opts.Registry.remoteOptions(ctx)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, explainRegistryError(ref, err)
	}
	target := r
	if isIndex(desc.MediaType) {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, explainRegistryError(ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, explainRegistryError(ref, err)
		}
		var cands []candidate
		for _, d := range im.Manifests {
			if d.MediaType.IsImage() && !isAttestation(d) {
				cands = append(cands, candidate{desc: d, via: desc.Digest})
			}
		}
		c, err := choose(cands, "", opts.Platform)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		target = r.Context().Digest(c.desc.Digest.String())
	}
	rimg, err := remote.Image(target, ropts...)
	if err != nil {
		return nil, explainRegistryError(ref, err)
	}
	m, err := rimg.Manifest()
	if err != nil {
		return nil, explainRegistryError(ref, err)
	}
	cfg, err := rimg.ConfigFile()
	if err != nil {
		return nil, explainRegistryError(ref, err)
	}
	digest, err := rimg.Digest()
	if err != nil {
		return nil, explainRegistryError(ref, err)
	}
	img, err := imageFromManifest(ref, m, cfg, func(d v1.Descriptor) func(context.Context) (io.ReadCloser, error) {
		return func(context.Context) (io.ReadCloser, error) {
			if !isLayer(d.MediaType) {
				return nil, fmt.Errorf("layer %s has media type %q, which is not a known layer type", d.Digest, d.MediaType)
			}
			l, err := rimg.LayerByDigest(d.Digest)
			if err != nil {
				return nil, explainLayerError(ref, d.Digest, err)
			}
			rc, err := l.Compressed()
			if err != nil {
				return nil, explainLayerError(ref, d.Digest, err)
			}
			return rc, nil
		}
	})
	if err != nil {
		return nil, err
	}
	img.Kind = "registry"
	img.ImageID = m.Config.Digest.String()
	img.ManifestDigest = digest.String()
	if t, ok := r.(name.Tag); ok {
		img.RepoTags = []string{t.Name()}
	}
	// Like `docker inspect`, the repo digest is what the reference resolved to: the index
	// digest for a multi-platform image, the manifest digest otherwise.
	img.RepoDigests = []string{r.Context().Name() + "@" + desc.Digest.String()}
	return img, nil
}
