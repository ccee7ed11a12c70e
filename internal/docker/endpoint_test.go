package docker

import (
	"path/filepath"
	"testing"
)

func TestResolveEndpoint(t *testing.T) {
	cfg, err := filepath.Abs("testdata/dockerconfig")
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	mtlsDir := filepath.Join(cfg, "contexts", "tls", "24e418e435e9a445d5575c1bf9acebe1747dc68683eca91a110adf20e23f8c8e", "docker")
	certs := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want Endpoint
		err  bool
	}{
		{"nothing set", map[string]string{"DOCKER_CONFIG": empty}, Endpoint{Host: DefaultHost, From: "default"}, false},
		{"current context from config.json", map[string]string{"DOCKER_CONFIG": cfg},
			Endpoint{Host: "unix:///run/user/1000/docker.sock", From: "context plain"}, false},
		{"DOCKER_HOST beats the current context", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": "tcp://127.0.0.1:2375"},
			Endpoint{Host: "tcp://127.0.0.1:2375", From: "DOCKER_HOST"}, false},
		{"DOCKER_CONTEXT beats DOCKER_HOST", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONTEXT": "remote-tls"},
			Endpoint{Host: "tcp://10.0.0.7:2376", From: "context remote-tls", TLS: true, SkipVerify: true}, false},
		{"DOCKER_CONTEXT=default means the default endpoint", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "default"},
			Endpoint{Host: DefaultHost, From: "default"}, false},
		{"context with TLS files", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "mtls"},
			Endpoint{Host: "tcp://10.0.0.8:2376", From: "context mtls", TLS: true,
				CA: filepath.Join(mtlsDir, "ca.pem"), Cert: filepath.Join(mtlsDir, "cert.pem"), Key: filepath.Join(mtlsDir, "key.pem")}, false},
		{"DOCKER_TLS_VERIFY with DOCKER_CERT_PATH", map[string]string{"DOCKER_CONFIG": empty, "DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": mtlsDir},
			Endpoint{Host: "tcp://h:2376", From: "DOCKER_HOST", TLS: true,
				CA: filepath.Join(mtlsDir, "ca.pem"), Cert: filepath.Join(mtlsDir, "cert.pem"), Key: filepath.Join(mtlsDir, "key.pem")}, false},
		{"DOCKER_TLS without verify", map[string]string{"DOCKER_CONFIG": empty, "DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS": "1", "DOCKER_CERT_PATH": certs},
			Endpoint{Host: "tcp://h:2376", From: "DOCKER_HOST", TLS: true, SkipVerify: true}, false},
		{"unknown context", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "nope"}, Endpoint{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveEndpoint(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if err == nil {
				if _, err := got.tlsConfig(); err != nil {
					t.Errorf("tlsConfig: %v", err)
				}
			}
		})
	}
}

func TestTLSConfigLoadsContextCertificates(t *testing.T) {
	cfg, _ := filepath.Abs("testdata/dockerconfig")
	ep, err := ResolveEndpoint(func(k string) string {
		return map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "mtls"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := ep.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.InsecureSkipVerify {
		t.Errorf("TLS config: roots %v, %d client certs, skip verify %v; want the context's CA and client cert, verifying", tc.RootCAs != nil, len(tc.Certificates), tc.InsecureSkipVerify)
	}
	ep.Key = ""
	if _, err := ep.tlsConfig(); err == nil {
		t.Error("a certificate without its key was accepted")
	}
}
