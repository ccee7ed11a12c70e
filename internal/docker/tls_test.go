package docker_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
)

// tlsProxy serves the real Engine socket over TCP with TLS, requiring a client
// certificate signed by the test CA, like a dockerd started with --tlsverify.
func tlsProxy(t *testing.T, sock string) string {
	t.Helper()
	pair, err := tls.LoadX509KeyPair("testdata/tls/server-cert.pem", "testdata/tls/server-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile("testdata/tls/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				u, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestTLSEndpoint(t *testing.T) {
	real := dockertest.Engine(t)
	sock := real.Endpoint.Host[len("unix://"):]
	host := tlsProxy(t, sock)
	certs, err := filepath.Abs("testdata/tls")
	if err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) docker.Env { return func(k string) string { return m[k] } }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	e, err := docker.Connect(ctx, docker.Options{Env: env(map[string]string{"DOCKER_CONFIG": t.TempDir(), "DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs})})
	if err != nil {
		t.Fatalf("connecting over TLS: %v", err)
	}
	defer e.Close()
	if e.ServerVersion != real.ServerVersion || !e.Endpoint.TLS || e.Endpoint.SkipVerify {
		t.Errorf("over TLS: server %q (want %q), endpoint %+v", e.ServerVersion, real.ServerVersion, e.Endpoint)
	}
	if _, err := e.InspectImage(ctx, dockertest.Unique("shipshape-test/none")+":1"); !errors.Is(err, docker.ErrNotFound) {
		t.Errorf("image lookup over TLS: %v, want ErrNotFound", err)
	}
	// Exec inspect uses the client's own dialer (TLS included).
	if _, err := e.ExecInspect(ctx, "0000000000000000000000000000000000000000000000000000000000000000"); !errors.Is(err, docker.ErrNotFound) {
		t.Errorf("exec inspect over TLS: %v, want ErrNotFound", err)
	}

	// Without a client certificate the proxy refuses, as dockerd --tlsverify does.
	onlyCA := t.TempDir()
	caPEM, _ := os.ReadFile(filepath.Join(certs, "ca.pem"))
	os.WriteFile(filepath.Join(onlyCA, "ca.pem"), caPEM, 0o644)
	_, err = docker.Connect(ctx, docker.Options{PingTimeout: 10 * time.Second, Env: env(map[string]string{"DOCKER_CONFIG": t.TempDir(), "DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": onlyCA})})
	if !errors.Is(err, docker.ErrUnreachable) {
		t.Errorf("no client certificate: %v, want ErrUnreachable", err)
	}
	// Plain HTTP against a TLS endpoint: a clear error too.
	_, err = docker.Connect(ctx, docker.Options{PingTimeout: 10 * time.Second, Env: env(map[string]string{"DOCKER_CONFIG": t.TempDir(), "DOCKER_HOST": host})})
	if !errors.Is(err, docker.ErrUnreachable) {
		t.Errorf("plain HTTP to a TLS endpoint: %v, want ErrUnreachable", err)
	}
}
