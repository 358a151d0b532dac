package githubfake

import (
	"net/http"
	"strconv"
	"strings"
)

type page struct{ lo, hi int }

// paginate reads per_page and page as GitHub does (30 by default, at most
// 100), sets the Link header, and returns the slice bounds of the page.
func (x *exchange) paginate(total int) (page, bool) {
	q := x.r.URL.Query()
	per, err := positive(q.Get("per_page"), 30)
	if err != nil {
		x.fail(http.StatusUnprocessableEntity, "Invalid per_page")
		return page{}, false
	}
	per = min(per, 100)
	n, err := positive(q.Get("page"), 1)
	if err != nil {
		x.fail(http.StatusUnprocessableEntity, "Invalid page")
		return page{}, false
	}
	last := max((total+per-1)/per, 1)

	var links []string
	link := func(p int, rel string) {
		q.Set("page", strconv.Itoa(p))
		links = append(links, `<`+x.s.apiURL(x.r.URL.EscapedPath())+`?`+q.Encode()+`>; rel="`+rel+`"`)
	}
	if n > 1 {
		link(min(n-1, last), "prev")
	}
	if n < last {
		link(n+1, "next")
		link(last, "last")
	}
	if n > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		x.header.Set("Link", strings.Join(links, ", "))
	}
	lo := min((n-1)*per, total)
	return page{lo: lo, hi: min(lo+per, total)}, true
}

func positive(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return def, nil
	}
	return n, nil
}
