package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Image identifies a local image.
type Image struct {
	ID          string
	RepoTags    []string
	RepoDigests []string
}

// InspectImage looks ref (a name, tag, digest or ID) up in the Engine. A missing image is
// an error wrapping ErrNotFound.
func (e *Engine) InspectImage(ctx context.Context, ref string) (Image, error) {
	res, err := e.Client.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, wrap("image "+ref, err)
	}
	return Image{ID: res.ID, RepoTags: res.RepoTags, RepoDigests: res.RepoDigests}, nil
}

// SaveImage streams the image as `docker save` writes it (a tar with manifest.json). The
// stream ends with an error naming the image if the Engine stops half-way (for example
// because the image was removed meanwhile).
func (e *Engine) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	rc, err := e.Client.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, wrap("saving image "+ref+" from the Docker Engine", err)
	}
	return readCloser{Reader: errReader{r: rc, what: "image " + ref + " from the Docker Engine"}, close: rc.Close}, nil
}

// errReader names the stream in read errors.
type errReader struct {
	r    io.Reader
	what string
}

func (r errReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("reading %s: %w", r.what, err)
	}
	return n, err
}

// ImageSource lets internal/source read local images through the Engine. It connects
// on first use.
type ImageSource struct {
	Engine *Lazy
}

// LookupImage reports whether the Engine holds ref. An Engine that cannot be reached is
// an error; a missing image is found == false.
func (s ImageSource) LookupImage(ctx context.Context, ref string) (id string, repoDigests []string, found bool, err error) {
	e, err := s.Engine.Get(ctx)
	if err != nil {
		return "", nil, false, err
	}
	img, err := e.InspectImage(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return img.ID, img.RepoDigests, true, nil
}

// SaveImage streams ref in `docker save` form.
func (s ImageSource) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	e, err := s.Engine.Get(ctx)
	if err != nil {
		return nil, err
	}
	return e.SaveImage(ctx, ref)
}

// String names the Engine for messages.
func (s ImageSource) String() string {
	if s.Engine != nil && s.Engine.engine != nil {
		return "the Docker Engine at " + s.Engine.engine.Endpoint.String()
	}
	ep, err := ResolveEndpoint(s.Engine.Options.Env)
	if err != nil {
		return "the Docker Engine"
	}
	return "the Docker Engine at " + ep.String()
}
