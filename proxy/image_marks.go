package proxy

import (
	"context"
	"fmt"
	"sync"

	"github.com/docker/docker/client"
)

// A container takes its image's labels, so an image whose configuration
// sets ManagedLabel would make every container run from it, straight on the
// daemon by anyone, look like xcsproxy's. A container's label counts only
// when its image does not set it.

// imageMarks remembers, by image id, whether an image sets ManagedLabel
// itself. An id is the hash of the image's configuration, labels included,
// so an answer never goes stale; only the number kept is bounded.
type imageMarks struct {
	mu     sync.Mutex
	marked map[string]bool
}

// maxImageMarks bounds the remembered answers; past it they start over.
const maxImageMarks = 1024

// imageSetsManaged reports whether the image with this id sets ManagedLabel
// itself. An image the daemon no longer has cannot vouch for its
// containers, so it counts as setting it.
func (f *Facts) imageSetsManaged(ctx context.Context, id string) (bool, error) {
	m := &f.imageMarks
	m.mu.Lock()
	marked, known := m.marked[id]
	m.mu.Unlock()
	if known {
		return marked, nil
	}
	inspect, err := f.api.ImageInspect(ctx, id)
	if client.IsErrNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspecting image %s for its own labels: %w", id, err)
	}
	marked = inspect.Config != nil && inspect.Config.Labels[ManagedLabel] == "true"
	m.mu.Lock()
	if m.marked == nil || len(m.marked) >= maxImageMarks {
		m.marked = map[string]bool{}
	}
	m.marked[id] = marked
	m.mu.Unlock()
	return marked, nil
}
