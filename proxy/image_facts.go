package proxy

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/client"
)

// CommandsLabel is the image label in which XNAT keeps Command definitions.
const CommandsLabel = "org.nrg.commands"

// imageFacts resolves an image reference the way the daemon will and
// describes the image for the policy. A name that the daemon would resolve
// as an id prefix (it does so for short ids that are not tags) is reported
// with by_id, so a policy never judges an id by the name it looks like.
func (f *Facts) imageFacts(ctx context.Context, raw string, allTags bool) (map[string]any, error) {
	if raw == "" {
		return nil, nil
	}
	facts := map[string]any{
		"requested": raw, "ref": "", "repository": "", "tag": "", "digest": "",
		"by_id": false, "id": "", "present": false, "labels": map[string]any{},
		"refs": []any{}, "commands": []any{},
	}
	var named reference.Named
	if parsed, err := reference.ParseAnyReference(raw); err == nil {
		if n, ok := parsed.(reference.Named); ok {
			named = n
			if !allTags {
				named = reference.TagNameOnly(n)
			}
		} else {
			facts["by_id"] = true
		}
	} else {
		facts["by_id"] = true
	}
	inspect, err := f.api.ImageInspect(ctx, raw)
	switch {
	case err == nil:
		facts["present"] = true
		facts["id"] = inspect.ID
		refs := make([]any, 0, len(inspect.RepoTags)+len(inspect.RepoDigests))
		known := map[string]bool{}
		for _, r := range append(append([]string{}, inspect.RepoTags...), inspect.RepoDigests...) {
			if n, err := reference.ParseNormalizedNamed(r); err == nil {
				refs = append(refs, n.String())
				known[n.String()] = true
			}
		}
		facts["refs"] = refs
		if named != nil && !known[named.String()] {
			// The daemon found the image, but not under this name: it
			// matched an id prefix.
			named = nil
			facts["by_id"] = true
		}
		if inspect.Config != nil {
			labels := make(map[string]any, len(inspect.Config.Labels))
			for k, v := range inspect.Config.Labels {
				labels[k] = v
			}
			facts["labels"] = labels
			facts["commands"] = commandNames(inspect.Config.Labels[CommandsLabel])
		}
	case client.IsErrNotFound(err):
		if named == nil {
			facts["by_id"] = true
		}
	default:
		return nil, err
	}
	if named != nil {
		facts["ref"] = named.String()
		facts["repository"] = named.Name()
		if t, ok := named.(reference.Tagged); ok {
			facts["tag"] = t.Tag()
		}
		if d, ok := named.(reference.Digested); ok {
			facts["digest"] = d.Digest().String()
		}
	}
	return facts, nil
}

// commandNames lists the "name" of each Command in an org.nrg.commands
// label; a label that does not parse yields none.
func commandNames(label string) []any {
	if strings.TrimSpace(label) == "" {
		return []any{}
	}
	var cmds []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(label), &cmds); err != nil {
		return []any{}
	}
	names := make([]any, 0, len(cmds))
	for _, c := range cmds {
		if c.Name != "" {
			names = append(names, c.Name)
		}
	}
	return names
}

// pullReference is the image a pull asks for: fromImage with the tag or
// digest in `tag`. No tag at all means every tag of the repository.
func pullReference(fromImage, tag string) (ref string, allTags bool) {
	if tag == "" {
		if n, err := reference.ParseNormalizedNamed(fromImage); err == nil && !reference.IsNameOnly(n) {
			return fromImage, false
		}
		return fromImage, true
	}
	if strings.HasPrefix(tag, "sha256:") {
		return fromImage + "@" + tag, false
	}
	return fromImage + ":" + tag, false
}
