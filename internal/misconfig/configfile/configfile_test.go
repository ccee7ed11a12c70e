package configfile

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

var project = filepath.Join("testdata", "project")

func TestFindAndScan(t *testing.T) {
	ctx := context.Background()
	targets, err := Find(ctx, []string{project}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targets {
		rel, _ := filepath.Rel(project, tg.Path)
		got = append(got, tg.Kind+":"+filepath.ToSlash(rel))
	}
	if want := "dockerfile:Dockerfile compose:docker-compose.yml kubernetes:k8s/deploy.yaml"; strings.Join(got, " ") != want {
		t.Fatalf("found %q, want %q", strings.Join(got, " "), want)
	}
	res, err := Scan(ctx, targets, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, m := range res {
		if m.Status == inventory.CheckFail {
			found[m.ID] = m.Kind + ":" + filepath.Base(m.Target) + ":" + strconv.Itoa(m.StartLine)
		}
	}
	for id, want := range map[string]string{
		"SS-DF-001":  "dockerfile:Dockerfile:1",
		"SS-DF-005":  "",
		"SS-DF-006":  "",
		"SS-DF-032":  "dockerfile:Dockerfile:6",
		"SS-DF-033":  "dockerfile:Dockerfile:3",
		"SS-CP-001":  "compose:docker-compose.yml:7",
		"SS-CP-015":  "compose:docker-compose.yml:6",
		"SS-K8S-001": "kubernetes:deploy.yaml:12",
	} {
		if found[id] != want {
			t.Errorf("%s: got %q, want %q", id, found[id], want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"Dockerfile", "", inventory.CheckDockerfile},
		{"api.Dockerfile", "", inventory.CheckDockerfile},
		{"Containerfile.prod", "", inventory.CheckDockerfile},
		{"Dockerfile.dockerignore", "", ""},
		{"build-image", "# syntax=docker/dockerfile:1\nARG V=1\nFROM alpine:$V\n", inventory.CheckDockerfile},
		{"compose.yaml", "services:\n  a:\n    image: x\n", inventory.CheckCompose},
		{"pod.yml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", inventory.CheckKubernetes},
		{"pod.json", `{"apiVersion": "v1", "kind": "Pod"}`, inventory.CheckKubernetes},
		{"values.yaml", "replicaCount: 1\n", ""},
		{"notes.txt", "FROM alpine\n", ""},
	} {
		if got := Detect(tc.name, []byte(tc.content)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFindErrors(t *testing.T) {
	_, err := Find(context.Background(), []string{filepath.Join("testdata", "notconfig.txt"), filepath.Join("testdata", "missing")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "not a Dockerfile") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("got %v", err)
	}
}

// TestDockerignore: the same COPY . fails SS-DF-033 without a .dockerignore next to the
// Dockerfile (the project fixture) and passes with one.
func TestDockerignore(t *testing.T) {
	ctx := context.Background()
	for dir, want := range map[string]string{"ignored": inventory.CheckPass, "project": inventory.CheckFail} {
		targets, err := Find(ctx, []string{filepath.Join("testdata", dir, "Dockerfile")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Scan(ctx, targets, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, m := range res {
			if m.ID == "SS-DF-033" {
				got = m.Status
			}
		}
		if got != want {
			t.Errorf("%s: SS-DF-033 %q, want %q", dir, got, want)
		}
	}
}
