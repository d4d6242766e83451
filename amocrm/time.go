package amocrm

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Timestamp is a point in time that travels as Unix seconds, the way amoCRM sends every date
// (docs/amocrm-reference.md#timestamps). Decoding accepts an integer, a string of digits (webhooks send
// those), 0 and null; 0 and null both mean "no time" and give the zero Timestamp. Encoding writes
// an integer, or null for the zero Timestamp. Timestamp has IsZero, so fields tagged
// `json:",omitzero"` leave an unset time out of requests.
type Timestamp struct {
	time.Time
}

// Unix returns the Timestamp for a Unix time in seconds; 0 gives the zero Timestamp.
func Unix(sec int64) Timestamp {
	if sec == 0 {
		return Timestamp{}
	}
	return Timestamp{time.Unix(sec, 0).UTC()}
}

// At returns t as a Timestamp, truncated to whole seconds as amoCRM stores it.
func At(t time.Time) Timestamp {
	if t.IsZero() {
		return Timestamp{}
	}
	return Timestamp{t.Truncate(time.Second).UTC()}
}

// IsZero reports whether the Timestamp is unset.
func (t Timestamp) IsZero() bool { return t.Time.IsZero() }

// MarshalJSON writes Unix seconds, or null for the zero Timestamp.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, t.Unix(), 10), nil
}

// UnmarshalJSON reads Unix seconds given as a number or a string of digits, 0 or null.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = Timestamp{}
		return nil
	}
	raw := b
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		raw = b[1 : len(b)-1]
		if len(raw) == 0 {
			*t = Timestamp{}
			return nil
		}
	}
	sec, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		// Some payloads carry integral floats such as 1700000000.0.
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("amocrm: timestamp %s is not Unix seconds", truncate(string(b), 40))
		}
		sec = int64(f)
	}
	*t = Unix(sec)
	return nil
}

// String formats the time in RFC 3339, or "" when unset.
func (t Timestamp) String() string {
	if t.IsZero() {
		return ""
	}
	return t.Time.Format(time.RFC3339)
}
