package calculator

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/widget"
)

// TestPrefetchesAreTakenOnceAndExpire: a card read ahead is handed out once, not after
// prefetchTTL, and no more than maxPrefetches are kept.
func TestPrefetchesAreTakenOnceAndExpire(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var p prefetches
		tk := widget.Ticket{Account: "acme.amocrm.ru", AccountID: 1, UserID: 2, LeadID: 3, Expires: time.Now().Add(time.Hour)}
		require.NotNil(t, p.start(tk, time.Now()))
		assert.Nil(t, p.start(tk, time.Now()), "one read ahead per ticket at a time")
		other := tk
		other.Account = "rival.amocrm.ru"
		assert.Nil(t, p.take(other, time.Now()), "another account's ticket finds nothing")
		assert.NotNil(t, p.take(tk, time.Now()))
		assert.Nil(t, p.take(tk, time.Now()), "handed out once")

		require.NotNil(t, p.start(tk, time.Now()))
		time.Sleep(prefetchTTL + time.Second)
		assert.Nil(t, p.take(tk, time.Now()), "dropped after prefetchTTL")

		for i := range maxPrefetches {
			many := tk
			many.LeadID = int64(100 + i)
			require.NotNil(t, p.start(many, time.Now()))
		}
		assert.Nil(t, p.start(tk, time.Now()), "no more than maxPrefetches")
		time.Sleep(prefetchTTL + time.Second)
		assert.NotNil(t, p.start(tk, time.Now()), "expired ones make room")
	})
}

// TestZonesRoundTrip: the zone a calculation records reads back as the same zone.
func TestZonesRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 9, 5, 0, 0, time.UTC)
	yek, err := time.LoadLocation("Asia/Yekaterinburg")
	require.NoError(t, err)
	moscowZone, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	for _, tc := range []struct {
		loc  *time.Location
		name string
		text string
	}{
		{moscowZone, "", "06.12.2026 12:05 МСК"},
		{yek, "Asia/Yekaterinburg", "06.12.2026 14:05 UTC+05:00"},
		{time.FixedZone("", 4*3600+30*60), "UTC+04:30", "06.12.2026 13:35 UTC+04:30"},
		{time.FixedZone("UTC-03:00", -3*3600), "UTC−03:00", "06.12.2026 06:05 UTC−03:00"},
	} {
		name := zoneName(tc.loc)
		assert.Equal(t, tc.name, name, tc.loc.String())
		assert.Equal(t, tc.text, localTime(at, name), tc.loc.String())
	}
	assert.Equal(t, "06.12.2026 12:05 МСК", localTime(at, "Nowhere/Else"), "a zone that cannot be read is Moscow time")
}
