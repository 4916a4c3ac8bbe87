// Package audit owns xcsproxy's tamper-evident decision log: the record
// schema (aligned with OPA decision logs), redaction of secrets, the SHA-256
// hash chain, the durable rotating writer, and the reader, filters, summary
// and verifier behind `xcsproxy audit`.
//
// Each line is one JSON record. Its last field is "hash": the SHA-256 of the
// previous record's hash, a newline, and this line's bytes up to (not
// including) the hash field. Editing, removing, inserting or reordering a
// line breaks the chain at that line. A chain can be recomputed by whoever
// can rewrite the whole file, so the writer also reports its head hash to
// the operational log at every rotation and close; `audit verify --head`
// checks a file against such a recorded head.
package audit
