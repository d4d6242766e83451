// Package tzname names time zones for people: by their IANA name and their UTC offset, so that
// a time on a page says which zone it is in.
package tzname

import (
	"fmt"
	"time"
)

// Offset is the UTC offset t is in: "UTC+05:00", "UTC−03:30" (with a minus sign).
func Offset(t time.Time) string {
	_, secs := t.Zone()
	sign := "+"
	if secs < 0 {
		sign, secs = "−", -secs
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, secs/3600, secs%3600/60)
}

// Label names the zone t is in: "Asia/Yekaterinburg, UTC+05:00", or the offset alone when the
// zone has no other name.
func Label(t time.Time) string {
	name, off := t.Location().String(), Offset(t)
	if name == "" || name == off || name == "UTC" && off == "UTC+00:00" {
		return off
	}
	return name + ", " + off
}
