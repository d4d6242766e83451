// Package keylock provides a mutex per string key whose Lock gives up when its context ends.
// The tokenstore packages use it to serialise work on one account within a process.
package keylock
