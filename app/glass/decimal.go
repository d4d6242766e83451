package glass

import (
	"strconv"
	"strings"
)

// decimalScale is the number of Decimal units in one: a Decimal counts
// millionths. One square millimetre is exactly one millionth of a square
// metre, so areas in m² and lengths in m are exact.
const decimalScale = 1_000_000

// Decimal is an exact fixed-point number with six fractional digits, used
// for line and product quantities (square metres, metres, pieces). It is
// stored as a count of millionths, so 1.8 m² is Decimal(1_800_000), and is
// written to JSON as a plain number literal (1.8), never through float64.
type Decimal int64

// DecimalFromInt returns the Decimal equal to the whole number n.
func DecimalFromInt(n int64) Decimal { return Decimal(n * decimalScale) }

// ParseDecimal parses a decimal number such as "1.8", "-0.25" or "12" with
// at most six fractional digits. Exponents and more precision than a
// millionth are rejected rather than rounded.
func ParseDecimal(s string) (Decimal, error) {
	if s == "" {
		return 0, &numberError{"пустое число", "empty number"}
	}
	neg := false
	body := s
	if body[0] == '-' {
		neg = true
		body = body[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (fracPart == "" || !allDigits(fracPart))) {
		return 0, &numberError{"недопустимое число " + s + ": нужна запись вида 12 или 12.5, без экспоненты",
			"invalid number " + s + ": write it like 12 or 12.5, without an exponent"}
	}
	if len(fracPart) > 6 {
		return 0, &numberError{"в числе " + s + " больше шести знаков после точки",
			"the number " + s + " has more than six fractional digits"}
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || whole > (1<<63-1)/decimalScale-1 {
		return 0, &numberError{"число " + s + " слишком велико", "the number " + s + " is too large"}
	}
	frac := int64(0)
	if fracPart != "" {
		frac, _ = strconv.ParseInt(fracPart+strings.Repeat("0", 6-len(fracPart)), 10, 64)
	}
	v := whole*decimalScale + frac
	if neg {
		v = -v
	}
	return Decimal(v), nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns d in the shortest exact decimal form: "1.8", "5.8", "2",
// "0.699678".
func (d Decimal) String() string { return string(d.append(nil, '.')) }

// append writes d with the given decimal separator.
func (d Decimal) append(b []byte, sep byte) []byte {
	u := absU64(int64(d))
	if d < 0 {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/decimalScale, 10)
	frac := u % decimalScale
	if frac == 0 {
		return b
	}
	digits := 6
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	b = append(b, sep)
	s := strconv.FormatUint(frac, 10)
	for range digits - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// MarshalJSON writes d as a JSON number, such as 1.8.
func (d Decimal) MarshalJSON() ([]byte, error) { return d.append(nil, '.'), nil }

// UnmarshalJSON reads a JSON number with at most six fractional digits.
func (d *Decimal) UnmarshalJSON(data []byte) error {
	v, err := ParseDecimal(string(data))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// numberError explains in both languages why a number was rejected.
type numberError struct{ ru, en string }

func (e *numberError) Error() string { return "glass: " + e.en }
