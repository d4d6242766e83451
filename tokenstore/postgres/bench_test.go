package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/postgres"
)

func BenchmarkStore(b *testing.B) {
	pool := pgtest.Pool(b)
	ctx := b.Context()
	token := strings.Repeat("x", 1200)
	for _, mode := range []string{"plain", "sealed"} {
		var opts []postgres.Option
		if mode == "sealed" {
			sealer, err := tokenstore.NewSealer(make([]byte, tokenstore.KeySize))
			if err != nil {
				b.Fatal(err)
			}
			opts = append(opts, postgres.WithSealer(sealer))
		}
		s, err := postgres.New(ctx, pool, opts...)
		if err != nil {
			b.Fatal(err)
		}
		account := mode + ".amocrm.ru"
		c := tokenstore.Connection{Account: account, ClientSecret: "s", AccessToken: token, RefreshToken: token}
		b.Run(mode+"/Save", func(b *testing.B) {
			for b.Loop() {
				if err := s.Save(ctx, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/Load", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Load(ctx, account); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/WithLock", func(b *testing.B) {
			for b.Loop() {
				if err := s.WithLock(ctx, account, func(context.Context) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
