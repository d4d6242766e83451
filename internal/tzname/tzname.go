// Package tzname names time zones for people: by their IANA name and their UTC offset, so that
// a time on a page says which zone it is in.
package tzname

import (
	"fmt"
	"strconv"
	"strings"
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

// ParseOffset reads back what Offset writes ("UTC+05:00", "UTC−03:30", also with an ASCII
// minus) as a fixed zone of that name; false for anything else.
func ParseOffset(name string) (*time.Location, bool) {
	off, ok := strings.CutPrefix(name, "UTC")
	if !ok {
		return nil, false
	}
	sign := 1
	switch {
	case strings.HasPrefix(off, "+"):
		off = off[1:]
	case strings.HasPrefix(off, "-"):
		sign, off = -1, off[1:]
	case strings.HasPrefix(off, "−"):
		sign, off = -1, strings.TrimPrefix(off, "−")
	default:
		return nil, false
	}
	if len(off) != 5 || off[2] != ':' {
		return nil, false
	}
	h, err1 := strconv.Atoi(off[:2])
	m, err2 := strconv.Atoi(off[3:])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	return time.FixedZone(name, sign*(h*3600+m*60)), true
}
