// Package commands owns XNAT Commands inside xcsproxy: the Command model
// (the Container Service's JSON format), validation with the Container
// Service's rules, resolution of launch values into a command line, and the
// translation of a resolved Command into Docker create options or a swarm
// service spec. It decides nothing and calls no daemon: a Launch hands the
// Docker requests to a Gate, which the proxy provides.
package commands
