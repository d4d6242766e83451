package calculator

import (
	"context"
	"errors"

	"github.com/amokit/amokit/app/glass"
)

// PriceSource gives the calculator its price lists: the current one for a new calculation and
// an older version by name for a calculation reopened with the prices it was made with.
// *pricelist.Live is one; StaticPrices is the one of a server whose prices never change.
type PriceSource interface {
	Current(ctx context.Context) *glass.PriceList
	Version(ctx context.Context, name string) (*glass.PriceList, error)
}

// ErrUnknownPriceList is what StaticPrices answers for a version it does not have.
var ErrUnknownPriceList = errors.New("calculator: no price list has this version")

// StaticPrices is a PriceSource of one price list.
func StaticPrices(pl *glass.PriceList) PriceSource { return staticPrices{pl} }

type staticPrices struct{ pl *glass.PriceList }

func (s staticPrices) Current(context.Context) *glass.PriceList { return s.pl }

func (s staticPrices) Version(_ context.Context, name string) (*glass.PriceList, error) {
	if name == s.pl.Version {
		return s.pl, nil
	}
	return nil, ErrUnknownPriceList
}
