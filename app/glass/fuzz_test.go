package glass_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/amokit/amokit/app/glass"
)

// pathPattern is the shape of every JSON path a field error may carry.
var pathPattern = regexp.MustCompile(`^([A-Za-z_][A-Za-z_0-9]*|\["(?:[^"\\]|\\.)*"\])?((\.[A-Za-z_][A-Za-z_0-9]*)|\[[0-9]+\]|\["(?:[^"\\]|\\.)*"\])*$`)

var knownCodes = map[string]bool{
	glass.CodeInvalidJSON: true, glass.CodeTrailingData: true, glass.CodeUnknownField: true,
	glass.CodeDuplicateField: true, glass.CodeInvalidType: true, glass.CodeInvalidValue: true,
	glass.CodeMissing: true, glass.CodeOutOfRange: true, glass.CodeTooFew: true, glass.CodeTooMany: true,
	glass.CodeTooSmall: true, glass.CodeTooLarge: true, glass.CodeUnknownMaterial: true,
	glass.CodeThicknessNotSold: true, glass.CodeUnknownEdge: true, glass.CodeFacetTooThick: true,
	glass.CodeEdgeNotOffered: true, glass.CodeNotTemperable: true, glass.CodeTooSmallToTemper: true,
	glass.CodeUnknownHardware: true,
}

// FuzzDecodeAndQuote feeds arbitrary bytes to DecodeOrder and Quote: they
// must never panic, every failure must be a *ValidationError made of field
// errors, and every success must be a consistent quote.
func FuzzDecodeAndQuote(f *testing.F) {
	for _, seed := range []string{
		workedExample,
		`{"pieces":[{"material":"mirror","thickness_mm":4,"width_mm":300,"height_mm":300,"quantity":4,"edge":"facet"}],"urgent":true,"delivery":true,"discount_percent":30}`,
		`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":50,"height_mm":5000,"quantity":0,"edge":"facet","tempered":true,"holes":[3,200],"cutouts":21,"rounded_corners":9}],"hardware":[{"code":"x","count":0},{"code":"x","count":1}],"discount_percent":31}`,
		`{"pieces":[{"material":1,"thickness_mm":"8","width_mm":900.5,"height_mm":null,"quantity":1e3,"x":[{}]}],"pieces":1} trailing`,
		`{"pieces":[]}`,
		`{"pieces":[{"material":"float","thickness_mm":99999999999999999999`,
		`[`, `null`, ``, `{"a b":{"":[]}}`,
	} {
		f.Add([]byte(seed))
	}
	pl := glass.DefaultPriceList()
	f.Fuzz(func(t *testing.T, data []byte) {
		order, err := glass.DecodeOrder(data)
		if err != nil {
			checkFieldErrors(t, err)
			return
		}
		q, err := pl.Quote(order)
		if err != nil {
			checkFieldErrors(t, err)
			return
		}
		var sum int64
		for _, l := range q.Lines {
			sum += l.Amount
		}
		if sum != q.Total || q.Total < 0 || q.LeadPrice != (q.Total+50)/100 {
			t.Fatalf("inconsistent quote: total %d, sum of lines %d, deal price %d", q.Total, sum, q.LeadPrice)
		}
	})
}

func checkFieldErrors(t *testing.T, err error) {
	t.Helper()
	var verr *glass.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error is %T, not *glass.ValidationError: %v", err, err)
	}
	if len(verr.Errors) == 0 {
		t.Fatal("a ValidationError without field errors")
	}
	for _, fe := range verr.Errors {
		if !knownCodes[fe.Code] {
			t.Errorf("unknown code %q at %q", fe.Code, fe.Path)
		}
		if fe.Message == "" || fe.MessageEN == "" {
			t.Errorf("field error %q at %q lacks a message", fe.Code, fe.Path)
		}
		if !pathPattern.MatchString(fe.Path) {
			t.Errorf("malformed path %q (%s)", fe.Path, fe.Code)
		}
	}
}
