package optfunc_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/amokit/amokit/internal/optfunc"
)

type options struct{ n int }

type option func(*options) error

func TestApplyCollectsEveryProblemAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	var o options
	add := func(d int) option { return func(o *options) error { o.n += d; return nil } }
	bad := func(msg string) option { return func(*options) error { return errors.New(msg) } }
	errs := optfunc.Apply(&o, []option{add(1), bad("first"), nil, add(10), bad("second")})
	assert.Equal(t, 11, o.n, "every good option is applied")
	assert.Equal(t, []string{"first", "nil option", "second"}, []string{errs[0].Error(), errs[1].Error(), errs[2].Error()})
	assert.Empty(t, optfunc.Apply[options, option](&o, nil))
}
