package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Errors callers can test with errors.Is.
var (
	// ErrUnreachable: no Engine answers at the endpoint.
	ErrUnreachable = errors.New("the Docker Engine is not reachable")
	// ErrPermission: the Engine's socket refused this user.
	ErrPermission = errors.New("permission denied on the Docker Engine socket")
	// ErrNotFound: the Engine has no such image or container.
	ErrNotFound = errors.New("not found in the Docker Engine")
)

// Engine is a connected Docker Engine.
type Engine struct {
	// Client is the moby API client, for calls this package does not wrap.
	Client   *client.Client
	Endpoint Endpoint
	// APIVersion is the negotiated API version; ServerVersion the Engine's version.
	APIVersion    string
	ServerVersion string
}

// Options tune Connect.
type Options struct {
	// Env reads environment variables (nil: the process environment).
	Env Env
	// Endpoint, when Host is set, is used instead of resolving one from the environment.
	Endpoint Endpoint
	// PingTimeout bounds the first contact (default 15 s), so a dead TCP host is a
	// clear error, not a hang.
	PingTimeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// Connect resolves the endpoint, builds a client and checks that the Engine answers.
func Connect(ctx context.Context, opts Options) (*Engine, error) {
	ep := opts.Endpoint
	if ep.Host == "" {
		var err error
		if ep, err = ResolveEndpoint(opts.Env); err != nil {
			return nil, err
		}
	}
	if strings.HasPrefix(ep.Host, "ssh://") {
		return nil, fmt.Errorf("the Docker Engine at %s: ssh:// endpoints are not supported; forward the socket (ssh -L /tmp/docker.sock:/var/run/docker.sock HOST) and set DOCKER_HOST=unix:///tmp/docker.sock: %w", ep, ErrUnreachable)
	}
	tlsCfg, err := ep.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("the Docker Engine at %s: %w", ep, err)
	}
	ops := []client.Opt{}
	if tlsCfg != nil {
		ops = append(ops, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, CheckRedirect: client.CheckRedirect}))
	}
	ops = append(ops, client.WithHost(ep.Host))
	if opts.UserAgent != "" {
		ops = append(ops, client.WithUserAgent(opts.UserAgent))
	}
	cli, err := client.New(ops...)
	if err != nil {
		return nil, fmt.Errorf("the Docker Engine at %s: %w", ep, err)
	}
	timeout := opts.PingTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ping, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		cli.Close()
		return nil, classify(ctx, ep, err)
	}
	e := &Engine{Client: cli, Endpoint: ep, APIVersion: cli.ClientVersion()}
	_ = ping
	if v, err := cli.ServerVersion(pctx, client.ServerVersionOptions{}); err == nil {
		e.ServerVersion = v.Version
	}
	return e, nil
}

// Close releases the client's connections.
func (e *Engine) Close() error {
	if e == nil || e.Client == nil {
		return nil
	}
	return e.Client.Close()
}

// classify turns a failed first contact into an error that names the endpoint and says
// what to do. For a unix socket it dials the socket itself to tell a missing Engine from
// a permission problem, which the client's message blurs.
func classify(ctx context.Context, ep Endpoint, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("the Docker Engine at %s: %w", ep, ctx.Err())
	}
	if sock := ep.socketPath(); sock != "" {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, derr := d.DialContext(dctx, "unix", sock)
		cancel()
		if derr == nil {
			conn.Close()
		}
		switch {
		case errors.Is(derr, os.ErrPermission):
			return fmt.Errorf("%w %s: this user (uid %d) may not use it; run as root or as a member of the socket's group (usually docker), or point DOCKER_HOST at an Engine you may use", ErrPermission, sock, os.Getuid())
		case errors.Is(derr, os.ErrNotExist):
			return fmt.Errorf("%w at %s: the socket %s does not exist; start the Docker Engine (dockerd) or set DOCKER_HOST / DOCKER_CONTEXT", ErrUnreachable, ep, sock)
		case derr != nil:
			return fmt.Errorf("%w at %s: %v; start the Docker Engine (dockerd) or set DOCKER_HOST / DOCKER_CONTEXT", ErrUnreachable, ep, derr)
		}
	}
	if strings.Contains(err.Error(), "permission denied") {
		return fmt.Errorf("%w (%s): %v", ErrPermission, ep, err)
	}
	return fmt.Errorf("%w at %s: %v; check that the Engine runs and DOCKER_HOST / DOCKER_CONTEXT / TLS settings are right", ErrUnreachable, ep, err)
}

// wrap names the object and marks not-found errors with ErrNotFound.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%s: %w (%v)", what, ErrNotFound, err)
	}
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%s: %w: %v", what, ErrUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Lazy connects on first use and remembers the outcome, so commands that may not need
// the Engine (a bare reference that turns out to be a file) never contact it.
type Lazy struct {
	Options Options
	once    sync.Once
	engine  *Engine
	err     error
}

// Get connects (once) and returns the Engine.
func (l *Lazy) Get(ctx context.Context) (*Engine, error) {
	l.once.Do(func() { l.engine, l.err = Connect(ctx, l.Options) })
	return l.engine, l.err
}

// Close closes the Engine if one was connected.
func (l *Lazy) Close() error {
	if l == nil || l.engine == nil {
		return nil
	}
	return l.engine.Close()
}

// readCloser pairs a reader with a close function.
type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
