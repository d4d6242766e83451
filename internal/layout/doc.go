// Package layout checks the shape of the module: the SDK half (amocrm, oauth, tokenstore,
// widget and everything under them) never imports the application half (app/, examples/,
// bench/), in its code or in its tests, directly or through internal/. Every package outside
// app/, examples/, bench/ and internal/ counts as SDK, so a new one is checked as soon as it is
// added. The check is its test, so CI runs it with the rest.
package layout
