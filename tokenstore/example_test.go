package tokenstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amokit/amokit/tokenstore"
)

func Example() {
	ctx := context.Background()
	store := tokenstore.NewMemory()

	c := &tokenstore.Connection{
		Account:      "acme.amocrm.ru",
		ClientID:     "8f4e1c2a",
		ClientSecret: "client-secret",
		AccessToken:  "access-1",
		RefreshToken: "refresh-1",
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	if err := store.Save(ctx, c); err != nil {
		fmt.Println(err)
		return
	}

	// A refresh: under the account's lock, re-read, rotate the pair, save.
	err := store.WithLock(ctx, "acme.amocrm.ru", func(ctx context.Context) error {
		c, err := store.Load(ctx, "acme.amocrm.ru")
		if err != nil {
			return err
		}
		c.AccessToken, c.RefreshToken = "access-2", "refresh-2"
		c.Expiry = c.Expiry.Add(24 * time.Hour)
		return store.Save(context.WithoutCancel(ctx), c)
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	loaded, err := store.Load(ctx, "acme.amocrm.ru")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(loaded.RefreshToken, loaded.Expiry.Format(time.DateOnly))
	fmt.Println(loaded.CreatedAt.Equal(c.CreatedAt), loaded.UpdatedAt.After(c.UpdatedAt))

	_, err = store.Load(ctx, "other.amocrm.ru")
	fmt.Println(errors.Is(err, tokenstore.ErrNotFound))
	// Output:
	// refresh-2 2030-01-03
	// true true
	// true
}

func ExampleSealer() {
	oldKey := make([]byte, tokenstore.KeySize) // in a service: 32 random bytes from its secrets
	sealer, err := tokenstore.NewSealer(oldKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed := sealer.Seal("acme.amocrm.ru", "refresh-token")
	fmt.Println(sealed[:len("amokit:v1:")])

	opened, err := sealer.Open("acme.amocrm.ru", sealed)
	fmt.Println(opened, err)

	_, err = sealer.Open("other.amocrm.ru", sealed)
	fmt.Println(errors.Is(err, tokenstore.ErrCorrupt))

	// Rotation: the new key seals, the old one still opens what it sealed.
	newKey := bytes.Repeat([]byte{1}, tokenstore.KeySize)
	rotated, err := tokenstore.NewSealer(newKey, oldKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	opened, err = rotated.Open("acme.amocrm.ru", sealed)
	fmt.Println(opened, err)

	onlyNew, _ := tokenstore.NewSealer(newKey)
	_, err = onlyNew.Open("acme.amocrm.ru", sealed)
	fmt.Println(errors.Is(err, tokenstore.ErrWrongKey))
	// Output:
	// amokit:v1:
	// refresh-token <nil>
	// true
	// refresh-token <nil>
	// true
}
