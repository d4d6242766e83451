// Package layout checks the shape of the module: the SDK half (amocrm, oauth, tokenstore,
// widget and everything under them) never imports the application half (app/, examples/,
// bench/), in its code or in its tests. The check is its test, so CI runs it with the rest.
package layout
