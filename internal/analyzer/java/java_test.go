package java

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// summary renders packages as "location name@version [dev] [direct]" lines.
func summary(pkgs []inventory.Package) string {
	var lines []string
	for _, p := range pkgs {
		s := fmt.Sprintf("%s %s@%s", p.Location, p.Name, p.Version)
		if p.Dev {
			s += " dev"
		}
		if p.Dependency != "" {
			s += " " + p.Dependency
		}
		lines = append(lines, strings.TrimSpace(s))
	}
	return strings.Join(lines, "\n")
}

func analyze(t *testing.T, a *Analyzer, path string, data []byte) analyzer.Facts {
	t.Helper()
	if !a.Claims(path, nil) {
		t.Fatalf("Claims(%q) = false", path)
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: path, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", path, err)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypeMaven {
			t.Errorf("%s: type %q", p.Name, p.Type)
		}
		if want := PURL(p.Name, p.Version); p.PURL != want || !strings.HasPrefix(p.PURL, "pkg:maven/") {
			t.Errorf("%s: purl %q, want %q", p.Name, p.PURL, want)
		}
	}
	return f
}

func TestJars(t *testing.T) {
	tests := []struct {
		fixture, path string
		want          string
		warnings      int
	}{
		// One pom.properties: the jar itself.
		{"log4j-core-2.19.0.jar", "usr/share/java/log4j-core.jar", "org.apache.logging.log4j:log4j-core@2.19.0", 0},
		{"jackson-databind-2.14.0.jar", "usr/share/java/jackson-databind.jar", "com.fasterxml.jackson.core:jackson-databind@2.14.0", 0},
		{"snakeyaml-1.33.jar", "usr/share/java/snakeyaml.jar", "org.yaml:snakeyaml@1.33", 0},
		// A bundle embedding its dependencies: one package per pom.properties.
		{"httpclient-osgi-4.5.14.jar", "usr/share/java/httpclient-osgi.jar", strings.Join([]string{
			"commons-codec:commons-codec@1.15",
			"org.apache.httpcomponents:fluent-hc@4.5.14",
			"org.apache.httpcomponents:httpclient@4.5.14",
			"org.apache.httpcomponents:httpclient-cache@4.5.14",
			"org.apache.httpcomponents:httpclient-osgi@4.5.14",
			"org.apache.httpcomponents:httpmime@4.5.14",
		}, "\n"), 0},
		// No pom.properties: Bundle-SymbolicName org.mongodb.bson ends with the file's
		// artifactId, Bundle-Version wins over the file name (and over Build-Version 3.6.2).
		{"bson-3.6.3.jar", "opt/app/lib/bson-3.6.3.jar", "org.mongodb:bson@3.6.3", 0},
		{"bson-3.6.3.jar", "opt/app/lib/bson.jar", "org.mongodb:bson@3.6.3", 0},
		// No pom.properties, no groupId anywhere: Implementation-Title names the artifact
		// (Debian renamed the file), with a warning that it cannot be matched.
		{"spring3-beans-3.x.jar", "usr/share/java/spring3-beans-3.x.jar", "spring-beans@4.3.30.RELEASE", 1},
		// Source and javadoc jars are not code that runs: no identity of their own.
		{"bson-3.6.3.jar", "root/.m2/repository/org/mongodb/bson/3.6.3/bson-3.6.3-sources.jar", "", 0},
	}
	a := New()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f := analyze(t, a, tt.path, readFixture(t, tt.fixture))
			if got := summary(f.Packages); got != tt.want {
				t.Errorf("packages\n%s\nwant\n%s", got, tt.want)
			}
			if len(f.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", f.Warnings, tt.warnings)
			}
		})
	}
}

// zipOf builds a zip archive holding the given entries (name, content) in order; method
// is zip.Store or zip.Deflate.
func zipOf(t testing.TB, method uint16, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNested builds a war and an ear from the real jars (as Maven and Spring Boot lay them
// out) and checks every package is found with its nested location.
func TestNested(t *testing.T) {
	log4j, bson, yaml := string(readFixture(t, "log4j-core-2.19.0.jar")), string(readFixture(t, "bson-3.6.3.jar")), string(readFixture(t, "snakeyaml-1.33.jar"))
	war := zipOf(t, zip.Deflate,
		[2]string{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: shop\r\nImplementation-Version: 2.1.0\r\n\r\n"},
		[2]string{"WEB-INF/classes/META-INF/maven/com.example/shop/pom.properties", "groupId=com.example\nartifactId=shop\nversion=2.1.0\n"},
		[2]string{"WEB-INF/lib/log4j-core-2.19.0.jar", log4j},
		[2]string{"WEB-INF/lib/bson-3.6.3.jar", bson},
	)
	boot := zipOf(t, zip.Store,
		[2]string{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n"},
		[2]string{"BOOT-INF/lib/snakeyaml-1.33.jar", yaml},
	)
	ear := zipOf(t, zip.Deflate,
		[2]string{"shop.war", string(war)},
		[2]string{"lib/snakeyaml-1.33.jar", yaml},
	)
	tests := []struct {
		path string
		data []byte
		want string
	}{
		{"srv/shop.war", war, strings.Join([]string{
			"com.example:shop@2.1.0",
			"/srv/shop.war:WEB-INF/lib/bson-3.6.3.jar org.mongodb:bson@3.6.3",
			"/srv/shop.war:WEB-INF/lib/log4j-core-2.19.0.jar org.apache.logging.log4j:log4j-core@2.19.0",
		}, "\n")},
		// A Spring Boot jar with no identity of its own: only what it nests.
		{"app/app.jar", boot, "/app/app.jar:BOOT-INF/lib/snakeyaml-1.33.jar org.yaml:snakeyaml@1.33"},
		{"srv/shop.ear", ear, strings.Join([]string{
			"/srv/shop.ear:lib/snakeyaml-1.33.jar org.yaml:snakeyaml@1.33",
			"/srv/shop.ear:shop.war com.example:shop@2.1.0",
			"/srv/shop.ear:shop.war:WEB-INF/lib/bson-3.6.3.jar org.mongodb:bson@3.6.3",
			"/srv/shop.ear:shop.war:WEB-INF/lib/log4j-core-2.19.0.jar org.apache.logging.log4j:log4j-core@2.19.0",
		}, "\n")},
	}
	a := New()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f := analyze(t, a, tt.path, tt.data)
			if got := summary(f.Packages); got != tt.want {
				t.Errorf("packages\n%s\nwant\n%s", got, tt.want)
			}
			if len(f.Warnings) != 0 {
				t.Errorf("warnings: %q", f.Warnings)
			}
		})
	}
}

// TestZipBombs: archives that expand too much or nest too deep are refused with a warning,
// and what could be read is still reported.
func TestZipBombs(t *testing.T) {
	yaml := string(readFixture(t, "snakeyaml-1.33.jar"))
	// 8 MiB of zeros deflates to ~8 KiB: a ratio near 1000.
	zeros := string(make([]byte, 8<<20))
	bomb := zipOf(t, zip.Deflate,
		[2]string{"lib/snakeyaml-1.33.jar", yaml},
		[2]string{"lib/zeros.jar", zeros},
	)
	deep := []byte(yaml)
	for range 6 {
		deep = zipOf(t, zip.Store, [2]string{"lib/inner.jar", string(deep)})
	}
	budget := zipOf(t, zip.Store,
		[2]string{"lib/a.jar", yaml},
		[2]string{"lib/b.jar", yaml},
	)
	tests := []struct {
		name    string
		lim     Limits
		data    []byte
		want    string
		warning string
	}{
		{"ratio", DefaultLimits, bomb, "/x/bomb.jar:lib/snakeyaml-1.33.jar org.yaml:snakeyaml@1.33", "lib/zeros.jar: expands from"},
		{"depth", DefaultLimits, deep, "", "nested deeper than 4 archives"},
		{"deep enough", Limits{MaxDepth: 6}, deep, "/x/bomb.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar org.yaml:snakeyaml@1.33", ""},
		{"budget", Limits{MaxNestedBytes: int64(len(yaml)) + 10}, budget, "/x/bomb.jar:lib/a.jar org.yaml:snakeyaml@1.33", "lib/b.jar: 332884 bytes would exceed"},
		{"count", Limits{MaxNestedArchives: 1}, budget, "/x/bomb.jar:lib/a.jar org.yaml:snakeyaml@1.33", "lib/b.jar: more than 1 nested archives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := analyze(t, NewWithLimits(tt.lim), "x/bomb.jar", tt.data)
			if got := summary(f.Packages); got != tt.want {
				t.Errorf("packages\n%s\nwant\n%s", got, tt.want)
			}
			w := strings.Join(f.Warnings, "\n")
			if tt.warning == "" && w != "" || !strings.Contains(w, tt.warning) {
				t.Errorf("warnings %q, want one containing %q", w, tt.warning)
			}
		})
	}
}

func TestNotAZip(t *testing.T) {
	a := New()
	_, err := a.Analyze(context.Background(), analyzer.Input{Path: "x.jar", Content: strings.NewReader("not a zip")})
	if err == nil || !strings.Contains(err.Error(), "x.jar") {
		t.Errorf("err = %v, want one naming x.jar", err)
	}
	// A damaged nested archive is a warning, not an error.
	outer := zipOf(t, zip.Store, [2]string{"WEB-INF/lib/broken.jar", "PK\x03\x04 truncated"})
	f := analyze(t, a, "x.war", outer)
	if len(f.Packages) != 0 || len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "WEB-INF/lib/broken.jar") {
		t.Errorf("facts %+v", f)
	}
}

func TestGradleLock(t *testing.T) {
	f := analyze(t, New(), "app/gradle.lockfile", readFixture(t, "gradle.lockfile"))
	want := strings.Join([]string{
		"com.fasterxml.jackson.core:jackson-annotations@2.13.2",
		"com.fasterxml.jackson.core:jackson-core@2.13.2",
		"com.fasterxml.jackson.core:jackson-databind@2.13.2",
		"junit:junit@4.13.2 dev",
		"org.apache.commons:commons-lang3@3.11 dev",
		"org.apache.commons:commons-text@1.9 dev",
		"org.apache.logging.log4j:log4j-api@2.14.1",
		"org.apache.logging.log4j:log4j-core@2.14.1",
		"org.hamcrest:hamcrest-core@1.3 dev",
		"org.slf4j:slf4j-api@1.7.36",
		"org.yaml:snakeyaml@1.29",
	}, "\n")
	if got := summary(f.Packages); got != want || len(f.Warnings) != 0 {
		t.Errorf("packages\n%s\nwant\n%s\nwarnings %q", got, want, f.Warnings)
	}
}

func TestGradleLockVariants(t *testing.T) {
	tests := []struct {
		path, data, want string
		warnings         int
	}{
		// Gradle 4.8-6 wrote one file per configuration, without "=configurations".
		{"gradle/dependency-locks/testRuntimeClasspath.lockfile", "# comment\njunit:junit:4.13.2\n", "junit:junit@4.13.2 dev", 0},
		{"gradle/dependency-locks/runtimeClasspath.lockfile", "org.yaml:snakeyaml:1.29\n", "org.yaml:snakeyaml@1.29", 0},
		{"buildscript-gradle.lockfile", "com.github.ben-manes:gradle-versions-plugin:0.42.0=classpath\n", "com.github.ben-manes:gradle-versions-plugin@0.42.0 dev", 0},
		{"gradle.lockfile", "org.yaml:snakeyaml:1.29=integrationTestRuntimeClasspath,androidTestRuntimeClasspath\nbad line\r\n", "org.yaml:snakeyaml@1.29 dev", 1},
		{"gradle.lockfile", "org.yaml:snakeyaml:1.29=integrationTestRuntimeClasspath,productionRuntimeClasspath\n", "org.yaml:snakeyaml@1.29", 0},
	}
	for _, tt := range tests {
		f := analyze(t, New(), tt.path, []byte(tt.data))
		if got := summary(f.Packages); got != tt.want || len(f.Warnings) != tt.warnings {
			t.Errorf("%s: %q (warnings %q), want %q and %d warnings", tt.path, got, f.Warnings, tt.want, tt.warnings)
		}
	}
	if _, err := New().Analyze(context.Background(), analyzer.Input{Path: "gradle.lockfile", Content: strings.NewReader("<html>hello</html>")}); err == nil {
		t.Error("a lock file with no dependency line is not an error")
	}
}

func TestPom(t *testing.T) {
	f := analyze(t, New(), "src/orders/pom.xml", readFixture(t, "pom.xml"))
	want := strings.Join([]string{
		"com.example:orders-api@1.4.0 direct",
		"com.fasterxml.jackson.core:jackson-databind@2.13.2 direct",
		"junit:junit@4.13.2 dev direct",
		"org.apache.commons:commons-text@1.9 direct",
		"org.apache.logging.log4j:log4j-core@2.14.1 direct",
	}, "\n")
	if got := summary(f.Packages); got != want {
		t.Errorf("packages\n%s\nwant\n%s", got, want)
	}
	w := strings.Join(f.Warnings, "\n")
	for _, s := range []string{"2 dependencies skipped", "1 dependency skipped: version ranges", "org.springframework.boot:spring-boot-starter-web, org.yaml:snakeyaml", "org.slf4j:slf4j-api [1.7,2.0)"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings %q lack %q", w, s)
		}
	}
}

func TestPomErrors(t *testing.T) {
	for _, data := range []string{"", "not xml", "<project><dependencies><dependency>"} {
		if _, err := New().Analyze(context.Background(), analyzer.Input{Path: "pom.xml", Content: strings.NewReader(data)}); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
	// Latin-1 poms are read; self-referencing properties do not hang.
	latin1 := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><project><name>caf\xe9</name><properties><a>${b}</a><b>${a}</b></properties>" +
		"<dependencies><dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a}</version></dependency>" +
		"<dependency><groupId>g</groupId><artifactId>y</artifactId><version>1.0</version></dependency></dependencies></project>"
	f := analyze(t, New(), "pom.xml", []byte(latin1))
	if got := summary(f.Packages); got != "g:y@1.0 direct" || len(f.Warnings) != 1 {
		t.Errorf("got %q, warnings %q", got, f.Warnings)
	}
}

func TestLoosePomProperties(t *testing.T) {
	f := analyze(t, New(), "srv/app/WEB-INF/classes/META-INF/maven/com.example/shop/pom.properties", []byte("#Generated by Maven\nversion=2.1.0\n"))
	if got := summary(f.Packages); got != "com.example:shop@2.1.0" {
		t.Errorf("got %q", got)
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for p, want := range map[string]bool{
		"usr/share/java/log4j-core.jar":    true,
		"srv/app.WAR":                      true,
		"opt/x.ear":                        true,
		"var/jenkins_home/plugins/git.hpi": true,
		"var/jenkins_home/plugins/git.jpi": true,
		"x.par":                            true,
		"app/gradle.lockfile":              true,
		"gradle.lockfile":                  true,
		"app/gradle/dependency-locks/compileClasspath.lockfile": true,
		"app/other.lockfile": false,
		"app/pom.xml":        true,
		"app/node_modules/react-native-foo/android/pom.xml": false,
		"app/node_modules/foo/android/gradle.lockfile":      false,
		"usr/share/doc/libfoo-java/examples/pom.xml":        false,
		"usr/lib/ruby/gems/3.1.0/gems/foo-1.0/pom.xml":      false,
		"app/node_modules/foo/lib/foo.jar":                  true,
		"x.jar/META-INF/maven/g/a/pom.xml":                  false,
		"x/META-INF/maven/g/a/pom.properties":               true,
		"x/pom.properties":                                  false,
		"usr/share/java/README":                             false,
		"app.jar.sha1":                                      false,
	} {
		if got := a.Claims(p, nil); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSplitFileName(t *testing.T) {
	for name, want := range map[string][2]string{
		"log4j-core-2.19.0.jar":           {"log4j-core", "2.19.0"},
		"log4j-1.2-api-2.19.0.jar":        {"log4j-1.2-api", "2.19.0"},
		"guava-31.1-jre.jar":              {"guava", "31.1-jre"},
		"xyz-2.0-beta-3.jar":              {"xyz", "2.0-beta-3"},
		"netty-all-4.1.86.Final.jar":      {"netty-all", "4.1.86.Final"},
		"commons-lang3-3.12.0.jar":        {"commons-lang3", "3.12.0"},
		"spring-core-5.3.18-SNAPSHOT.jar": {"spring-core", "5.3.18-SNAPSHOT"},
		"log4j-core.jar":                  {"log4j-core", ""},
		"-1.0.jar":                        {"-1.0", ""},
	} {
		a, v := SplitFileName(name)
		if a != want[0] || v != want[1] {
			t.Errorf("SplitFileName(%q) = %q %q, want %q %q", name, a, v, want[0], want[1])
		}
	}
}

func TestParseManifest(t *testing.T) {
	m := ParseManifest([]byte("Manifest-Version: 1.0\r\nBundle-SymbolicName: org.foo.ba\r\n r;singleton:=true\r\nimplementation-version:2.0\r\n\r\nName: org/foo/\r\nImplementation-Version: 9\r\n"))
	if got := bundleName(m.Get("Bundle-SymbolicName")); got != "org.foo.bar" {
		t.Errorf("Bundle-SymbolicName %q", got)
	}
	if got := m.Get("Implementation-Version"); got != "2.0" {
		t.Errorf("Implementation-Version %q (per-entry sections must not override the main one)", got)
	}
}

func TestParseProperties(t *testing.T) {
	p := ParseProperties("# c\n! c\n  groupId = org.foo\nartifactId:bar\\\n   -baz\nversion 1.0\\u002d1\nkey\\=x=y\n")
	for k, want := range map[string]string{"groupId": "org.foo", "artifactId": "bar-baz", "version": "1.0-1", "key=x": "y"} {
		if p[k] != want {
			t.Errorf("%s = %q, want %q", k, p[k], want)
		}
	}
}
