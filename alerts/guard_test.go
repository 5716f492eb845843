package alerts

import "testing"

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.com/a/b?token=s3cret#frag": "https://hooks.example.com/a/b",
		"http://example.com/hook":                                 "http://example.com/hook",
		"::not a url":                                             "(unparsable URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
