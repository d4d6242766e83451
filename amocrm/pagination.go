package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page amoCRM returns (docs/amocrm-reference.md#pagination).
const MaxPageSize = 250

// Page is one page of a list.
type Page[T any] struct {
	Items  []T
	Number int    // amoCRM's _page, 1-based
	Next   string // the absolute URL of the next page, "" on the last page
}

// HasNext reports whether another page follows.
func (p *Page[T]) HasNext() bool { return p.Next != "" }

// halLinks are the links of a HAL list (docs/amocrm-reference.md#hal-lists).
type halLinks struct {
	Next *struct {
		Href string `json:"href"`
	} `json:"next"`
}

// halPage is the HAL envelope of a list whose _embedded holds items of type T. Decoding it is one
// pass over the body: no intermediate copy of the items.
type halPage[T any] struct {
	Page     int            `json:"_page"`
	Links    halLinks       `json:"_links"`
	Embedded map[string][]T `json:"_embedded"`
}

// halList is the same envelope with _embedded left raw, for the rare page whose _embedded holds
// something other than the list (see fetchPage).
type halList struct {
	Page     int                        `json:"_page"`
	Links    halLinks                   `json:"_links"`
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
	body, noContent, err := c.doRaw(req)
	if err != nil {
		return nil, err
	}
	if noContent || len(bytes.TrimSpace(body)) == 0 {
		return &Page[T]{}, nil
	}
	var env halPage[T]
	if err := json.Unmarshal(body, &env); err == nil {
		return &Page[T]{Items: env.Embedded[key], Number: env.Page, Next: nextHref(env.Links)}, nil
	}
	// Something under _embedded did not fit T. Decode the list alone, so that another key amoCRM
	// may add there does not break the page, and an error names the list.
	var raw halList
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, decodeError(req, err)
	}
	page := &Page[T]{Number: raw.Page, Next: nextHref(raw.Links)}
	if items, ok := raw.Embedded[key]; ok && string(items) != "null" {
		if err := json.Unmarshal(items, &page.Items); err != nil {
			return nil, fmt.Errorf("amocrm: GET %s: decoding _embedded.%s: %w", sanitizeURL(req.URL), key, err)
		}
	}
	return page, nil
}

func nextHref(l halLinks) string {
	if l.Next == nil {
		return ""
	}
	return l.Next.Href
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

// lister is a list's options: they build the query string, or say why they cannot. Every method
// handles a nil receiver.
type lister interface {
	values() (url.Values, error)
}

// pageOf is listPage after building the query from opts: the body of every List method.
func pageOf[T any](ctx context.Context, c *Client, path string, opts lister, key string) (*Page[T], error) {
	q, err := opts.values()
	if err != nil {
		return nil, err
	}
	return listPage[T](ctx, c, path, q, key)
}

// allOf is listAll after building the query from opts: the body of every All method.
func allOf[T any](ctx context.Context, c *Client, path string, opts lister, key string) iter.Seq2[T, error] {
	q, err := opts.values()
	if err != nil {
		return errSeq[T](err)
	}
	return listAll[T](ctx, c, path, q, key)
}

// getByID fetches the entity id under path (a collection such as "api/v4/leads") with the extra
// data named in with; kind names the entity in the error for an invalid id. A 204 is ErrNotFound.
func getByID[T any](ctx context.Context, c *Client, path, kind string, id int64, with []string) (*T, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: invalid %s id %d", kind, id)
	}
	q := query{}
	q.with(with)
	var v T
	if err := c.getOne(ctx, idPath(path, id), q.values(), &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

func idPath(base string, id int64) string { return base + "/" + strconv.FormatInt(id, 10) }

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
