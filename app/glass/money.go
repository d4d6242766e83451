package glass

import (
	"fmt"
	"math/bits"
	"strconv"
)

// roundHalfUp returns q × price rounded half-up to a whole number of the
// price's unit. It is the only place in the package where money is rounded:
// every line amount, the urgency and discount lines and the deal price in
// roubles go through it.
//
// The product is computed exactly in 128 bits, so no precision is lost
// before the single rounding step. Rounding is half-up on the magnitude
// (half away from zero): 0.5 → 1 and −0.5 → −1. With a validated price list
// and order the result always fits an int64; if it does not, roundHalfUp
// panics rather than return a wrong amount.
func roundHalfUp(q Decimal, price int64) int64 {
	negative := (q < 0) != (price < 0)
	hi, lo := bits.Mul64(absU64(int64(q)), absU64(price))
	if hi >= decimalScale {
		panic("glass: amount overflows int64")
	}
	quo, rem := bits.Div64(hi, lo, decimalScale)
	if rem >= decimalScale/2 {
		quo++
	}
	if quo > 1<<63-1 {
		panic("glass: amount overflows int64")
	}
	if negative {
		return -int64(quo)
	}
	return int64(quo)
}

func absU64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// FormatKopecks formats an amount in kopecks the Russian way, with a space
// between thousands, a decimal comma and the rouble sign: 1720400 becomes
// "17 204,00 ₽" and -50 becomes "-0,50 ₽".
func FormatKopecks(kopecks int64) string {
	sign := ""
	u := absU64(kopecks)
	if kopecks < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s%s,%02d ₽", sign, groupThousands(u/100), u%100)
}

// FormatRoubles formats a whole number of roubles, such as a deal price,
// with a space between thousands and the rouble sign: 17204 becomes
// "17 204 ₽".
func FormatRoubles(roubles int64) string {
	sign := ""
	if roubles < 0 {
		sign = "-"
	}
	return sign + groupThousands(absU64(roubles)) + " ₽"
}

// groupThousands writes u in decimal with a space between groups of three
// digits.
func groupThousands(u uint64) string {
	s := strconv.FormatUint(u, 10)
	if len(s) <= 3 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	head := len(s) % 3
	if head > 0 {
		out = append(out, s[:head]...)
	}
	for i := head; i < len(s); i += 3 {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i:i+3]...)
	}
	return string(out)
}
