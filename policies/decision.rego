# The decision every request gets. Each rule module (package
# xcsproxy.rules.NAME) contributes reasons to deny; a request is allowed only
# when no module objects.
package xcsproxy

reasons contains reason if {
	some name
	some reason in data.xcsproxy.rules[name].deny
}

patch := object.union_n([p |
	some name
	p := data.xcsproxy.rules[name].patch
])

decision := {
	"allow": count(reasons) == 0,
	"reasons": sort(reasons),
	"patch": patch,
}
