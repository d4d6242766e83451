package tzname_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/tzname"
)

func TestLabelNamesZoneAndOffset(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	yekb, err := time.LoadLocation("Asia/Yekaterinburg")
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, tc := range []struct {
		t             time.Time
		offset, label string
	}{
		{at.In(yekb), "UTC+05:00", "Asia/Yekaterinburg, UTC+05:00"},
		{at.In(ny), "UTC−04:00", "America/New_York, UTC−04:00"},
		{at.In(time.FixedZone("", 5*3600+1800)), "UTC+05:30", "UTC+05:30"},
		{at.In(time.FixedZone("UTC+04:00", 4*3600)), "UTC+04:00", "UTC+04:00"},
		{at, "UTC+00:00", "UTC+00:00"},
	} {
		assert.Equal(t, tc.offset, tzname.Offset(tc.t))
		assert.Equal(t, tc.label, tzname.Label(tc.t))
	}
}

func TestParseOffsetReadsBackOffset(t *testing.T) {
	t.Parallel()
	for _, secs := range []int{5 * 3600, -(3*3600 + 30*60), 0, 14 * 3600} {
		at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.FixedZone("", secs))
		name := tzname.Offset(at)
		loc, ok := tzname.ParseOffset(name)
		if !ok {
			t.Fatalf("ParseOffset(%q) refused it", name)
		}
		if _, got := at.In(loc).Zone(); got != secs {
			t.Errorf("ParseOffset(%q): offset %d s, want %d", name, got, secs)
		}
	}
	for _, bad := range []string{"", "UTC", "UTC05:00", "UTC+5:00", "UTC+05-00", "GMT+05:00", "UTC+aa:00"} {
		if _, ok := tzname.ParseOffset(bad); ok {
			t.Errorf("ParseOffset(%q) accepted it", bad)
		}
	}
}
