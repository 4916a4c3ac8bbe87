package proxy

import (
	"net/url"

	"github.com/distribution/reference"
)

// newImageNames lists the names a request would give an image: a retag's,
// a commit's or an import's repo and tag, each of a build's t. Each is
// {"requested", "ref"}, ref normalized as the daemon stores it
// (docker.io/library/x:latest), or "" for a name the daemon would refuse or
// read otherwise: a policy judges what the daemon will write, and a name it
// cannot work out is refused. nil for other requests.
func newImageNames(endpoint string, query url.Values) []any {
	switch endpoint {
	case "image.tag", "image.commit", "image.import":
		repo, tag := query.Get("repo"), query.Get("tag")
		if repo == "" && endpoint != "image.tag" {
			return []any{} // the image is made without a name
		}
		requested := repo
		if tag != "" {
			requested += ":" + tag
		}
		return []any{imageName(requested, repoTagRef(repo, tag))}
	case "image.build":
		names := make([]any, 0, len(query["t"]))
		for _, t := range query["t"] {
			names = append(names, imageName(t, repoTagRef(t, "")))
		}
		return names
	}
	return nil
}

func imageName(requested, ref string) map[string]any {
	return map[string]any{"requested": requested, "ref": ref}
}

// repoTagRef is the reference the daemon stores for repo and tag: the tag
// replaces one repo carries, and none at all means latest. A digest cannot
// be given, so a repo with one yields "".
func repoTagRef(repo, tag string) string {
	n, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return ""
	}
	if _, digested := n.(reference.Digested); digested {
		return ""
	}
	if tag != "" {
		if n, err = reference.WithTag(reference.TrimNamed(n), tag); err != nil {
			return ""
		}
	}
	return reference.TagNameOnly(n).String()
}
