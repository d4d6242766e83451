package amocrm

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecimalMinorUnitsIsExact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    Decimal
		scale int
		want  int64
	}{
		{"1250.50", 2, 125050},
		{"1250.5", 2, 125050},
		{"1250", 2, 125000},
		{"0.1", 2, 10},
		{"0.29", 2, 29}, // 0.29 as a float64 is 0.28999…; no float is involved here
		{"-3.07", 2, -307},
		{"+7", 0, 7},
		{" 007.00 ", 2, 700},
		{"1.5e3", 2, 150000},
		{"125E-2", 2, 125},
		{"10.22", 3, 10220},
		{"92233720368547758.07", 2, math.MaxInt64},
	}
	for _, tc := range cases {
		got, err := tc.in.MinorUnits(tc.scale)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	k, err := Decimal("99.99").Kopecks()
	require.NoError(t, err)
	assert.Equal(t, int64(9999), k)
}

func TestDecimalRefusesWhatItCannotConvertExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    Decimal
		scale int
		msg   string
	}{
		{"10.005", 2, "more than 2 decimal places"},
		{"92233720368547758.08", 2, "does not fit"},
		{"1,5", 2, "not a decimal number"},
		{"", 2, "not a decimal number"},
		{"12a", 2, "not a decimal number"},
		{".5", 2, "not a decimal number"},
		{"5.", 2, "not a decimal number"},
		{"1e", 2, "not a decimal number"},
		{"1e99999", 2, "too large"},
		{"NaN", 2, "not a decimal number"},
		{"1", 19, "scale"},
	} {
		_, err := tc.in.MinorUnits(tc.scale)
		assert.ErrorContains(t, err, tc.msg, tc.in)
	}
}

func TestParseDecimalCanonicalises(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Decimal{"+0012.50": "12.50", "-0": "-0", " 1e+3 ": "1e+3", "0.07": "0.07"} {
		got, err := ParseDecimal(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseDecimal("12.3.4")
	assert.Error(t, err)
}

func TestDecimalFromMinor(t *testing.T) {
	t.Parallel()
	assert.Equal(t, Decimal("1234.56"), DecimalFromMinor(123456, 2))
	assert.Equal(t, Decimal("0.05"), DecimalFromMinor(5, 2))
	assert.Equal(t, Decimal("-0.05"), DecimalFromMinor(-5, 2))
	assert.Equal(t, Decimal("42"), DecimalFromMinor(42, 0))
	assert.Equal(t, Decimal("-92233720368547758.08"), DecimalFromMinor(math.MinInt64, 2))
	for _, n := range []int64{0, 1, -1, 99, 100, 123456789, math.MaxInt64, math.MinInt64 + 1} {
		back, err := DecimalFromMinor(n, 2).Kopecks()
		require.NoError(t, err, n)
		assert.Equal(t, n, back, "round trip of %d", n)
	}
	assert.Equal(t, Decimal("17"), DecimalFromInt(17))
}

func TestDecimalJSON(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C, D Decimal
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":1250.50,"B":"1250.50","C":null,"D":" 7 "}`), &v))
	assert.Equal(t, Decimal("1250.50"), v.A, "the number's text is kept, trailing zero included")
	assert.Equal(t, Decimal("1250.50"), v.B)
	assert.Equal(t, Decimal(""), v.C)
	assert.Equal(t, Decimal("7"), v.D)
	assert.Error(t, json.Unmarshal([]byte(`{"A":{}}`), &v))
	assert.Error(t, json.Unmarshal([]byte(`{"A":true}`), &v))

	b, err := json.Marshal(struct {
		P Decimal `json:"p"`
		Q Decimal `json:"q,omitzero"`
		R Decimal `json:"r"`
	}{P: "+012.50", R: ""})
	require.NoError(t, err)
	assert.Equal(t, `{"p":12.50,"r":null}`, string(b))
	_, err = json.Marshal(Decimal("12,50"))
	assert.Error(t, err)
}

func BenchmarkDecimalKopecks(b *testing.B) {
	d := Decimal("1250.50")
	for b.Loop() {
		if k, err := d.Kopecks(); err != nil || k != 125050 {
			b.Fatal(k, err)
		}
	}
}
