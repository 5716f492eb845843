package extract

import "testing"

// A name in Cyrillic, Arabic or another Latin spelling becomes the Latin
// form the archive knows; before that form is known it is romanised
// (BGN/PCGN for Russian, the national system for Ukrainian).
func TestNamesMergeAcrossScripts(t *testing.T) {
	x, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ code, name, before string }{
		{"ru", "Дмитрий Песков", "Dmitriy Peskov"},
		{"ru", "Дмитрия Пескова", "Dmitriya Peskova"},
		{"de", "Dmitri Peskow", "Dmitri Peskow"},
		{"fr", "Dmitri Peskov", "Dmitri Peskov"},
		{"ar", "دميتري بيسكوف", "Dmitri Biskuf"},
	}
	for _, c := range cases {
		if got := x.names.canonical(c.code, c.name); got != c.before {
			t.Errorf("before: canonical(%s, %q) = %q, want %q", c.code, c.name, got, c.before)
		}
	}
	// An English article teaches the Latin form.
	x.Extract("", `Kremlin spokesman Dmitry Peskov said the talks would go on. "We are ready," Peskov told reporters in Moscow on Monday.`)
	for _, c := range cases {
		if got := x.names.canonical(c.code, c.name); got != "Dmitry Peskov" {
			t.Errorf("after: canonical(%s, %q) = %q, want Dmitry Peskov", c.code, c.name, got)
		}
	}
	// Same surname, another given name: another person.
	for _, c := range []struct{ code, name, want string }{
		{"ru", "Николай Песков", "Nikolay Peskov"},
		{"de", "Nikolai Peskow", "Nikolai Peskow"},
		{"ar", "نيكولاي بيسكوف", "Nikulai Biskuf"},
	} {
		if got := x.names.canonical(c.code, c.name); got != c.want {
			t.Errorf("canonical(%s, %q) = %q, want %q (not merged)", c.code, c.name, got, c.want)
		}
	}
}

// Of several known spellings of one person the most learned wins, then
// the alphabetically first; an Arabic skeleton shared by two known people
// merges with neither.
func TestNamesDeterministic(t *testing.T) {
	x, err := New()
	if err != nil {
		t.Fatal(err)
	}
	x.LearnNames("Dmitry Peskov", "Dmitri Peskov")
	if got := x.names.canonical("ru", "Дмитрий Песков"); got != "Dmitri Peskov" {
		t.Errorf("tie: got %q, want the alphabetically first Dmitri Peskov", got)
	}
	x.LearnName("Dmitry Peskov", 3)
	if got := x.names.canonical("ru", "Дмитрий Песков"); got != "Dmitry Peskov" {
		t.Errorf("got %q, want the most learned Dmitry Peskov", got)
	}
	// "Sara Ali" and "Sir Ali" share the skeleton s-r l.
	x.LearnNames("Sara Ali", "Sir Ali")
	if got := x.names.canonical("ar", "سارة علي"); got == "Sara Ali" || got == "Sir Ali" {
		t.Errorf("ambiguous skeleton merged into %q", got)
	}
	// Cyrillic-script and one-word names are not learned.
	x.LearnNames("Дмитрий Песков", "Peskov")
	for _, f := range x.names.sortedForms() {
		if f == "Дмитрий Песков" || f == "Peskov" {
			t.Errorf("learned %q", f)
		}
	}
}

// The Arabic comma separates like a comma: a name set off by it after a
// role ("وزير الخارجية، فيصل بن فرحان،") is still the speaker.
func TestArabicComma(t *testing.T) {
	x, err := New()
	if err != nil {
		t.Fatal(err)
	}
	x.LearnNames("Faisal bin Farhan")
	r := x.ExtractLang("ar", "", "وقال وزير الخارجية السعودي، فيصل بن فرحان، إن المملكة مستعدة لاستضافة المحادثات.")
	if len(r.Speakers) != 1 || r.Speakers[0] != "Faisal bin Farhan" {
		t.Errorf("speakers %q, want [Faisal bin Farhan]", r.Speakers)
	}
}
