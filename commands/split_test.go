package commands

import (
	"reflect"
	"testing"
)

// The cases of EXPECTED.md section C (CS ShellSplitterTest) and the derived
// empty-token case.
func TestShellSplitMatchesTheContainerService(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \t \n", nil},
		{"a\tbee  cee", []string{"a", "bee", "cee"}},
		{`"hello world"`, []string{"hello world"}},
		{`'hello world'`, []string{"hello world"}},
		{`"\"hello world\""`, []string{`"hello world"`}},
		{`'hello \" world'`, []string{`hello \" world`}},
		{`"foo"'bar'baz`, []string{"foobarbaz"}},
		{`"three"' 'four`, []string{"three four"}},
		{`three\ four`, []string{"three four"}},
		{`a '' b`, []string{"a", "b"}},
	} {
		if got := ShellSplit(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ShellSplit(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
