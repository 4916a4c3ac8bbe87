package proxy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/filters"
)

func TestFiltersAreWrittenAsDockersOwnEncoderWritesThem(t *testing.T) {
	for _, c := range []struct {
		name string
		args filters.Args
	}{
		{"no filters at all", filters.NewArgs()},
		{"the managed label alone", filters.NewArgs(filters.Arg("label", "org.xcsproxy.managed=true"))},
		{"a client's filters beside it, several values to a key", filters.NewArgs(
			filters.Arg("label", "org.xcsproxy.managed=true"), filters.Arg("label", "XNAT_PROJECT=P1"),
			filters.Arg("status", "exited"), filters.Arg("name", "job"))},
		{"values with quotes, backslashes, control and non-ASCII characters",
			filters.NewArgs(filters.Arg("label", "a\"b\\c\nd\u00e9\u2028"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := filters.ToJSON(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := filtersJSON(c.args); got != want {
				t.Fatalf("filtersJSON = %s, want %s", got, want)
			}
		})
	}
}

func TestFiltersWithHTMLCharactersDecodeToTheSameArgs(t *testing.T) {
	args := filters.NewArgs(filters.Arg("label", "a<b>&c"), filters.Arg("name", "x"))
	got := filtersJSON(args)
	if !strings.Contains(got, "a<b>&c") {
		t.Fatalf("filtersJSON = %s; expected the characters as they are", got)
	}
	back, err := filters.FromJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, args) {
		t.Fatalf("decoded %v, want %v", back, args)
	}
}
