package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
)

// MaxPageSize is the largest page amoCRM returns (api.md §3.3).
const MaxPageSize = 250

// Page is one page of a list.
type Page[T any] struct {
	Items  []T
	Number int    // amoCRM's _page, 1-based
	Next   string // the absolute URL of the next page, "" on the last page
}

// HasNext reports whether another page follows.
func (p *Page[T]) HasNext() bool { return p.Next != "" }

// halList is the HAL envelope of every list (api.md §3.4).
type halList struct {
	Page  int `json:"_page"`
	Links struct {
		Next *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
	Embedded map[string]json.RawMessage `json:"_embedded"`
}

// listPage fetches one page of path and decodes _embedded[key]. A 204 is an empty last page.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values, key string) (*Page[T], error) {
	req, err := c.newRequest(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	return fetchPage[T](c, req, key)
}

func fetchPage[T any](c *Client, req *http.Request, key string) (*Page[T], error) {
	var env halList
	noContent, err := c.do(req, &env)
	if err != nil {
		return nil, err
	}
	page := &Page[T]{Number: env.Page}
	if noContent {
		return page, nil
	}
	if raw, ok := env.Embedded[key]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &page.Items); err != nil {
			return nil, fmt.Errorf("amocrm: GET %s: decoding _embedded.%s: %w", sanitizeURL(req.URL), key, err)
		}
	}
	if env.Links.Next != nil {
		page.Next = env.Links.Next.Href
	}
	return page, nil
}

// listAll pages through path lazily: nothing is fetched until the caller ranges. It follows
// _links.next exactly as given, refuses a next link on another host, and stops on a 204, on a page
// with no next link, on break, or after yielding an error once.
func listAll[T any](ctx context.Context, c *Client, path string, q url.Values, key string) iter.Seq2[T, error] {
	q = cloneValues(q)
	return func(yield func(T, error) bool) {
		var zero T
		req, err := c.newRequest(ctx, http.MethodGet, path, q, nil)
		seen := map[string]bool{}
		for {
			if err != nil {
				yield(zero, err)
				return
			}
			page, ferr := fetchPage[T](c, req, key)
			if ferr != nil {
				yield(zero, ferr)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasNext() || len(page.Items) == 0 {
				return
			}
			if seen[page.Next] {
				yield(zero, fmt.Errorf("amocrm: GET %s: the next link points back to a page already read", sanitizeURL(req.URL)))
				return
			}
			seen[page.Next] = true
			req, err = c.nextRequest(ctx, page.Next)
		}
	}
}

// nextRequest builds the request for a _links.next href, which must be on the client's own scheme
// and host.
func (c *Client) nextRequest(ctx context.Context, href string) (*http.Request, error) {
	u, err := c.baseURL.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("amocrm: next page link: %w", err)
	}
	if u.Scheme != c.baseURL.Scheme || u.Host != c.baseURL.Host || u.User != nil {
		return nil, fmt.Errorf("amocrm: next page link %s leaves %s: refused", sanitizeURL(u), c.baseURL.Host)
	}
	return c.newRequestURL(ctx, http.MethodGet, u, nil)
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
