package amocrm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number kept as its text, the way amoCRM sends product prices,
// quantities and Kommo's price_with_minor_units: 1250, "1250", "1250.50" and 10.22 all decode
// without passing through float64, which cannot hold 0.1 exactly. The zero Decimal ("") means
// "no value".
//
// Decoding accepts a JSON number, a string or null and keeps the text as received; a malformed
// string is reported when it is used (MinorUnits, MarshalJSON), not while decoding, so one odd value
// cannot fail a whole page. Encoding writes a JSON number. Untyped constants work directly:
// Quantity: "2.5".
type Decimal string

// maxDecimalExponent bounds the exponent of a Decimal such as 1e3, so that a hostile value cannot
// make the conversion allocate a huge number.
const maxDecimalExponent = 400

// ParseDecimal checks s (optional sign, digits, optional fraction and exponent, surrounding
// spaces allowed) and returns it in canonical form: no '+', no leading zeros.
func ParseDecimal(s string) (Decimal, error) {
	c, err := canonicalDecimal(s)
	if err != nil {
		return "", err
	}
	return Decimal(c), nil
}

// DecimalFromInt returns n as a Decimal.
func DecimalFromInt(n int64) Decimal { return Decimal(strconv.FormatInt(n, 10)) }

// DecimalFromMinor returns units minor units with scale decimal places as a Decimal:
// DecimalFromMinor(123456, 2) is "1234.56". scale must be in 0..18; it is clamped otherwise.
func DecimalFromMinor(units int64, scale int) Decimal {
	scale = max(0, min(scale, 18))
	if scale == 0 {
		return DecimalFromInt(units)
	}
	neg := units < 0
	// Work on the absolute value as unsigned so that math.MinInt64 is handled.
	abs := uint64(units)
	if neg {
		abs = -abs
	}
	digits := strconv.FormatUint(abs, 10)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	s := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if neg {
		s = "-" + s
	}
	return Decimal(s)
}

// String returns the decimal's text.
func (d Decimal) String() string { return string(d) }

// MinorUnits returns d multiplied by 10^scale as an exact integer: with scale 2, "1234.56" is
// 123456 and "10" is 1000. It fails, rather than rounds, when d has more significant decimal places
// than scale, and when the result does not fit in an int64. scale must be in 0..18.
func (d Decimal) MinorUnits(scale int) (int64, error) {
	if scale < 0 || scale > 18 {
		return 0, fmt.Errorf("amocrm: decimal scale %d is not in 0..18", scale)
	}
	r, err := d.rat()
	if err != nil {
		return 0, err
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return 0, fmt.Errorf("amocrm: %s has more than %d decimal places", truncate(string(d), 40), scale)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("amocrm: %s × 10^%d does not fit in an int64", truncate(string(d), 40), scale)
	}
	return r.Num().Int64(), nil
}

// Kopecks returns d, an amount in whole currency units, in hundredths (kopecks, cents) exactly:
// "1250.5" is 125050. It is MinorUnits(2).
func (d Decimal) Kopecks() (int64, error) { return d.MinorUnits(2) }

func (d Decimal) rat() (*big.Rat, error) {
	c, err := canonicalDecimal(string(d))
	if err != nil {
		return nil, err
	}
	r, ok := new(big.Rat).SetString(c)
	if !ok {
		return nil, fmt.Errorf("amocrm: %q is not a decimal number", truncate(string(d), 40))
	}
	return r, nil
}

// MarshalJSON writes the decimal as a JSON number, or null for the zero Decimal. A malformed
// Decimal is an error.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("null"), nil
	}
	c, err := canonicalDecimal(string(d))
	if err != nil {
		return nil, err
	}
	return []byte(c), nil
}

// UnmarshalJSON reads a number, a string or null. The text is kept as received.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(strings.TrimSpace(s))
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*d = Decimal(b)
	default:
		return fmt.Errorf("amocrm: expected a decimal number, got %s", truncate(string(b), 40))
	}
	return nil
}

// canonicalDecimal validates s and returns it without spaces, '+' or leading zeros, so that it is
// a valid JSON number.
func canonicalDecimal(s string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("amocrm: %q is not a decimal number", truncate(s, 40))
	}
	t := strings.TrimSpace(s)
	var b strings.Builder
	if t != "" && (t[0] == '-' || t[0] == '+') {
		if t[0] == '-' {
			b.WriteByte('-')
		}
		t = t[1:]
	}
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	intPart := strings.TrimLeft(t[:i], "0")
	if i == 0 {
		return bad()
	}
	if intPart == "" {
		intPart = "0"
	}
	b.WriteString(intPart)
	t = t[i:]
	if t != "" && t[0] == '.' {
		j := 1
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j == 1 {
			return bad()
		}
		b.WriteString(t[:j])
		t = t[j:]
	}
	if t != "" && (t[0] == 'e' || t[0] == 'E') {
		exp := t[1:]
		if exp != "" && (exp[0] == '-' || exp[0] == '+') {
			exp = exp[1:]
		}
		if exp == "" || strings.IndexFunc(exp, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return bad()
		}
		if n, err := strconv.Atoi(strings.TrimLeft(exp, "0")); exp != strings.Repeat("0", len(exp)) && (err != nil || n > maxDecimalExponent) {
			return "", fmt.Errorf("amocrm: the exponent of %q is too large", truncate(s, 40))
		}
		b.WriteString("e")
		b.WriteString(t[1:])
		t = ""
	}
	if t != "" {
		return bad()
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
