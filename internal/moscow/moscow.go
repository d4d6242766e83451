// Package moscow gives Moscow time, in which the application shows times and dates to a glass
// shop: amoCRM accounts of Russian shops keep it unless they say otherwise, and a server's own
// zone (often UTC) means nothing to a manager.
package moscow

import "time"

// Location is Moscow time. Moscow has had no daylight saving since 2014, so a fixed +3 serves
// where the system has no time zone database.
var Location = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Moscow"); err == nil {
		return loc
	}
	return time.FixedZone("MSK", 3*60*60)
}()
