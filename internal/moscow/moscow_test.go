package moscow_test

import (
	"testing"
	"time"

	"github.com/amokit/amokit/internal/moscow"
)

func TestLocationIsThreeHoursAheadOfUTC(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)} {
		if _, offset := at.In(moscow.Location).Zone(); offset != 3*60*60 {
			t.Errorf("%v: offset %d s, want +3 h all year", at, offset)
		}
	}
}
