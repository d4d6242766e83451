package amocrmtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestFakeClock(t *testing.T) {
	t.Parallel()
	c := amocrmtest.NewFakeClock(start())
	now := <-c.After(0)
	assert.Equal(t, start(), now)
	ch := c.After(time.Minute)
	c.BlockUntil(1)
	c.Advance(59 * time.Second)
	select {
	case <-ch:
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Second)
	assert.Equal(t, start().Add(time.Minute), <-ch)
	assert.Equal(t, start().Add(time.Minute), c.Now())
}
