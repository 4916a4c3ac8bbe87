package proxy

import (
	"net/url"
	"reflect"
	"testing"
)

func TestNewImageNamesAreTheReferencesTheDaemonWouldStore(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		query    string
		want     []any
	}{
		{"a retag's repo and tag", "image.tag", "repo=postgres&tag=13", []any{imageName("postgres:13", "docker.io/library/postgres:13")}},
		{"a retag without a tag is to latest", "image.tag", "repo=xnat/tool", []any{imageName("xnat/tool", "docker.io/xnat/tool:latest")}},
		{"a tag replaces the one the repo carries", "image.tag", "repo=xnat/tool:1&tag=2", []any{imageName("xnat/tool:1:2", "docker.io/xnat/tool:2")}},
		{"a retag without a repo names nothing the daemon takes", "image.tag", "", []any{imageName("", "")}},
		{"a repo with a digest cannot be given", "image.commit", "repo=xnat/tool@sha256:" + sixtyFourHex, []any{imageName("xnat/tool@sha256:"+sixtyFourHex, "")}},
		{"an uppercase repo is not a name", "image.import", "repo=Xnat/Tool", []any{imageName("Xnat/Tool", "")}},
		{"a commit without a repo makes an image without a name", "image.commit", "tag=x", []any{}},
		{"an import without a repo makes an image without a name", "image.import", "fromSrc=-", []any{}},
		{"every t of a build", "image.build", "t=a&t=reg.example:5000/b:2", []any{imageName("a", "docker.io/library/a:latest"), imageName("reg.example:5000/b:2", "reg.example:5000/b:2")}},
		{"a build without t", "image.build", "", []any{}},
		{"other endpoints give no names", "image.pull", "fromImage=x&repo=y", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := newImageNames(c.endpoint, q); !reflect.DeepEqual(got, c.want) {
				t.Errorf("newImageNames(%s, %s) = %v, want %v", c.endpoint, c.query, got, c.want)
			}
		})
	}
}

const sixtyFourHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
