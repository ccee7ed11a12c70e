// Package docker talks to a Docker Engine through the official moby client: it finds the
// Engine the way the docker CLI does (DOCKER_HOST, DOCKER_TLS_VERIFY/DOCKER_CERT_PATH,
// DOCKER_CONTEXT and the current context in ~/.docker/config.json), streams local images
// out of it, and reads containers, the host's settings and the event stream for the
// runtime and host checks. It holds no checks of its own.
package docker

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultHost is where the Engine listens when nothing says otherwise.
const DefaultHost = "unix:///var/run/docker.sock"

// Endpoint says where an Engine is and how to reach it.
type Endpoint struct {
	// Host is the Engine address: unix:///path, tcp://host:port, npipe://...
	Host string
	// From says what chose it: "default", "DOCKER_HOST", or "context NAME".
	From string
	// TLS settings; CA, Cert and Key are files (any may be empty).
	TLS        bool
	SkipVerify bool
	CA         string
	Cert       string
	Key        string
}

func (e Endpoint) String() string {
	if e.From == "" || e.From == "default" {
		return e.Host
	}
	return e.Host + " (from " + e.From + ")"
}

// Env reads the environment; tests replace it.
type Env func(string) string

// configDir is the docker CLI's config folder: $DOCKER_CONFIG or ~/.docker.
func configDir(env Env) string {
	if d := env("DOCKER_CONFIG"); d != "" {
		return d
	}
	home := env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// ResolveEndpoint finds the Engine the way the docker CLI does: DOCKER_CONTEXT names a
// context; else DOCKER_HOST (with DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH);
// else the currentContext of config.json; else the default socket.
func ResolveEndpoint(env Env) (Endpoint, error) {
	if env == nil {
		env = os.Getenv
	}
	dir := configDir(env)
	if name := env("DOCKER_CONTEXT"); name != "" && name != "default" {
		return contextEndpoint(dir, name, "DOCKER_CONTEXT")
	}
	if env("DOCKER_CONTEXT") == "" {
		if host := env("DOCKER_HOST"); host != "" {
			ep := Endpoint{Host: host, From: "DOCKER_HOST"}
			if env("DOCKER_TLS_VERIFY") != "" || env("DOCKER_TLS") != "" {
				ep.TLS = true
				ep.SkipVerify = env("DOCKER_TLS_VERIFY") == ""
				certDir := env("DOCKER_CERT_PATH")
				if certDir == "" {
					certDir = dir
				}
				ep.CA, ep.Cert, ep.Key = existing(certDir, "ca.pem"), existing(certDir, "cert.pem"), existing(certDir, "key.pem")
			}
			return ep, nil
		}
		name, err := currentContext(dir)
		if err != nil {
			return Endpoint{}, err
		}
		if name != "" && name != "default" {
			return contextEndpoint(dir, name, "config.json currentContext")
		}
	}
	return Endpoint{Host: DefaultHost, From: "default"}, nil
}

func existing(dir, name string) string {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func currentContext(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the docker CLI config %s: %w", filepath.Join(dir, "config.json"), err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("the docker CLI config %s is not valid JSON (fix or remove it): %w", filepath.Join(dir, "config.json"), err)
	}
	return cfg.CurrentContext, nil
}

// contextEndpoint reads a docker context as the CLI stores it: the metadata in
// contexts/meta/<sha256(name)>/meta.json, TLS files in contexts/tls/<sha256(name)>/docker/.
func contextEndpoint(dir, name, from string) (Endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(metaPath)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q (named by %s): %w (list contexts with `docker context ls`)", name, from, err)
	}
	var meta struct {
		Name      string
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %s is not valid JSON: %w", name, metaPath, err)
	}
	d, ok := meta.Endpoints["docker"]
	if !ok || d.Host == "" {
		return Endpoint{}, fmt.Errorf("docker context %q: %s has no docker endpoint host", name, metaPath)
	}
	ep := Endpoint{Host: d.Host, From: "context " + name, SkipVerify: d.SkipTLSVerify}
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	ep.CA, ep.Cert, ep.Key = existing(tlsDir, "ca.pem"), existing(tlsDir, "cert.pem"), existing(tlsDir, "key.pem")
	ep.TLS = ep.CA != "" || ep.Cert != "" || d.SkipTLSVerify
	return ep, nil
}

// tlsConfig builds the client TLS settings of ep (nil when ep does not use TLS).
func (e Endpoint) tlsConfig() (*tls.Config, error) {
	if !e.TLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: e.SkipVerify} //nolint:gosec // the user asked for it (DOCKER_TLS without DOCKER_TLS_VERIFY, or SkipTLSVerify)
	if e.CA != "" {
		pem, err := os.ReadFile(e.CA)
		if err != nil {
			return nil, fmt.Errorf("reading the Engine's CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", e.CA)
		}
		cfg.RootCAs = pool
	}
	if e.Cert != "" || e.Key != "" {
		if e.Cert == "" || e.Key == "" {
			return nil, fmt.Errorf("TLS client certificate and key come in pairs; found only %s", e.Cert+e.Key)
		}
		pair, err := tls.LoadX509KeyPair(e.Cert, e.Key)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate %s and key %s: %w", e.Cert, e.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// socketPath returns the file of a unix:// host, or "".
func (e Endpoint) socketPath() string {
	if p, ok := strings.CutPrefix(e.Host, "unix://"); ok {
		return p
	}
	return ""
}
