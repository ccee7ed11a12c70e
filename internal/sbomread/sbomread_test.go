package sbomread

import (
	"strings"
	"testing"
)

func TestFromPURL(t *testing.T) {
	for _, tc := range []struct {
		purl, typ, name, version, src string
		ok                            bool
	}{
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl", "deb", "libssl3", "3.0.11-1~deb12u2", "openssl", true},
		{"pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64&distro=alpine-3.12.12", "apk", "zlib", "1.2.12-r0", "zlib", true},
		{"pkg:rpm/centos/bash@4.2.46-34.el7?arch=x86_64&epoch=1", "rpm", "bash", "1:4.2.46-34.el7", "bash", true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "", true},
		{"pkg:npm/%40babel/core@7.0.0", "npm", "@babel/core", "7.0.0", "", true},
		{"pkg:golang/golang.org/x/net@v0.7.0", "golang", "golang.org/x/net", "v0.7.0", "", true},
		{"pkg:composer/symfony/http-kernel@v5.4.0", "composer", "symfony/http-kernel", "v5.4.0", "", true},
		{"pkg:pypi/requests", "", "", "", "", false},
		{"not a purl", "", "", "", "", false},
	} {
		p, err := fromPURL(tc.purl)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.purl, err)
			continue
		}
		if tc.ok && (p.Type != tc.typ || p.Name != tc.name || p.Version != tc.version || p.SourceName != tc.src) {
			t.Errorf("%s: got %+v", tc.purl, p)
		}
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, doc string
		pkgs      int
		os        string
		err       string
	}{
		{"cyclonedx", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"operating-system","name":"alpine","version":"3.19.4"},{"type":"library","name":"zlib","version":"1.3.1-r0","purl":"pkg:apk/alpine/zlib@1.3.1-r0"},{"type":"library","name":"x","purl":"pkg:npm/x"}]}`, 1, "alpine", ""},
		{"spdx", `{"spdxVersion":"SPDX-2.3","packages":[{"name":"openssl","versionInfo":"3.0.11","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/openssl@3.0.11?distro=debian-12"}]}]}`, 1, "debian", ""},
		{"not json", `<xml/>`, 0, "", "not a JSON SBOM"},
		{"other json", `{"a":1}`, 0, "", "neither CycloneDX"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Read(strings.NewReader(tc.doc))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Packages) != tc.pkgs || inv.OS == nil || inv.OS.Family != tc.os {
				t.Errorf("inventory %+v os %+v", inv.Packages, inv.OS)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"type":"library","purl":"pkg:npm/a@1","components":[{"purl":"pkg:golang/x/y@v1"}]}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","packages":[{"externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:rpm/fedora/a@1?epoch=2"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Read(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, p := range inv.Packages {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("package without identity: %+v", p)
			}
		}
	})
}
