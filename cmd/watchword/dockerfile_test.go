package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// dockerInstr is one Dockerfile instruction with continuations joined.
type dockerInstr struct {
	op, args string
	line     int
}

// parseDockerfile splits a Dockerfile into instructions: comments and
// blank lines dropped, backslash continuations joined.
func parseDockerfile(t *testing.T, text string) []dockerInstr {
	t.Helper()
	var out []dockerInstr
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{op: strings.ToUpper(op), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued line")
	}
	return out
}

// buildFlagsRe is the release build line the Dockerfile and .ci/run share.
var buildFlagsRe = regexp.MustCompile(`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main\.version=\$\{VERSION\} -X main\.commit=\$\{COMMIT\}"`)

// TestDockerfile checks the image's structure, since neither this machine
// nor CI runs a Docker engine.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("no go line in go.mod")
	}
	goVersion := string(m[1])

	ins := parseDockerfile(t, string(raw))
	var stages [][]dockerInstr
	for _, in := range ins {
		if in.op == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.op != "ARG" {
				t.Fatalf("line %d: %s before the first FROM", in.line, in.op)
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(stages))
	}
	stageNames := map[string]bool{}
	builderGo := ""
	for _, st := range stages {
		f := strings.Fields(st[0].args)
		var image string
		for _, w := range f {
			if !strings.HasPrefix(w, "--") {
				image = w
				break
			}
		}
		fromStage := stageNames[strings.ToLower(image)] || image == "scratch"
		if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
			stageNames[strings.ToLower(f[len(f)-1])] = true
		}
		if fromStage {
			continue
		}
		name, tag, hasTag := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
		hasDigest := strings.Contains(image, "@sha256:")
		switch {
		case !hasTag && !hasDigest:
			t.Errorf("line %d: base image %s has no tag", st[0].line, image)
		case tag == "latest" || strings.HasPrefix(tag, "latest@"):
			t.Errorf("line %d: base image %s uses :latest", st[0].line, image)
		case strings.Contains(image, "$"):
			t.Errorf("line %d: base image %s is not a fixed name", st[0].line, image)
		}
		if name == "golang" {
			builderGo, _, _ = strings.Cut(tag, "-")
		}
	}
	if builderGo != goVersion {
		t.Errorf("builder image has Go %q, go.mod says go %s", builderGo, goVersion)
	}

	all := string(raw)
	if !buildFlagsRe.MatchString(all) {
		t.Errorf("Dockerfile does not build with %s", buildFlagsRe)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !buildFlagsRe.Match(ci) {
		t.Errorf(".ci/run does not build with the Dockerfile's flags (%s)", buildFlagsRe)
	}

	final := stages[len(stages)-1]
	has := func(op string, ok func(args string) bool) bool {
		for _, in := range final {
			if in.op == op && ok(in.args) {
				return true
			}
		}
		return false
	}
	var user string
	for _, in := range final {
		if in.op == "USER" {
			user = in.args
		}
	}
	base := strings.Fields(final[0].args)
	nonrootBase := strings.HasSuffix(base[len(base)-1], ":nonroot")
	switch u, _, _ := strings.Cut(user, ":"); {
	case user == "" && !nonrootBase:
		t.Error("the final stage has no USER and its base is not a nonroot image")
	case user != "" && (u == "root" || u == "0"):
		t.Errorf("the final stage runs as %q", user)
	}
	if !has("VOLUME", func(a string) bool { return a == "/data" || strings.Contains(a, `"/data"`) }) {
		t.Error("no VOLUME /data in the final stage")
	}
	if !has("EXPOSE", func(a string) bool { return strings.Fields(a)[0] == "8080" || strings.HasPrefix(a, "8080/") }) {
		t.Error("no EXPOSE 8080 in the final stage")
	}
	if !has("HEALTHCHECK", func(a string) bool {
		return regexp.MustCompile(`CMD \[?"?[^ ]*watchword"?,? "?healthcheck`).MatchString(a)
	}) {
		t.Error("the HEALTHCHECK does not run `watchword healthcheck`")
	}
	if has("RUN", func(a string) bool { return strings.Contains(a, "curl") || strings.Contains(a, "wget") }) {
		t.Error("the final stage installs curl or wget")
	}
	if !has("CMD", func(a string) bool {
		return strings.Contains(a, `"serve"`) && strings.Contains(a, `"0.0.0.0:8080"`) && strings.Contains(a, `"/data"`)
	}) {
		t.Error(`the default command is not serve --addr 0.0.0.0:8080 --data /data`)
	}
}

func TestVersionPrintsCommit(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), version) || !strings.Contains(out.String(), "commit "+commit) {
		t.Errorf("version printed %q", out.String())
	}
}
