// Package e2e drives a real `xcsproxy serve` process in front of a real
// Docker daemon, with the docker CLI and raw HTTP clients, and checks the
// daemon's state afterwards. There are no mocks here: without a daemon these
// tests fail.
package e2e
