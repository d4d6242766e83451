package tokenstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/amokit/amokit/tokenstore"
)

// token is the size of a real amoCRM access token.
var token = strings.Repeat("x", 1200)

func BenchmarkSealer(b *testing.B) {
	s, err := tokenstore.NewSealer(make([]byte, tokenstore.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	sealed := s.Seal("acme.amocrm.ru", token)
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(int64(len(token)))
		for b.Loop() {
			s.Seal("acme.amocrm.ru", token)
		}
	})
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(int64(len(token)))
		for b.Loop() {
			if _, err := s.Open("acme.amocrm.ru", sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMemory(b *testing.B) {
	m := tokenstore.NewMemory()
	ctx := context.Background()
	c := tokenstore.Connection{Account: "acme.amocrm.ru", AccessToken: token, RefreshToken: token}
	b.Run("Save", func(b *testing.B) {
		for b.Loop() {
			if err := m.Save(ctx, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Load", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Load(ctx, "acme.amocrm.ru"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("WithLockContended", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = m.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error { return nil })
			}
		})
	})
}
