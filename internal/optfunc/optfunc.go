// Package optfunc applies functional options of the func(*options) error kind that every
// constructor in the module takes, collecting every problem instead of stopping at the first.
package optfunc

import "errors"

// Apply calls each option on o in order and returns the errors they report, a nil option
// counting as one, so that a constructor can report every problem at once.
func Apply[O any, F ~func(*O) error](o *O, opts []F) []error {
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			errs = append(errs, errors.New("nil option"))
			continue
		}
		if err := opt(o); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
